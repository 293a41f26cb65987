"""The solver runs in a child process: a native abort in OR-Tools costs a retry on one worker,
then the greedy roster, never the calling worker."""

import pytest

from staffing.rostering import isolated
from staffing.rostering.isolated import SolverCrashed, solve_isolated
from staffing.rostering.problem import Rules
from staffing.rostering.rules import check_roster
from staffing.rostering.solver import greedy_roster, solve
from tests.staffing.rostering.builders import problem, staff


def small_problem():
    return problem(
        people=staff(6, seniors=3), weeks=1, open_from=8, open_to=20, required=2, rules=Rules(max_hours=84)
    )


def test_the_child_process_gives_the_same_roster_as_solving_here():
    p = small_problem()
    # The one solve in the test process (every other test solves in a child): the reference the
    # child's answer is compared with. One worker, as in the retry after a crash: no parallel
    # portfolio, deterministic for the seed.
    here = solve(p, time_limit=5, workers=1, seed=3)
    there = solve_isolated(p, time_limit=5, workers=1, seed=3)
    assert there.status == here.status and there.status in ("OPTIMAL", "FEASIBLE")
    assert set(there.assignments) == set(here.assignments)
    assert there.objective == here.objective
    assert check_roster(p, there.assignments) == []


def test_a_child_that_aborts_is_reported_as_a_crash(monkeypatch):
    # A child that dies of SIGABRT, as OR-Tools' failed CHECKs do.
    monkeypatch.setattr(isolated, "_CHILD", ["-c", "import os; os.abort()"])
    with pytest.raises(SolverCrashed, match="exit status -6"):
        isolated._run_child(small_problem(), time_limit=1, workers=4, seed=1)


def test_a_crash_is_retried_on_one_worker_then_falls_back_to_the_greedy_roster(monkeypatch, caplog):
    calls = []

    def crashing(problem, *, workers, **options):
        calls.append(workers)
        raise SolverCrashed("exit status -6")

    monkeypatch.setattr(isolated, "_run_child", crashing)
    p = small_problem()
    solution = solve_isolated(p, time_limit=5, workers=4)
    assert calls == [4, 1]
    assert solution.status == "GREEDY"
    assert solution.assignments == greedy_roster(p)
    assert "roster solver crashed" in caplog.text


def test_a_crash_on_the_first_try_only_still_gives_a_solved_roster(monkeypatch):
    real, calls = isolated._run_child, []

    def first_crashes(problem, *, workers, **options):
        calls.append(workers)
        if len(calls) == 1:
            raise SolverCrashed("exit status -6")
        return real(problem, workers=workers, **options)

    monkeypatch.setattr(isolated, "_run_child", first_crashes)
    solution = solve_isolated(small_problem(), time_limit=5, workers=4)
    assert calls == [4, 1]
    assert solution.status in ("OPTIMAL", "FEASIBLE")

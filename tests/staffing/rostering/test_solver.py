"""The CP-SAT roster model, solved the way the service solves it: in a child process
(staffing.rostering.isolated.solve_isolated). OR-Tools 9.15 can abort natively
(google/or-tools#5025); in this process that would kill the pytest-xdist worker and the run with
it, in a child it costs a retry on one worker."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from staffing.rostering.isolated import solve_isolated
from staffing.rostering.problem import Request, RequestKind, Rules
from staffing.rostering.rules import check_roster
from tests.staffing.rostering.builders import MONDAY, problem, staff


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def test_feasible_cover_is_met_with_zero_unmet_hours_and_no_broken_rule():
    p = problem(
        people=staff(6, seniors=3), weeks=2, open_from=8, open_to=20, required=2, rules=Rules(max_hours=84)
    )
    solution = solve_isolated(p, time_limit=10, track_first_full_cover=True)
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    assert solution.unmet == []
    assert solution.unmet_hours == 0
    assert check_roster(p, solution.assignments) == []
    assert solution.first_full_cover_seconds is not None


def test_without_a_callback_the_solver_reports_no_first_full_cover_time():
    p = problem(people=staff(6, seniors=3), weeks=1, open_from=8, open_to=20, required=2)
    solution = solve_isolated(p, time_limit=5)
    assert solution.unmet == []
    assert solution.first_full_cover_seconds is None


def test_infeasible_cover_still_returns_a_roster_and_lists_the_unmet_hours():
    p = problem(people=staff(3, seniors=3), required=5)
    solution = solve_isolated(p, time_limit=5)
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    assert solution.assignments
    assert check_roster(p, solution.assignments) == []
    # Three people, at most six days each: 18 shifts for 7 days × 8 hours needing 5 on duty.
    assert len(solution.unmet) == 7 * 8
    assert all(u.kind == "staff" and u.missing >= 2 for u in solution.unmet)
    assert solution.unmet_hours == 7 * 8 * 5 - 18 * 8
    assert solution.penalties["under_cover"] == 1000 * solution.unmet_hours


def test_penalty_breakdown_adds_up_to_the_objective():
    p = problem(people=staff(3, seniors=1), required=2, rules=Rules())
    solution = solve_isolated(p, time_limit=5)
    assert solution.penalties["missing_senior"] > 0
    assert sum(solution.penalties.values()) == pytest.approx(solution.objective)
    assert sum(solution.penalty_shares.values()) == pytest.approx(1.0)
    assert set(solution.penalties) >= {"under_cover", "over_cover", "missing_senior"}


def test_approved_leave_is_never_rostered():
    leave = frozenset((1, day(i)) for i in range(3)) | {(2, day(4))}
    p = problem(people=staff(4, seniors=4), required=2, leave=leave)
    solution = solve_isolated(p, time_limit=5)
    assert solution.unmet == []
    assert not [a for a in solution.assignments if (a.staff_id, a.day) in leave]


def test_requests_are_honoured_where_possible_and_the_rest_are_listed():
    requests = (
        Request(1, day(2), RequestKind.DAY_OFF, weight=5, ref=11),
        Request(2, day(3), RequestKind.WANT_SHIFT, "E", weight=3, ref=12),
        Request(3, day(4), RequestKind.AVOID_SHIFT, "D", weight=3, ref=13),
        # Both ask for Saturday off, but the cover needs one of them besides the third person.
        Request(1, day(5), RequestKind.DAY_OFF, weight=2, ref=14),
        Request(2, day(5), RequestKind.DAY_OFF, weight=9, ref=15),
    )
    p = problem(people=staff(3, seniors=3), required=2, requests=requests)
    solution = solve_isolated(p, time_limit=5)
    worked = {(a.staff_id, a.day): a.shift_code for a in solution.assignments}
    assert (1, day(2)) not in worked
    assert worked[(2, day(3))] == "E"
    assert worked.get((3, day(4))) != "D"
    assert [r.ref for r in solution.unmet_requests] == [14]
    assert solution.penalties["requests"] == 50 * 2


def test_the_rest_rule_holds_when_late_and_early_cover_compete():
    # Open 07:00–21:00 needs someone early and someone late every day.
    p = problem(people=staff(3, seniors=3), open_from=7, open_to=21, required=1)
    solution = solve_isolated(p, time_limit=5)
    shifts = {(a.staff_id, a.day): a.shift_code for a in solution.assignments}
    late_then_early = [
        k for k, code in shifts.items() if code == "L" and shifts.get((k[0], k[1] + timedelta(1))) == "E"
    ]
    assert late_then_early == []
    assert check_roster(p, solution.assignments) == []
    assert solution.unmet == []


def test_nobody_works_more_consecutive_days_than_allowed_even_if_cover_goes_short():
    p = problem(
        people=staff(1), weeks=2, rules=Rules(senior_every_open_hour=False, max_consecutive_work_days=4)
    )
    solution = solve_isolated(p, time_limit=5)
    days_worked = sorted(a.day for a in solution.assignments)
    assert len(days_worked) == 12  # 14 days, at most 4 of every 5
    assert check_roster(p, solution.assignments) == []
    assert {u.day for u in solution.unmet} == set(p.days) - set(days_worked)


def test_early_and_late_shifts_and_weekends_are_spread_fairly():
    p = problem(people=staff(4, seniors=4), weeks=2, open_from=7, open_to=21, required=1)
    solution = solve_isolated(p, time_limit=8)
    early = {s.id: 0 for s in p.staff}
    late = {s.id: 0 for s in p.staff}
    for a in solution.assignments:
        early[a.staff_id] += a.shift_code == "E"
        late[a.staff_id] += a.shift_code == "L"
    assert max(early.values()) - min(early.values()) <= 1
    assert max(late.values()) - min(late.values()) <= 1
    assert solution.unmet == []


def test_contradictory_personal_rules_report_infeasible_instead_of_a_roster():
    p = problem(people=staff(2), rules=Rules(senior_every_open_hour=False, min_hours=100))
    solution = solve_isolated(p, time_limit=5)
    assert solution.status == "INFEASIBLE"
    assert solution.assignments == []
    assert len(solution.unmet) == len(p.cover)


def test_holidays_get_their_own_fairness_term():
    p = replace(problem(people=staff(3, seniors=3), required=1), holidays=frozenset({day(0), day(1), day(2)}))
    solution = solve_isolated(p, time_limit=5)
    assert "fairness_holiday" in solution.penalties
    holiday_days = {}
    for a in solution.assignments:
        if a.day in p.holidays:
            holiday_days[a.staff_id] = holiday_days.get(a.staff_id, 0) + 1
    assert sorted(holiday_days.values()) == [1, 1, 1]


def test_when_time_runs_out_before_any_solution_the_greedy_roster_is_returned(caplog):
    p = problem(people=staff(6, seniors=3), weeks=2, open_from=8, open_to=20, required=2)
    solution = solve_isolated(p, time_limit=0.000001, workers=1)
    # The child answered GREEDY itself: a crashed child would end in the same fallback.
    assert "roster solver crashed" not in caplog.text
    assert solution.status == "GREEDY"
    assert solution.assignments, "the greedy roster is kept, not an empty one"
    assert check_roster(p, solution.assignments) == []

"""CP-SAT in a child process: a native abort inside OR-Tools (9.15 can abort on a CHECK in a
search worker given a hint, google/or-tools#5025, fixed upstream after 9.15.6755, the latest
release) must not take the Celery worker or the web process with it.

`solve_isolated(problem, ...)` pickles the problem into `python -m staffing.rostering.isolated`
(plain data and OR-Tools only: no Django in the child), reads the pickled Solution back, and on a
crashed child tries once more with one search worker (no parallel portfolio), then falls back to
the greedy roster (status GREEDY, as when the time runs out before a first solution). A plain
subprocess rather than multiprocessing: Celery's prefork workers are daemonic and may not fork
multiprocessing children. No solution callback crosses the process boundary; progress reporting
stays with the caller (elapsed time)."""

import logging
import pickle
import subprocess
import sys
import time as clock
from pathlib import Path

from staffing.rostering.problem import RosteringProblem, Solution

logger = logging.getLogger(__name__)

# The directory holding the `staffing` package: the child imports it from there.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]

# What the child runs (after the interpreter).
_CHILD = ["-m", "staffing.rostering.isolated"]

# Start-up of the child (importing OR-Tools) and unpickling, on top of the solver's own limit.
_GRACE_SECONDS = 60.0


class SolverCrashed(RuntimeError):
    """The solver's child process died (signal or non-zero exit) instead of answering."""


def _run_child(
    problem: RosteringProblem,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    track_first_full_cover: bool = False,
) -> Solution:
    options = {
        "time_limit": time_limit,
        "workers": workers,
        "seed": seed,
        "track_first_full_cover": track_first_full_cover,
    }
    payload = pickle.dumps((problem, options))
    try:
        done = subprocess.run(
            [sys.executable, *_CHILD],
            input=payload,
            capture_output=True,
            cwd=_PROJECT_ROOT,
            timeout=time_limit + _GRACE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SolverCrashed(f"the solver did not answer within {time_limit + _GRACE_SECONDS:.0f} s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise SolverCrashed(f"exit status {done.returncode}: {' | '.join(tail)}")
    return pickle.loads(done.stdout)


def solve_isolated(
    problem: RosteringProblem,
    *,
    time_limit: float = 20.0,
    workers: int = 4,
    seed: int = 1,
    track_first_full_cover: bool = False,
) -> Solution:
    """`solver.solve` in a child process, with a retry on one worker and the greedy fallback.
    `track_first_full_cover` is passed on to `solve` (the child attaches the callback itself)."""
    from staffing.rostering.solver import greedy_solution

    started = clock.perf_counter()
    for attempt_workers in dict.fromkeys((workers, 1)):  # the configured count, then one worker
        try:
            return _run_child(
                problem,
                time_limit=time_limit,
                workers=attempt_workers,
                seed=seed,
                track_first_full_cover=track_first_full_cover,
            )
        except SolverCrashed as exc:
            logger.error("roster solver crashed with %s worker(s): %s", attempt_workers, exc)
    return greedy_solution(problem, started=started)


def _main() -> None:
    from staffing.rostering.solver import solve

    problem, options = pickle.load(sys.stdin.buffer)
    solution = solve(problem, **options)
    sys.stdout.buffer.write(pickle.dumps(solution))


if __name__ == "__main__":
    _main()

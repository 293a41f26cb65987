"""Roster generation benchmark: HallOps' CP-SAT generator against pyworkforce's scheduler.

A class-A hall (minimum 3 on duty off-peak, 4 at peak) open 08:00–19:00 every day, 30 staff
(5 seniors, 2 not yet qualified for a window), four shift types, four weeks from Monday
2026-03-02, and a traffic curve with a morning peak (10–11 h) and a late-afternoon peak
(16–17 h), busier at weekends. The requirement per open hour is max(band minimum, Erlang C
staff for 80 % of customers within 10 minutes), exactly as HallOps computes it.

HallOps builds a named roster under every rule (11 h rest, 44 h a week, at most 6 days in a
row, a senior every open hour). pyworkforce's `MinAbsDifference` scheduler answers the same
demand with head counts per shift and day, without people or rules; its figures are a lower
bound of what a roster can reach. Then pyworkforce's `MinHoursRoster` is asked to put the 30
people on those head counts, and HallOps' rule checker counts what that roster breaks.

pyworkforce is a benchmark-only dependency (`pip install hallops[bench]`, or
`.venv/bin/uv pip install -p .venv/bin/python pyworkforce`); it runs on the project's OR-Tools.

Run: .venv/bin/python -m bench.roster_generation [--time-limit 30]
"""

import argparse
import time as clock
from datetime import date, time, timedelta

from staffing.rostering.demand import HourForecast, day_requirement
from staffing.rostering.problem import (
    AssignmentSpec,
    RosteringProblem,
    Rules,
    ShiftSpec,
    StaffSpec,
    date_range,
)
from staffing.rostering.rules import check_roster, coverage_counts
from staffing.rostering.solver import solve

START = date(2026, 3, 2)
DAYS = date_range(START, START + timedelta(days=27))
OPEN_HOURS = list(range(8, 19))
HANDLING_SECONDS = 420
# Arrivals per hour on a weekday and at a weekend: morning and late-afternoon peaks.
WEEKDAY_CURVE = {8: 12, 9: 30, 10: 62, 11: 58, 12: 34, 13: 28, 14: 36, 15: 48, 16: 64, 17: 56, 18: 22}
WEEKEND_CURVE = {8: 10, 9: 26, 10: 54, 11: 60, 12: 44, 13: 40, 14: 46, 15: 52, 16: 58, 17: 42, 18: 18}
SHIFTS = (
    ShiftSpec("E", time(8, 0), time(16, 0), 60),
    ShiftSpec("D", time(9, 0), time(17, 0), 60),
    ShiftSpec("M", time(10, 0), time(18, 0), 60),
    ShiftSpec("L", time(11, 0), time(19, 0), 60),
)


def build_problem() -> RosteringProblem:
    cover = {}
    for day in DAYS:
        curve = WEEKEND_CURVE if day.weekday() >= 5 else WEEKDAY_CURVE
        need = day_requirement(
            hours=OPEN_HOURS,
            forecast={h: HourForecast(a, HANDLING_SECONDS) for h, a in curve.items()},
            min_offpeak=3,
            min_peak=4,
            service_level=0.8,
            answer_seconds=600,
            peak_ratio=0.75,
        )
        cover.update({(day, h): r.required for h, r in need.items()})
    staff = tuple(
        StaffSpec(
            id=i + 1,
            name=f"S{i + 1:02d}",
            post="duty_manager" if i < 3 else "clerk",
            senior=i < 5,
            qualified_days=frozenset() if i >= 28 else frozenset(DAYS),
        )
        for i in range(30)
    )
    weeks = len(DAYS) / 7
    return RosteringProblem(
        staff=staff,
        shifts=SHIFTS,
        start=DAYS[0],
        end=DAYS[-1],
        cover=cover,
        rules=Rules(max_hours=44 * weeks, max_consecutive_work_days=6, min_rest_hours=11),
    )


def shortfall(problem: RosteringProblem, on_duty: dict) -> int:
    return sum(max(need - on_duty.get(key, 0), 0) for key, need in problem.cover.items())


def run_hallops(problem: RosteringProblem, time_limit: float) -> dict:
    started = clock.perf_counter()
    solution = solve(problem, time_limit=time_limit, track_first_full_cover=True)
    runtime = clock.perf_counter() - started
    counts = coverage_counts(problem, solution.assignments)
    return {
        "status": solution.status,
        "shortfall": shortfall(problem, counts),
        "staff_hours": sum(problem.shift(a.shift_code).paid_hours for a in solution.assignments),
        "runtime": runtime,
        "first_full_cover": solution.first_full_cover_seconds,
        "violations": len(check_roster(problem, solution.assignments)),
        "shares": solution.penalty_shares,
    }


def _coverage_matrix():
    return {s.code: [1 if h in s.covered_hours() else 0 for h in range(24)] for s in SHIFTS}


def run_pyworkforce(problem: RosteringProblem, time_limit: float) -> tuple[dict, dict]:
    from pyworkforce.rostering.binary_programming import MinHoursRoster
    from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources

    required = [[problem.cover.get((day, h), 0) for h in range(24)] for day in DAYS]
    started = clock.perf_counter()
    scheduler = MinAbsDifference(
        num_days=len(DAYS),
        periods=24,
        shifts_coverage=_coverage_matrix(),
        required_resources=required,
        max_period_concurrency=len(problem.staff),
        max_shift_concurrency=len(problem.staff),
        max_search_time=float(time_limit),
        num_search_workers=2,
    )
    result = scheduler.solve()
    runtime = clock.perf_counter() - started
    heads = {(row["day"], row["shift"]): row["resources"] for row in result["resources_shifts"]}
    on_duty: dict = {}
    for (d, code), n in heads.items():
        for h in problem.shift(code).covered_hours():
            on_duty[(DAYS[d], h)] = on_duty.get((DAYS[d], h), 0) + n
    schedule = {
        "status": result["status"],
        "shortfall": shortfall(problem, on_duty),
        "staff_hours": sum(n * problem.shift(code).paid_hours for (_d, code), n in heads.items()),
        "runtime": runtime,
        "shifts": sum(heads.values()),
    }

    started = clock.perf_counter()
    minimal = MinRequiredResources(
        num_days=len(DAYS),
        periods=24,
        shifts_coverage=_coverage_matrix(),
        required_resources=required,
        max_period_concurrency=len(problem.staff),
        max_shift_concurrency=len(problem.staff),
        max_search_time=float(time_limit),
        num_search_workers=2,
    ).solve()
    least = {(row["day"], row["shift"]): row["resources"] for row in minimal["resources_shifts"]}
    schedule["min_required"] = {
        "status": minimal["status"],
        "staff_hours": sum(n * problem.shift(code).paid_hours for (_d, code), n in least.items()),
        "runtime": clock.perf_counter() - started,
    }

    started = clock.perf_counter()
    roster = MinHoursRoster(
        num_days=len(DAYS),
        resources=[s.id for s in problem.staff],
        shifts=[s.code for s in SHIFTS],
        shifts_hours=[s.paid_minutes // 60 for s in SHIFTS],  # it takes whole hours
        min_working_hours=0,
        banned_shifts=[],
        max_resting=len(DAYS),
        required_resources={s.code: [heads[(d, s.code)] for d in range(len(DAYS))] for s in SHIFTS},
        max_search_time=float(time_limit),
        num_search_workers=2,
    ).solve()
    roster_runtime = clock.perf_counter() - started
    assignments = [
        AssignmentSpec(row["resource"], DAYS[row["day"]], row["shift"], "guide")
        for row in roster.get("resource_shifts", [])
        if row.get("day", -1) >= 0
    ]
    violations = check_roster(problem, assignments)
    rostered = {
        "status": roster["status"],
        "shortfall": shortfall(problem, coverage_counts(problem, assignments)),
        "staff_hours": sum(problem.shift(a.shift_code).paid_hours for a in assignments),
        "runtime": roster_runtime,
        "violations": len(violations),
        "by_rule": sorted({v.rule for v in violations}),
    }
    return schedule, rostered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args()
    problem = build_problem()
    need = sum(problem.cover.values())
    peak = max(problem.cover.values())
    print(
        f"Class-A hall, {len(problem.staff)} staff, {len(DAYS)} days, {len(problem.cover)} open hours, "
        f"requirement {need} staff-hours (peak hour needs {peak})"
    )
    ours = run_hallops(problem, args.time_limit)
    print(
        f"HallOps CP-SAT roster:     shortfall {ours['shortfall']:>4} staff-hours | rostered {ours['staff_hours']:>6.0f} paid h"
        f" | {ours['runtime']:5.1f} s ({ours['status']}) | full cover first reached at "
        + (f"{ours['first_full_cover']:.1f} s" if ours["first_full_cover"] is not None else "never")
        + f" | rule violations {ours['violations']}"
    )
    print("  objective shares: " + ", ".join(f"{k} {v:.1%}" for k, v in ours["shares"].items()))
    try:
        schedule, rostered = run_pyworkforce(problem, args.time_limit)
    except ImportError:
        print("pyworkforce is not installed: .venv/bin/uv pip install -p .venv/bin/python pyworkforce")
        return
    print(
        f"pyworkforce MinAbsDifference: shortfall {schedule['shortfall']:>4} staff-hours | scheduled {schedule['staff_hours']:>6.0f} paid h"
        f" | {schedule['runtime']:5.1f} s ({schedule['status']}) | {schedule['shifts']} anonymous shifts, no people, no rules"
    )
    least = schedule["min_required"]
    print(
        f"pyworkforce MinRequiredResources: shortfall    0 staff-hours (hard) | scheduled {least['staff_hours']:>6.0f} paid h"
        f" | {least['runtime']:5.1f} s ({least['status']}) | the fewest paid hours that cover every hour"
    )
    print(
        f"pyworkforce MinHoursRoster on those counts: shortfall {rostered['shortfall']:>4} staff-hours | rostered "
        f"{rostered['staff_hours']:>6.0f} paid h | {rostered['runtime']:5.1f} s ({rostered['status']}) | rule violations "
        f"{rostered['violations']} ({', '.join(rostered['by_rule']) or 'none'})"
    )


if __name__ == "__main__":
    main()

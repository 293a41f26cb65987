"""Small plain rostering problems for the core tests."""

from dataclasses import replace
from datetime import date, time

from staffing.rostering.problem import RosteringProblem, Rules, ShiftSpec, StaffSpec, date_range

MONDAY = date(2026, 3, 2)
SHIFTS = (
    ShiftSpec("D", time(9, 0), time(17, 0), 60),
    ShiftSpec("E", time(7, 0), time(15, 0), 60),
    ShiftSpec("L", time(13, 0), time(21, 0), 60),
)


def staff(n: int, *, seniors: int = 1, days=None, **extra) -> tuple[StaffSpec, ...]:
    qualified = frozenset(days or date_range(MONDAY, date(2026, 3, 29)))
    return tuple(
        StaffSpec(id=i + 1, name=f"P{i + 1}", senior=i < seniors, qualified_days=qualified, **extra)
        for i in range(n)
    )


def problem(
    *,
    people=None,
    weeks: int = 1,
    open_from: int = 9,
    open_to: int = 17,
    required: int = 1,
    rules=None,
    **fields,
) -> RosteringProblem:
    days = date_range(MONDAY, MONDAY.replace(day=MONDAY.day + 7 * weeks - 1))
    cover = {(d, h): required for d in days for h in range(open_from, open_to)}
    return RosteringProblem(
        staff=people if people is not None else staff(3),
        shifts=SHIFTS,
        start=days[0],
        end=days[-1],
        cover=cover,
        rules=rules or Rules(senior_every_open_hour=False),
        **fields,
    )


def with_rules(p: RosteringProblem, **changes) -> RosteringProblem:
    return replace(p, rules=replace(p.rules, **changes))

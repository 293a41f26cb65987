from datetime import date, timedelta

import pytest

from staffing.rostering.problem import Rules
from staffing.rostering.rotation import ROLLING, ROTATING, RotationPattern, check_roster, rotation_roster
from tests.staffing.rostering.builders import MONDAY, problem, staff


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def codes(solution, staff_id, days):
    worked = {(a.staff_id, a.day): a.shift_code for a in solution.assignments}
    return [worked.get((staff_id, day(i))) for i in range(days)]


def test_rolling_duty_staggers_each_persons_days_off():
    p = problem(people=staff(3, seniors=3), weeks=1)
    pattern = RotationPattern(ROLLING, ("D", "D", "D", "D", None, "D", None))
    solution = rotation_roster(p, pattern)
    assert codes(solution, 1, 7) == ["D", "D", "D", "D", None, "D", None]
    assert codes(solution, 2, 7) == ["D", "D", "D", None, "D", None, "D"]
    assert codes(solution, 3, 7) == ["D", "D", None, "D", None, "D", "D"]
    assert solution.unmet == []
    assert check_roster(p, solution.assignments) == []


def test_rotating_shifts_swap_early_and_late_weeks_with_per_person_offsets():
    p = problem(
        people=staff(2, seniors=2),
        weeks=2,
        open_from=7,
        open_to=21,
        rules=Rules(senior_every_open_hour=False),
    )
    weeks = (("E",) * 5 + (None, None), ("L",) * 5 + (None, None))
    solution = rotation_roster(p, RotationPattern(ROTATING, weeks, offsets={1: 1, 2: 0}))
    assert codes(solution, 1, 14) == ["L"] * 5 + [None, None] + ["E"] * 5 + [None, None]
    assert codes(solution, 2, 14) == ["E"] * 5 + [None, None] + ["L"] * 5 + [None, None]
    # The weekends are empty: the shortfall is listed, not hidden.
    assert {u.day.weekday() for u in solution.unmet} == {5, 6}


def test_leave_days_are_left_off_and_rule_breaks_are_reported_by_the_checker():
    p = problem(people=staff(1), weeks=2, leave=frozenset({(1, day(2))}))
    solution = rotation_roster(p, RotationPattern(ROLLING, ("D",)))
    assert day(2) not in {a.day for a in solution.assignments}
    violations = check_roster(p, solution.assignments)
    assert [v.rule for v in violations] == ["max_consecutive_days"]
    assert violations[0].message == "P1 works 11 days in a row up to 2026-03-15; at most 6 are allowed."


def test_a_pattern_with_an_unknown_shift_code_is_refused():
    with pytest.raises(ValueError, match="unknown shift codes: X"):
        rotation_roster(problem(), RotationPattern(ROLLING, ("D", "X")))


def test_a_rotating_week_must_list_seven_days():
    with pytest.raises(ValueError, match="7 days"):
        RotationPattern(ROTATING, (("E",) * 5,))

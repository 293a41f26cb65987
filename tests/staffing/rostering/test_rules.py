from dataclasses import replace
from datetime import date, timedelta

from staffing.rostering.problem import AssignmentSpec as A
from staffing.rostering.problem import Rules, StaffSpec
from staffing.rostering.rules import check_roster, coverage_counts, unmet_cover
from tests.staffing.rostering.builders import MONDAY, problem, staff, with_rules


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def rules_of(violations):
    return [v.rule for v in violations]


def test_a_roster_that_keeps_every_rule_has_no_violations():
    p = problem(
        people=staff(3, seniors=3), rules=Rules(max_consecutive_work_days=5, max_hours=40, min_hours=14)
    )
    roster = (
        [A(1, day(i), "D") for i in range(5)]
        + [A(2, day(i), "D") for i in range(2, 7)]
        + [A(3, day(i), "D") for i in range(0, 2)]
    )
    assert check_roster(p, roster) == []


def test_someone_outside_the_hall_is_refused():
    [v] = check_roster(problem(), [A(99, day(0), "D")])
    assert v.rule == "unknown_staff"
    assert v.message == "#99 is neither on this hall's staff nor lent to it."


def test_an_unknown_shift_code_and_a_day_outside_the_period_are_refused():
    assert rules_of(check_roster(problem(), [A(1, day(0), "X"), A(1, day(9), "D")])) == [
        "unknown_shift",
        "outside_period",
    ]


def test_lent_in_staff_may_work_only_on_their_loan_days():
    lent = StaffSpec(
        id=7, name="Lent", available_days=frozenset({day(1)}), qualified_days=frozenset({day(0), day(1)})
    )
    p = problem(people=(*staff(2), lent))
    [v] = check_roster(p, [A(7, day(0), "D"), A(7, day(1), "D")])
    assert v.rule == "not_available"
    assert v.message == "Lent is not available to this hall on 2026-03-02 (lent out or not lent in)."


def test_a_shift_on_a_closed_day_is_refused():
    p = problem()
    p = replace(p, cover={k: v for k, v in p.cover.items() if k[0] != day(6)})
    [v] = check_roster(p, [A(1, day(6), "D")])
    assert v.rule == "hall_closed"


def test_two_overlapping_shifts_of_one_person_are_refused():
    violations = check_roster(problem(), [A(1, day(0), "E"), A(1, day(0), "D")])
    assert rules_of(violations) == ["overlap"]
    assert violations[0].message == "P1 would have two overlapping shifts on 2026-03-02 (D and E)."


def test_work_on_approved_leave_is_refused():
    p = problem(leave=frozenset({(1, day(2))}))
    [v] = check_roster(p, [A(1, day(2), "D")])
    assert v.message == "P1 is on approved leave on 2026-03-04."


def test_a_late_shift_followed_by_an_early_one_breaks_the_eleven_hour_rest():
    [v] = check_roster(problem(), [A(1, day(0), "L"), A(1, day(1), "E")])
    assert v.rule == "rest"
    assert v.message == "P1 would rest only 10 h between L and E on 2026-03-03; at least 11 h are required."
    assert check_roster(problem(), [A(1, day(0), "L"), A(1, day(1), "D")]) == []


def test_hours_below_the_minimum_and_above_the_maximum_are_refused():
    p = problem(rules=Rules(senior_every_open_hour=False, min_hours=21, max_hours=28))
    [low] = check_roster(p, [A(1, day(0), "D"), A(1, day(1), "D")])
    assert low.message == "P1 is rostered for 14 h; at least 21 h are required."
    too_many = [A(1, day(i), "D") for i in range(5)]
    violations = check_roster(
        p, too_many + [A(2, day(i), "D") for i in range(3)] + [A(3, day(i), "D") for i in range(3)]
    )
    assert rules_of(violations) == ["max_hours"]
    assert violations[0].message == "P1 is rostered for 35 h; at most 28 h are allowed."


def test_the_minimum_hours_are_pro_rated_for_leave():
    p = problem(
        rules=Rules(senior_every_open_hour=False, min_hours=35),
        leave=frozenset({(1, day(i)) for i in range(5)}),
    )
    assert (
        check_roster(
            p,
            [A(1, day(5), "D"), A(1, day(6), "D")]
            + [A(2, day(i), "D") for i in range(5)]
            + [A(3, day(i), "D") for i in range(5)],
        )
        == []
    )


def test_too_many_shifts_of_one_type_are_refused():
    p = problem(rules=Rules(senior_every_open_hour=False, max_shifts_per_type={"L": 1}))
    [v] = check_roster(p, [A(1, day(0), "L"), A(1, day(1), "L")])
    assert v.message == "P1 works shift L 2 times; at most 1 are allowed."


def test_more_than_six_days_in_a_row_are_refused():
    p = problem(weeks=2)
    roster = [A(1, day(i), "D") for i in range(7)]
    [v] = check_roster(p, roster)
    assert v.rule == "max_consecutive_days"
    assert v.message == "P1 works 7 days in a row up to 2026-03-08; at most 6 are allowed."
    assert check_roster(p, roster[:6]) == []


def test_short_runs_of_work_and_of_days_off_are_refused_inside_the_period():
    p = problem(
        rules=Rules(senior_every_open_hour=False, min_consecutive_work_days=2, min_consecutive_days_off=2)
    )
    roster = [A(1, day(i), "D") for i in (0, 1, 3, 5, 6)]
    violations = check_roster(p, roster)
    assert rules_of(violations) == ["min_days_off", "min_consecutive_days", "min_days_off"]
    assert violations[1].message == (
        "P1 works a run of only 1 day(s) ending 2026-03-05; runs of at least 2 are required."
    )


def test_runs_touching_the_period_edges_may_continue_outside_it():
    p = problem(rules=Rules(senior_every_open_hour=False, min_consecutive_work_days=3))
    assert check_roster(p, [A(1, day(0), "D"), A(1, day(6), "D")]) == []


def test_too_many_weekends_are_refused_and_make_up_working_days_are_no_weekend():
    p = problem(weeks=2, rules=Rules(senior_every_open_hour=False, max_weekends_worked=1))
    roster = [A(1, day(5), "D"), A(1, day(12), "D")]
    [v] = check_roster(p, roster)
    assert v.message == "P1 works 2 weekends; at most 1 are allowed."
    makeup = problem(weeks=2, rules=p.rules, makeup_workdays=frozenset({day(12)}))
    assert check_roster(makeup, roster) == []


def test_only_qualified_staff_may_work_a_window():
    unqualified = StaffSpec(id=5, name="New", qualified_days=frozenset({day(1)}))
    p = problem(people=(*staff(1), unqualified))
    [v] = check_roster(p, [A(5, day(0), "D", post="window"), A(5, day(1), "D", post="window")])
    assert v.message == "New holds no valid window qualification on 2026-03-02."
    assert check_roster(p, [A(5, day(0), "D", post="guide")]) == []


def test_every_open_hour_needs_a_senior_on_duty():
    p = with_rules(problem(), senior_every_open_hour=True)
    roster = [A(1, day(0), "E")] + [A(2, day(0), "L")] + [A(1, day(i), "D") for i in range(1, 6)]
    violations = [v for v in check_roster(p, roster) if v.day == day(0) or v.day == day(6)]
    assert [v.message for v in violations] == [
        "No senior (duty manager or star level 4+) is on duty on 2026-03-02 at 15:00, 16:00.",
        "No senior (duty manager or star level 4+) is on duty on 2026-03-08 at "
        "09:00, 10:00, 11:00, 12:00, 13:00, 14:00, 15:00, 16:00.",
    ]


def test_coverage_counts_whole_hours_on_duty_and_lists_the_shortfall():
    p = problem(required=2)
    roster = [A(1, day(0), "E"), A(2, day(0), "D"), A(3, day(0), "L")]
    counts = coverage_counts(p, roster)
    assert [counts[(day(0), h)] for h in range(9, 17)] == [2, 2, 2, 2, 3, 3, 2, 2]
    unmet = [u for u in unmet_cover(p, roster) if u.day == day(0)]
    assert unmet == []
    shortfall = [u for u in unmet_cover(p, roster[:1]) if u.day == day(0)]
    assert [(u.hour, u.missing) for u in shortfall] == [
        (9, 1),
        (10, 1),
        (11, 1),
        (12, 1),
        (13, 1),
        (14, 1),
        (15, 2),
        (16, 2),
    ]


def test_violation_messages_are_translated_when_read():
    from django.utils import translation

    [v] = check_roster(problem(leave=frozenset({(1, day(2))})), [A(1, day(2), "D")])
    with translation.override("zh-hans"):
        assert v.message == "P1 在 2026-03-04 已获准休假。"

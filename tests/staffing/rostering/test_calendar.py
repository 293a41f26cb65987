"""The rostering core's calendar is plain data: it takes a map of day kinds and never looks
anything up itself (the Django side reads halls.business_calendar)."""

from datetime import date

import pytest

from staffing.rostering.calendar import HOLIDAY, MAKEUP_WORKDAY, holiday_calendar

NATIONAL_DAY_2025 = {
    **{date(2025, 10, d): HOLIDAY for d in range(1, 9)},
    date(2025, 9, 28): MAKEUP_WORKDAY,
    date(2025, 10, 11): MAKEUP_WORKDAY,
}


def test_national_day_week_and_its_make_up_working_days_from_a_plain_map():
    cal = holiday_calendar(
        date(2025, 9, 27), date(2025, 10, 12), NATIONAL_DAY_2025, names={date(2025, 10, 1): "National Day"}
    )
    assert cal.holidays == {date(2025, 10, d) for d in range(1, 9)}
    assert cal.makeup_workdays == {date(2025, 9, 28), date(2025, 10, 11)}
    assert cal.names[date(2025, 10, 1)] == "National Day"
    assert cal.is_rest_day(date(2025, 9, 27))  # an ordinary Saturday
    assert not cal.is_rest_day(date(2025, 9, 28))  # Sunday worked in lieu
    assert cal.is_rest_day(date(2025, 10, 6))  # a Monday inside the holiday block


def test_days_outside_the_period_are_ignored():
    cal = holiday_calendar(date(2025, 10, 1), date(2025, 10, 3), NATIONAL_DAY_2025)
    assert cal.holidays == {date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)}
    assert cal.makeup_workdays == frozenset()


def test_a_year_without_data_has_ordinary_days_and_is_reported_not_raised():
    cal = holiday_calendar(date(2099, 1, 1), date(2099, 1, 31), {}, uncovered_years=[2099])
    assert cal.holidays == frozenset()
    assert cal.makeup_workdays == frozenset()
    assert cal.uncovered_years == (2099,)
    assert cal.is_rest_day(date(2099, 1, 3))  # a Saturday is still a weekend


def test_an_unknown_kind_and_end_before_start_are_refused():
    with pytest.raises(ValueError):
        holiday_calendar(date(2025, 3, 1), date(2025, 3, 2), {date(2025, 3, 1): "festival"})
    with pytest.raises(ValueError):
        holiday_calendar(date(2025, 3, 2), date(2025, 3, 1))

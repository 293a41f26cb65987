from datetime import date

import pytest

from staffing.rostering.calendar import CalendarYearNotCovered, holiday_calendar


def test_national_day_week_and_its_make_up_working_days_in_2025():
    cal = holiday_calendar(date(2025, 9, 27), date(2025, 10, 12))
    assert cal.holidays == {date(2025, 10, d) for d in range(1, 9)}
    assert cal.makeup_workdays == {date(2025, 9, 28), date(2025, 10, 11)}
    assert cal.names[date(2025, 10, 1)] == "National Day"
    assert cal.is_rest_day(date(2025, 9, 27))  # an ordinary Saturday
    assert not cal.is_rest_day(date(2025, 9, 28))  # Sunday worked in lieu
    assert cal.is_rest_day(date(2025, 10, 6))  # a Monday inside the holiday block


def test_ordinary_weekends_are_not_statutory_holidays():
    cal = holiday_calendar(date(2025, 3, 1), date(2025, 3, 31))
    assert cal.holidays == frozenset()
    assert cal.makeup_workdays == frozenset()


def test_a_year_the_package_does_not_cover_gives_a_clear_error():
    with pytest.raises(CalendarYearNotCovered, match="2099") as info:
        holiday_calendar(date(2099, 1, 1), date(2099, 1, 31))
    assert info.value.year == 2099


def test_end_before_start_is_refused():
    with pytest.raises(ValueError):
        holiday_calendar(date(2025, 3, 2), date(2025, 3, 1))

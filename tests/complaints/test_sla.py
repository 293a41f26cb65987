"""SLA arithmetic (complaints/sla.py): pure functions, no database."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints import sla
from complaints.sla import SHANGHAI, BusinessCalendar
from halls.business_calendar import BusinessCalendarReader

WEEKDAYS_9_TO_5 = {day: (time(9), time(17)) for day in range(5)}
EVERY_DAY_9_TO_6 = {day: (time(9), time(18)) for day in range(7)}


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def china_day_override(overrides=None, national=None):
    """The business calendar's day oracle without the database: a branch's days (date -> is a
    working day), optional national table rows (date -> (kind, name)), then the package."""
    national = national or {}
    return BusinessCalendarReader(
        branch_days={d: (working, "") for d, working in (overrides or {}).items()},
        national_days=national,
        table_years=frozenset(d.year for d in national),
    ).working_override


def office(overrides=None) -> BusinessCalendar:
    return BusinessCalendar(opening_hours=WEEKDAYS_9_TO_5, day_override=china_day_override(overrides))


def test_calendar_time_deadline_is_received_plus_the_limit_in_shanghai_time():
    received = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    due = sla.compute_due_at(received, hours=72, business_hours=False, calendar=None)
    assert due == sh(2026, 11, 30, 10, 0)
    assert due.tzinfo == SHANGHAI


def test_business_hours_skip_the_night():
    due = sla.compute_due_at(sh(2026, 11, 25, 15, 0), hours=4, business_hours=True, calendar=office())
    assert due == sh(2026, 11, 26, 11, 0)  # Wed 15–17 (2 h), Thu 9–11 (2 h)


def test_business_hours_skip_the_weekend():
    due = sla.compute_due_at(sh(2026, 11, 27, 16, 0), hours=2, business_hours=True, calendar=office())
    assert due == sh(2026, 11, 30, 10, 0)  # Fri 16–17, Mon 9–10


def test_a_complaint_received_before_opening_starts_counting_at_opening():
    due = sla.compute_due_at(sh(2026, 11, 23, 7, 30), hours=1, business_hours=True, calendar=office())
    assert due == sh(2026, 11, 23, 10, 0)


def test_a_limit_that_ends_exactly_at_closing_time_is_due_at_closing_not_next_morning():
    due = sla.compute_due_at(sh(2026, 11, 23, 9, 0), hours=8, business_hours=True, calendar=office())
    assert due == sh(2026, 11, 23, 17, 0)


def test_statutory_holidays_are_skipped_national_day_2026():
    # Wed 30 Sep 16:00: one hour that day, 1–7 October off, Thu 8 October 9–11.
    due = sla.compute_due_at(sh(2026, 9, 30, 16, 0), hours=3, business_hours=True, calendar=office())
    assert due == sh(2026, 10, 8, 11, 0)


def test_a_hall_open_every_day_is_still_closed_for_the_deadline_on_a_statutory_holiday():
    calendar = BusinessCalendar(opening_hours=EVERY_DAY_9_TO_6, day_override=china_day_override())
    due = sla.compute_due_at(sh(2026, 9, 30, 17, 0), hours=2, business_hours=True, calendar=calendar)
    assert due == sh(2026, 10, 8, 10, 0)


def test_a_make_up_working_day_counts_with_the_halls_weekday_hours():
    # Sat 10 October 2026 is a make-up working day (调休) for National Day.
    due = sla.compute_due_at(sh(2026, 10, 9, 16, 0), hours=3, business_hours=True, calendar=office())
    assert due == sh(2026, 10, 10, 11, 0)


def test_an_ordinary_saturday_does_not_count_for_a_weekday_hall():
    due = sla.compute_due_at(sh(2026, 10, 16, 16, 0), hours=3, business_hours=True, calendar=office())
    assert due == sh(2026, 10, 19, 11, 0)


def test_a_weekend_open_hall_counts_ordinary_saturdays():
    calendar = BusinessCalendar(opening_hours=EVERY_DAY_9_TO_6, day_override=china_day_override())
    due = sla.compute_due_at(sh(2026, 10, 16, 17, 0), hours=2, business_hours=True, calendar=calendar)
    assert due == sh(2026, 10, 17, 10, 0)


def test_a_branch_day_off_overrides_the_national_calendar_across_the_month_end():
    calendar = office({date(2026, 11, 30): False})
    due = sla.compute_due_at(sh(2026, 11, 27, 16, 0), hours=2, business_hours=True, calendar=calendar)
    assert due == sh(2026, 12, 1, 10, 0)


def test_a_branch_extra_working_day_counts_even_on_a_sunday():
    calendar = office({date(2026, 11, 29): True})
    due = sla.compute_due_at(sh(2026, 11, 27, 16, 0), hours=2, business_hours=True, calendar=calendar)
    assert due == sh(2026, 11, 29, 10, 0)


def test_a_branch_override_beats_a_statutory_holiday():
    calendar = office({date(2026, 10, 2): True})
    due = sla.compute_due_at(sh(2026, 9, 30, 16, 0), hours=3, business_hours=True, calendar=calendar)
    assert due == sh(2026, 10, 2, 11, 0)


def test_calendar_deadlines_cross_month_and_year_ends():
    assert sla.compute_due_at(sh(2026, 12, 31, 20, 0), hours=24, business_hours=False, calendar=None) == sh(
        2027, 1, 1, 20, 0
    )
    assert sla.compute_due_at(sh(2026, 11, 30, 16, 0), hours=2, business_hours=True, calendar=office()) == sh(
        2026, 12, 1, 10, 0
    )


def test_the_day_is_taken_in_shanghai_not_utc():
    # 23:30 UTC on Thursday is 07:30 on Friday in Shanghai: counting starts Friday 09:00.
    received = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    due = sla.compute_due_at(received, hours=1, business_hours=True, calendar=office())
    assert due == sh(2026, 11, 27, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        sla.compute_due_at(datetime(2026, 11, 27, 9), hours=1, business_hours=True, calendar=office())


def test_business_time_between_counts_only_open_hours():
    assert sla.business_time_between(
        sh(2026, 11, 27, 16, 0), sh(2026, 11, 30, 10, 30), office()
    ) == timedelta(hours=2, minutes=30)
    assert sla.business_time_between(sh(2026, 11, 30, 10, 0), sh(2026, 11, 27, 10, 0), office()) == timedelta(
        0
    )


def test_a_business_hours_pause_moves_the_deadline_by_the_paused_business_time():
    # Due Thu 11:00; waiting on the customer Wed 16:00 → Thu 10:00 is 2 business hours.
    due = sla.extend_for_pause(
        sh(2026, 11, 26, 11, 0),
        sh(2026, 11, 25, 16, 0),
        sh(2026, 11, 26, 10, 0),
        business_hours=True,
        calendar=office(),
    )
    assert due == sh(2026, 11, 26, 13, 0)


def test_a_pause_over_a_weekend_costs_no_business_time():
    due = sla.extend_for_pause(
        sh(2026, 11, 30, 12, 0),
        sh(2026, 11, 27, 17, 0),
        sh(2026, 11, 30, 9, 0),
        business_hours=True,
        calendar=office(),
    )
    assert due == sh(2026, 11, 30, 12, 0)


def test_a_calendar_time_pause_moves_the_deadline_by_the_wall_clock():
    due = sla.extend_for_pause(
        sh(2026, 11, 30, 12, 0),
        sh(2026, 11, 27, 17, 0),
        sh(2026, 11, 28, 11, 0),
        business_hours=False,
        calendar=None,
    )
    assert due == sh(2026, 12, 1, 6, 0)


def test_a_pause_that_pushes_past_closing_continues_next_business_day():
    due = sla.extend_for_pause(
        sh(2026, 11, 27, 16, 30),
        sh(2026, 11, 27, 9, 0),
        sh(2026, 11, 27, 10, 0),
        business_hours=True,
        calendar=office(),
    )
    assert due == sh(2026, 11, 30, 9, 30)


def test_a_hall_without_any_hours_cannot_count_business_time():
    with pytest.raises(ValueError):
        sla.add_business_time(sh(2026, 11, 27, 9, 0), timedelta(hours=1), BusinessCalendar(opening_hours={}))


def test_a_year_the_calendar_package_does_not_know_counts_days_as_ordinary():
    oracle = china_day_override({date(2099, 1, 2): False})
    assert oracle(date(2099, 1, 1)) is None
    assert oracle(date(2099, 1, 2)) is False


def test_national_table_days_count_for_a_year_the_package_does_not_know():
    oracle = china_day_override(
        {date(2099, 1, 3): False},
        national={date(2099, 1, 2): ("holiday", "X"), date(2099, 1, 3): ("makeup_workday", "X")},
    )
    assert oracle(date(2099, 1, 2)) is False  # a national holiday
    assert oracle(date(2099, 1, 3)) is False  # the branch's day off beats the national make-up day
    assert oracle(date(2099, 1, 5)) is None


def test_the_deadline_state_moves_from_on_track_to_due_soon_to_overdue():
    due = sh(2026, 11, 27, 12, 0)
    window = timedelta(hours=4)
    assert sla.deadline_state(due, sh(2026, 11, 27, 7, 59), due_soon=window) == "on_track"
    assert sla.deadline_state(due, sh(2026, 11, 27, 8, 0), due_soon=window) == "due_soon"
    assert sla.deadline_state(due, sh(2026, 11, 27, 12, 0), due_soon=window) == "overdue"


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(SHANGHAI)
    ),
    minutes=st.integers(min_value=0, max_value=120 * 60),
)
def test_adding_business_time_and_measuring_it_back_agree(start, minutes):
    calendar = office({date(2026, 11, 30): False})
    duration = timedelta(minutes=minutes)
    due = sla.add_business_time(start, duration, calendar)
    assert due >= start
    assert sla.business_time_between(start, due, calendar) == duration

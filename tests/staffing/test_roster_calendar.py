"""Rosters read the one business calendar (halls.business_calendar): a year without national
data rosters as ordinary days with a warning; national table days and branch days apply to the
requirement (a holiday takes Sunday's hours, a make-up working day Monday's).

The 2027 dates below are test fixtures, not the State Council's calendar."""

from datetime import date, time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from halls.business_calendar import branch_id_of
from halls.calendar_services import load_statutory_calendar_csv
from halls.models import BranchCalendarDay
from staffing import roster_services as services
from staffing.models import Assignment, Roster, Staff
from staffing.tasks import generate_roster
from tests.staffing.factories import ShiftTypeFactory, StaffFactory, qualify, weekly_opening_hours

pytestmark = pytest.mark.django_db

WARNING = "The statutory holiday calendar for 2027 has not been loaded"
TEST_2027 = (
    "date,kind,name\n"
    "2027-01-04,holiday,Test holiday\n"  # a Monday
    "2027-01-09,makeup_workday,Test holiday\n"  # a Saturday
)


@pytest.fixture
def setup(hall, hall_manager, clerk_staff, client):
    """Hall H001 open 09:00–17:00 Monday to Friday only, a day shift, a qualified clerk and a
    senior duty manager."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    weekly_opening_hours(hall, weekdays=range(5))
    shift = ShiftTypeFactory(hall=hall, code="D", name="Day", start=time(9), end=time(17))
    qualify(clerk_staff)
    duty = StaffFactory(hall=hall, name="Duty", post=Staff.Post.DUTY_MANAGER, star_level=4)
    return {"hall": hall, "actor": hall_manager, "D": shift, "clerk": clerk_staff, "duty": duty}


@time_machine.travel("2026-11-27 10:00 +0800", tick=True)
def test_a_2027_roster_generates_and_edits_without_error_and_warns(setup, client):
    hall, clerk = setup["hall"], setup["clerk"]
    client.force_login(setup["actor"])
    page = client.get(reverse("roster_generate", args=[hall.pk]))
    assert WARNING in page.content.decode()  # today is late 2026; January 2027 is within reach

    response = client.post(
        reverse("roster_generate", args=[hall.pk]),
        {
            "period_start": "2027-01-04",
            "period_end": "2027-01-10",
            "method": "rotation",
            "rotation_kind": "rolling",
            "cycle": "D D D D D - -",
            "time_limit_seconds": "20",
        },
    )
    roster = Roster.objects.get(hall=hall, method=Roster.Method.ROTATION)
    assert response.status_code == 302
    assert "2027-01-04" in roster.requirement  # no calendar: an ordinary Monday
    assert generate_roster(roster.pk) == "done"
    roster.refresh_from_db()
    assert roster.generation_status == Roster.Generation.DONE, roster.generation_error
    assert Assignment.objects.filter(roster=roster).exists()

    detail = client.get(reverse("roster_detail", args=[roster.pk]))
    assert detail.status_code == 200
    assert WARNING in detail.content.decode()
    assert detail.context["grid"].uncovered_years == (2027,)

    Assignment.objects.filter(roster=roster, staff=clerk, date=date(2027, 1, 5)).delete()
    edit = client.post(
        reverse("roster_cell", args=[roster.pk, clerk.pk, "2027-01-05"]), {"shift": str(setup["D"].pk)}
    )
    assert edit.status_code == 302
    assert Assignment.objects.filter(roster=roster, staff=clerk, date=date(2027, 1, 5)).exists()


def test_national_table_days_apply_to_the_roster_requirement_and_lift_the_warning(setup, client):
    hall = setup["hall"]
    before = services.compute_requirement(hall=hall, start=date(2027, 1, 4), end=date(2027, 1, 10))
    assert "2027-01-04" in before and "2027-01-09" not in before

    load_statutory_calendar_csv(actor=None, content=TEST_2027)

    after = services.compute_requirement(hall=hall, start=date(2027, 1, 4), end=date(2027, 1, 10))
    assert "2027-01-04" not in after  # the holiday takes Sunday's hours: closed
    assert sorted(after["2027-01-09"], key=int) == [str(h) for h in range(9, 17)]  # Monday's hours
    assert "2027-01-05" in after and "2027-01-10" not in after
    context = services.build_problem(hall=hall, start=date(2027, 1, 4), end=date(2027, 1, 10))
    assert context.problem.holidays == {date(2027, 1, 4)}
    assert context.problem.makeup_workdays == {date(2027, 1, 9)}
    assert context.calendar.uncovered_years == ()

    roster = services.create_roster(
        actor=setup["actor"], hall=hall, start=date(2027, 1, 4), end=date(2027, 1, 10)
    )
    client.force_login(setup["actor"])
    html = client.get(reverse("roster_detail", args=[roster.pk])).content.decode()
    assert WARNING not in html
    assert 'title="Test holiday"' in html


def test_a_branch_day_beats_the_national_calendar_in_rosters(setup):
    hall = setup["hall"]
    load_statutory_calendar_csv(actor=None, content=TEST_2027)
    branch_id = branch_id_of(hall.region)
    BranchCalendarDay.objects.create(branch_id=branch_id, date=date(2027, 1, 4), is_working_day=True)
    BranchCalendarDay.objects.create(branch_id=branch_id, date=date(2027, 1, 6), is_working_day=False)
    req = services.compute_requirement(hall=hall, start=date(2027, 1, 4), end=date(2027, 1, 10))
    assert "2027-01-04" in req  # the branch works the national holiday
    assert "2027-01-06" not in req  # the branch's own day off


def test_building_the_problem_costs_the_same_queries_for_one_week_and_nine(setup):
    hall = setup["hall"]
    load_statutory_calendar_csv(actor=None, content=TEST_2027)
    counts = []
    for end in (date(2027, 1, 10), date(2027, 3, 7)):
        with CaptureQueriesContext(connection) as queries:
            services.build_problem(hall=hall, start=date(2027, 1, 4), end=end)
        counts.append(len(queries))
    assert counts[0] == counts[1]

import datetime
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from halls.models import AuditEvent
from staffing import roster_services as services
from staffing.exceptions import RosterNotEditable, RosterRuleBroken
from staffing.models import Assignment, Leave, LoanRecord, Roster, Staff, StaffRequest, TrafficRecord
from staffing.roster_selectors import compare_rosters, roster_coverage
from staffing.rostering.erlang import agents_required
from staffing.tasks import generate_roster
from tests.staffing.factories import (
    ShiftTypeFactory,
    StaffFactory,
    make_assignment,
    qualify,
    weekly_opening_hours,
)
from tests.staffing.rostering.fixtures import english  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)


@pytest.fixture
def setup(hall, hall_manager):
    """Hall H001 open 09:00–17:00 daily, one day shift, five qualified clerks and a duty manager."""
    weekly_opening_hours(hall)
    day = ShiftTypeFactory(hall=hall, code="D", start=time(9), end=time(17), break_minutes=60)
    clerks = [StaffFactory(hall=hall, name=f"Clerk {i}", star_level=4 if i == 0 else 3) for i in range(5)]
    duty = StaffFactory(hall=hall, name="Duty", post=Staff.Post.DUTY_MANAGER)
    for person in clerks:
        qualify(person)
    return {"hall": hall, "actor": hall_manager, "D": day, "clerks": clerks, "duty": duty}


def add_traffic(hall, *, weekday: int, hour: int, tickets: int, handling: int, weeks: int = 8, before=MONDAY):
    first = before - timedelta(days=before.weekday()) - timedelta(weeks=weeks) + timedelta(days=weekday)
    TrafficRecord.objects.bulk_create(
        [
            TrafficRecord(
                hall=hall,
                hour=datetime.datetime.combine(first + timedelta(weeks=w), time(hour), tzinfo=ZONE),
                tickets_issued=tickets,
                transactions=tickets,
                avg_handling_seconds=handling,
            )
            for w in range(weeks)
        ]
    )


def test_requirement_is_the_larger_of_the_band_minimum_and_erlang_c_on_the_forecast(setup):
    hall = setup["hall"]
    add_traffic(hall, weekday=0, hour=10, tickets=60, handling=480)
    add_traffic(hall, weekday=0, hour=11, tickets=30, handling=480)
    add_traffic(hall, weekday=0, hour=12, tickets=6, handling=300)
    # Records older than eight weeks are not part of the forecast.
    add_traffic(
        hall, weekday=0, hour=12, tickets=500, handling=300, weeks=1, before=MONDAY - timedelta(weeks=8)
    )
    req = services.compute_requirement(hall=hall, start=MONDAY, end=SUNDAY)
    monday = req["2026-03-02"]
    assert sorted(monday, key=int) == [str(h) for h in range(9, 17)]
    assert monday["10"] == {"required": 9, "minimum": 4, "erlang": 9, "forecast": 60.0, "peak": True}
    erlang_11 = agents_required(
        arrivals=30, interval_seconds=3600, handling_seconds=480, target_level=0.8, target_seconds=600
    )
    assert monday["11"] == {
        "required": max(3, erlang_11),
        "minimum": 3,
        "erlang": erlang_11,
        "forecast": 30.0,
        "peak": False,
    }
    assert monday["12"]["required"] == 3 and monday["12"]["erlang"] == 1
    assert monday["9"] == {"required": 3, "minimum": 3, "erlang": 0, "forecast": None, "peak": False}
    assert req["2026-03-03"]["10"]["peak"] is False  # Tuesday has no history: minimums only


def test_holidays_follow_sunday_and_make_up_working_days_follow_monday(setup):
    hall = setup["hall"]
    hall.opening_hours.filter(weekday=6).delete()
    req = services.compute_requirement(hall=hall, start=date(2025, 9, 27), end=date(2025, 10, 8))
    assert "2025-10-01" not in req  # National Day: Sunday's hours, and the hall is closed on Sundays
    assert "2025-09-28" in req  # a Sunday worked in lieu opens like a Monday
    assert "2025-09-27" in req  # an ordinary Saturday


def test_a_year_without_holiday_data_is_rostered_as_ordinary_days_and_reported(setup):
    hall = setup["hall"]
    hall.opening_hours.filter(weekday=6).delete()
    roster = services.create_roster(
        actor=setup["actor"], hall=hall, start=date(2099, 3, 2), end=date(2099, 3, 8)
    )
    assert "2099-03-02" in roster.requirement  # a Monday: no calendar, so an ordinary weekday
    assert "2099-03-08" not in roster.requirement  # an ordinary Sunday: the hall is closed
    context = services.build_problem(hall=hall, start=roster.period_start, end=roster.period_end)
    assert context.calendar.uncovered_years == (2099,)
    assert context.problem.holidays == frozenset()


def test_problem_holds_lent_staff_leave_requests_and_qualifications(setup, other_hall):
    hall, clerks = setup["hall"], setup["clerks"]
    guest = StaffFactory(hall=other_hall, name="Guest")
    LoanRecord.objects.create(
        staff=guest, from_hall=other_hall, to_hall=hall, start_date=MONDAY, end_date=MONDAY + timedelta(1)
    )
    LoanRecord.objects.create(
        staff=clerks[1], from_hall=hall, to_hall=other_hall, start_date=SUNDAY, end_date=SUNDAY
    )
    Leave.objects.create(
        staff=clerks[2], kind="annual", start_date=MONDAY, end_date=MONDAY + timedelta(2), approved=True
    )
    Leave.objects.create(staff=clerks[3], kind="annual", start_date=MONDAY, end_date=SUNDAY, approved=False)
    StaffRequest.objects.create(staff=clerks[4], date=MONDAY, kind="day_off", weight=4)
    context = services.build_problem(hall=hall, start=MONDAY, end=SUNDAY)
    problem = context.problem
    assert problem.staff_member(guest.pk).available_days == {MONDAY, MONDAY + timedelta(1)}
    assert SUNDAY not in problem.staff_member(clerks[1].pk).available_days
    assert problem.staff_member(clerks[0].pk).available_days is None
    assert problem.leave == {(clerks[2].pk, MONDAY + timedelta(i)) for i in range(3)}
    assert [(r.staff_id, r.kind, r.weight) for r in problem.requests] == [(clerks[4].pk, "day_off", 4)]
    assert problem.staff_member(clerks[0].pk).senior and problem.staff_member(setup["duty"].pk).senior
    assert not problem.staff_member(clerks[1].pk).senior
    assert problem.staff_member(guest.pk).qualified_days == frozenset()
    assert len(problem.staff_member(clerks[1].pk).qualified_days) == 7
    assert problem.rules.max_hours == pytest.approx(44)


def test_build_problem_runs_a_fixed_number_of_queries(setup, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as small:
        services.build_problem(hall=setup["hall"], start=MONDAY, end=SUNDAY)
    for _ in range(20):
        qualify(StaffFactory(hall=setup["hall"]))
    with django_assert_max_num_queries(len(small.captured_queries)):
        services.build_problem(hall=setup["hall"], start=MONDAY, end=SUNDAY)


def generate(setup, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        roster = services.request_roster_generation(
            actor=setup["actor"], hall=setup["hall"], start=MONDAY, end=SUNDAY, time_limit_seconds=2, **kwargs
        )
    roster.refresh_from_db()
    return roster


def test_generation_meets_feasible_cover_and_a_second_run_changes_nothing(
    setup, django_capture_on_commit_callbacks
):
    roster = generate(setup, django_capture_on_commit_callbacks)
    assert roster.generation_status == "done" and roster.progress == 100
    assert roster.version == 1 and roster.method == "solver"
    assert roster.unmet == []
    assert roster.solver_status in ("OPTIMAL", "FEASIBLE")
    assert set(roster.penalties) >= {"under_cover", "over_cover"}
    assert sum(p["share"] for p in roster.penalties.values()) == pytest.approx(1.0, abs=1e-3)
    count = roster.assignments.count()
    assert count >= 21
    assert generate_roster(roster.pk) == "skipped"
    assert roster.assignments.count() == count
    coverage = roster_coverage(roster=roster)
    assert len(coverage) == 7 * 8 and all(c.gap == 0 for c in coverage)
    assert (
        AuditEvent.objects.filter(action="staffing.roster.generated", subject_id=str(roster.pk)).count() == 1
    )
    services.publish_roster(actor=setup["actor"], roster=roster)


def test_generation_with_too_few_staff_stores_a_roster_and_its_unmet_hours(
    setup, django_capture_on_commit_callbacks
):
    Staff.objects.filter(pk__in=[c.pk for c in setup["clerks"][1:]]).update(status=Staff.Status.LEFT)
    roster = generate(setup, django_capture_on_commit_callbacks)
    assert roster.generation_status == "done"
    assert roster.assignments.exists()
    assert roster.unmet
    assert {u["kind"] for u in roster.unmet} == {"staff"}
    gaps = {(c.day.isoformat(), c.hour): c.gap for c in roster_coverage(roster=roster) if c.gap}
    assert gaps == {(u["date"], u["hour"]): u["missing"] for u in roster.unmet}


def test_rotation_generation_applies_the_pattern(setup, django_capture_on_commit_callbacks):
    cycle = ["D", "D", "D", "D", "D", None, None]
    roster = generate(
        setup,
        django_capture_on_commit_callbacks,
        method="rotation",
        rotation={"kind": "rolling", "cycle": cycle},
    )
    assert roster.generation_status == "done" and roster.solver_status == "ROTATION"
    first = setup["clerks"][0]
    days = sorted(roster.assignments.filter(staff=first).values_list("date", flat=True))
    assert len(days) == 5
    assert roster.assignments.filter(staff=first).first().post == "window"


def test_a_bad_rotation_pattern_is_refused_before_anything_is_saved(setup):
    from staffing.exceptions import RosterGenerationRefused

    with pytest.raises(RosterGenerationRefused, match="rotation"):
        services.request_roster_generation(
            actor=setup["actor"],
            hall=setup["hall"],
            start=MONDAY,
            end=SUNDAY,
            method="rotation",
            rotation={"kind": "x"},
        )
    assert not Roster.objects.exists()


def test_edits_are_validated_and_a_rule_break_is_refused_with_its_message(setup):
    hall, actor, day_shift = setup["hall"], setup["actor"], setup["D"]
    late = ShiftTypeFactory(hall=hall, code="L", start=time(13), end=time(21), break_minutes=0)
    early = ShiftTypeFactory(hall=hall, code="E", start=time(7), end=time(15), break_minutes=0)
    roster = services.create_roster(actor=actor, hall=hall, start=MONDAY, end=SUNDAY)
    clerk = setup["clerks"][1]
    made = services.edit_assignment(actor=actor, roster=roster, staff=clerk, day=MONDAY, shift_type=late)
    assert (made.post, made.starts_at) == ("window", datetime.datetime(2026, 3, 2, 13, tzinfo=ZONE))
    with pytest.raises(RosterRuleBroken) as info:
        services.edit_assignment(
            actor=actor, roster=roster, staff=clerk, day=MONDAY + timedelta(1), shift_type=early
        )
    assert info.value.message == (
        "Clerk 1 would rest only 10 h between L and E on 2026-03-03; at least 11 h are required."
    )
    Leave.objects.create(staff=clerk, kind="sick", start_date=SUNDAY, end_date=SUNDAY, approved=True)
    with pytest.raises(RosterRuleBroken, match="on approved leave on 2026-03-08"):
        services.edit_assignment(actor=actor, roster=roster, staff=clerk, day=SUNDAY, shift_type=day_shift)
    services.edit_assignment(actor=actor, roster=roster, staff=clerk, day=MONDAY, shift_type=None)
    assert not roster.assignments.exists()
    assert AuditEvent.objects.filter(action="staffing.roster.assignment_changed").count() == 2


def test_an_unqualified_person_cannot_be_put_on_a_window(setup):
    roster = services.create_roster(actor=setup["actor"], hall=setup["hall"], start=MONDAY, end=SUNDAY)
    newcomer = StaffFactory(hall=setup["hall"], name="Newcomer")
    with pytest.raises(RosterRuleBroken, match="Newcomer holds no valid window qualification on 2026-03-02"):
        services.edit_assignment(
            actor=setup["actor"],
            roster=roster,
            staff=newcomer,
            day=MONDAY,
            shift_type=setup["D"],
            post="window",
        )
    made = services.edit_assignment(
        actor=setup["actor"], roster=roster, staff=newcomer, day=MONDAY, shift_type=setup["D"]
    )
    assert made.post == "guide"


def test_publishing_refuses_broken_rules_then_supersedes_the_previous_version(setup):
    hall, actor = setup["hall"], setup["actor"]
    first = services.create_roster(actor=actor, hall=hall, start=MONDAY, end=SUNDAY)
    with pytest.raises(RosterRuleBroken, match=r"breaks 7 rule\(s\): No senior"):
        services.publish_roster(actor=actor, roster=first)
    duty = setup["duty"]
    senior_clerk = setup["clerks"][0]
    for i in range(7):
        person = duty if i < 6 else senior_clerk
        make_assignment(
            first, person, MONDAY + timedelta(i), setup["D"], post="duty" if person == duty else "window"
        )
    services.publish_roster(actor=actor, roster=first)
    second = services.create_roster(actor=actor, hall=hall, start=MONDAY, end=SUNDAY)
    assert second.version == 2
    for a in first.assignments.all():
        make_assignment(second, a.staff, a.date, a.shift_type, post=a.post)
    services.edit_assignment(
        actor=actor, roster=second, staff=senior_clerk, day=MONDAY, shift_type=setup["D"]
    )
    with pytest.raises(RosterNotEditable):
        services.edit_assignment(actor=actor, roster=first, staff=senior_clerk, day=MONDAY, shift_type=None)
    second = services.publish_roster(actor=actor, roster=second)
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "published")
    event = AuditEvent.objects.get(action="staffing.roster.published", subject_id=str(second.pk))
    assert event.data == {"version": 2, "superseded": [first.pk]}
    [change] = compare_rosters(old=first, new=second)
    assert (change.staff_id, change.day, change.before, change.after, change.kind) == (
        senior_clerk.pk,
        MONDAY,
        None,
        "D",
        "added",
    )


def test_someone_else_cannot_edit_or_publish_this_halls_roster(setup, other_hall_manager):
    from django.core.exceptions import PermissionDenied

    roster = services.create_roster(actor=setup["actor"], hall=setup["hall"], start=MONDAY, end=SUNDAY)
    with pytest.raises(PermissionDenied):
        services.publish_roster(actor=other_hall_manager, roster=roster)
    with pytest.raises(PermissionDenied):
        services.edit_assignment(
            actor=other_hall_manager, roster=roster, staff=setup["duty"], day=MONDAY, shift_type=setup["D"]
        )


def test_clerk_files_own_request_but_not_for_a_colleague(setup, clerk, clerk_staff):
    from staffing.exceptions import StaffRequestInvalid

    request = services.submit_staff_request(
        actor=clerk, staff=clerk_staff, day=MONDAY, kind="day_off", weight=3
    )
    assert (request.staff, request.weight) == (clerk_staff, 3)
    with pytest.raises(StaffRequestInvalid, match="yourself"):
        services.submit_staff_request(actor=clerk, staff=setup["clerks"][0], day=MONDAY, kind="day_off")
    with pytest.raises(StaffRequestInvalid, match="Name the shift"):
        services.submit_staff_request(
            actor=setup["actor"], staff=setup["clerks"][0], day=MONDAY, kind="want_shift"
        )
    assert Assignment.objects.count() == 0

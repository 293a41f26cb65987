import datetime
from datetime import date, time

import pytest
from django.db import IntegrityError, transaction

from staffing.models import LoanRecord, Roster, StaffRequest, TrafficRecord
from tests.staffing.factories import (
    RosterFactory,
    ShiftTypeFactory,
    StaffFactory,
    make_assignment,
    qualify,
)

pytestmark = pytest.mark.django_db


def violates(name):
    return pytest.raises(IntegrityError, match=name)


def test_one_person_never_holds_two_overlapping_shifts_in_a_roster(hall):
    roster = RosterFactory(hall=hall)
    early = ShiftTypeFactory(hall=hall, code="E", start=time(8), end=time(16))
    late = ShiftTypeFactory(hall=hall, code="L", start=time(12), end=time(20))
    evening = ShiftTypeFactory(hall=hall, code="V", start=time(16), end=time(21))
    person = StaffFactory(hall=hall)
    make_assignment(roster, person, date(2026, 3, 2), early)
    make_assignment(roster, person, date(2026, 3, 2), evening)  # touching, not overlapping
    with violates("assignment_no_overlapping_shifts"), transaction.atomic():
        make_assignment(roster, person, date(2026, 3, 2), late)
    make_assignment(roster, StaffFactory(hall=hall), date(2026, 3, 2), late)
    other_version = RosterFactory(hall=hall)
    make_assignment(other_version, person, date(2026, 3, 2), late)


def test_qualifications_of_one_person_and_post_never_overlap(hall):
    person = StaffFactory(hall=hall)
    qualify(person, granted_on=date(2025, 1, 1), expires_on=date(2025, 12, 31))
    qualify(person, post="vip", granted_on=date(2025, 6, 1))
    qualify(person, granted_on=date(2026, 1, 1), expires_on=None)
    with violates("qualification_no_overlap_per_staff_post"), transaction.atomic():
        qualify(person, granted_on=date(2025, 12, 31), expires_on=date(2026, 1, 5))
    with violates("qualification_expires_after_grant"), transaction.atomic():
        qualify(StaffFactory(hall=hall), granted_on=date(2026, 1, 2), expires_on=date(2026, 1, 1))


def test_a_hall_has_one_published_roster_for_any_day(hall):
    now = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    RosterFactory(hall=hall, status=Roster.Status.PUBLISHED, published_at=now)
    RosterFactory(hall=hall, status=Roster.Status.DRAFT)
    with violates("roster_one_published_per_hall_and_day"), transaction.atomic():
        RosterFactory(
            hall=hall,
            period_start=date(2026, 3, 8),
            period_end=date(2026, 3, 14),
            status="published",
            published_at=now,
        )
    RosterFactory(
        hall=hall,
        period_start=date(2026, 3, 9),
        period_end=date(2026, 3, 15),
        status="published",
        published_at=now,
    )


def test_shift_types_are_checked_by_the_database(hall):
    ShiftTypeFactory(hall=hall, code="D")
    with violates("shift_type_code_unique_per_hall"), transaction.atomic():
        ShiftTypeFactory(hall=hall, code="D")
    with violates("shift_type_starts_before_end"), transaction.atomic():
        ShiftTypeFactory(hall=hall, code="X", start=time(17), end=time(9))
    with violates("shift_type_colour_hex"), transaction.atomic():
        ShiftTypeFactory(hall=hall, code="Y", colour="red")


def test_a_request_names_a_shift_exactly_when_it_is_about_one(hall):
    person = StaffFactory(hall=hall)
    shift = ShiftTypeFactory(hall=hall)
    StaffRequest.objects.create(staff=person, date=date(2026, 3, 2), kind="day_off")
    with violates("staff_request_unique"), transaction.atomic():
        StaffRequest.objects.create(staff=person, date=date(2026, 3, 2), kind="day_off")
    with violates("staff_request_shift_matches_kind"), transaction.atomic():
        StaffRequest.objects.create(staff=person, date=date(2026, 3, 3), kind="want_shift")
    with violates("staff_request_weight_1_to_10"), transaction.atomic():
        StaffRequest.objects.create(
            staff=person, date=date(2026, 3, 3), kind="avoid_shift", shift_type=shift, weight=11
        )


def test_traffic_has_one_record_per_hall_and_hour(hall):
    hour = datetime.datetime(2026, 3, 2, 1, tzinfo=datetime.UTC)
    TrafficRecord.objects.create(
        hall=hall, hour=hour, tickets_issued=5, transactions=5, avg_handling_seconds=300
    )
    with violates("traffic_record_one_per_hall_hour"), transaction.atomic():
        TrafficRecord.objects.create(
            hall=hall, hour=hour, tickets_issued=1, transactions=1, avg_handling_seconds=1
        )


def test_loans_of_one_person_never_overlap(hall, other_hall):
    person = StaffFactory(hall=hall)
    LoanRecord.objects.create(
        staff=person,
        from_hall=hall,
        to_hall=other_hall,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 4),
    )
    with violates("loan_no_overlap_per_staff"), transaction.atomic():
        LoanRecord.objects.create(
            staff=person,
            from_hall=hall,
            to_hall=other_hall,
            start_date=date(2026, 3, 4),
            end_date=date(2026, 3, 6),
        )
    with violates("loan_to_another_hall"), transaction.atomic():
        LoanRecord.objects.create(
            staff=person,
            from_hall=hall,
            to_hall=hall,
            start_date=date(2026, 3, 10),
            end_date=date(2026, 3, 11),
        )


def test_clerks_see_only_published_rosters_of_their_hall_and_managers_see_drafts(cast, clerk_staff):
    now = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    draft = RosterFactory(hall=cast.hall)
    published = RosterFactory(
        hall=cast.hall,
        period_start=date(2026, 3, 9),
        period_end=date(2026, 3, 15),
        status="published",
        published_at=now,
    )
    elsewhere = RosterFactory(hall=cast.other_hall)
    assert set(Roster.objects.visible_to(cast.clerk)) == {published}
    assert set(Roster.objects.visible_to(cast.hall_manager)) == {draft, published}
    assert set(Roster.objects.visible_to(cast.branch_manager)) == {draft, published, elsewhere}
    assert set(Roster.objects.visible_to(cast.other_hall_manager)) == {elsewhere}

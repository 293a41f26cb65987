from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from halls.models import AuditEvent
from staffing.exceptions import QualificationInvalid, QualificationOverlap
from staffing.models import Qualification
from staffing.qualifications import grant_qualification, is_qualified, qualified_days
from tests.staffing.factories import StaffFactory, qualify
from tests.staffing.rostering.fixtures import english  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db


def test_a_window_needs_a_qualification_valid_on_the_day(hall):
    person = StaffFactory(hall=hall)
    qualify(person, granted_on=date(2026, 1, 1), expires_on=date(2026, 6, 30))
    assert is_qualified(person, "window", on=date(2026, 1, 1))
    assert is_qualified(person, "window", on=date(2026, 6, 30))
    assert not is_qualified(person, "window", on=date(2026, 7, 1))
    assert not is_qualified(person, "window", on=date(2025, 12, 31))
    assert is_qualified(person, "guide", on=date(2025, 12, 31))


def test_qualified_days_cover_only_the_valid_dates_in_the_period(hall):
    a, b, c = StaffFactory(hall=hall), StaffFactory(hall=hall), StaffFactory(hall=hall)
    qualify(a, granted_on=date(2026, 3, 4))
    qualify(b, granted_on=date(2025, 1, 1), expires_on=date(2026, 3, 3))
    days = qualified_days(
        staff_ids=[a.pk, b.pk, c.pk], post="window", start=date(2026, 3, 2), end=date(2026, 3, 5)
    )
    assert days == {
        a.pk: {date(2026, 3, 4), date(2026, 3, 5)},
        b.pk: {date(2026, 3, 2), date(2026, 3, 3)},
        c.pk: frozenset(),
    }


def test_granting_records_the_qualification_and_an_audit_row(hall, hall_manager):
    person = StaffFactory(hall=hall)
    q = grant_qualification(
        actor=hall_manager,
        staff=person,
        post="window",
        granted_on=date(2026, 3, 1),
        expires_on=date(2027, 2, 28),
        source_ref="exam:42",
    )
    assert (q.source, q.source_ref) == ("training", "exam:42")
    event = AuditEvent.objects.get(action="staffing.qualification.granted")
    assert event.data == {
        "staff": person.employee_no,
        "post": "window",
        "from": "2026-03-01",
        "until": "2027-02-28",
    }
    assert event.hall == hall


def test_an_overlapping_or_backwards_grant_is_refused_and_nothing_is_saved(hall, hall_manager):
    person = StaffFactory(hall=hall)
    grant_qualification(
        actor=hall_manager, staff=person, post="window", granted_on=date(2026, 1, 1), expires_on=None
    )
    with pytest.raises(QualificationOverlap, match="already holds a qualification"):
        grant_qualification(
            actor=hall_manager,
            staff=person,
            post="window",
            granted_on=date(2027, 1, 1),
            expires_on=date(2027, 12, 31),
        )
    with pytest.raises(QualificationInvalid, match="cannot expire before"):
        grant_qualification(
            actor=hall_manager,
            staff=person,
            post="vip",
            granted_on=date(2026, 2, 1),
            expires_on=date(2026, 1, 1),
        )
    assert Qualification.objects.count() == 1


def test_another_halls_manager_cannot_grant(hall, other_hall_manager):
    with pytest.raises(PermissionDenied):
        grant_qualification(
            actor=other_hall_manager,
            staff=StaffFactory(hall=hall),
            post="window",
            granted_on=date(2026, 1, 1),
            expires_on=None,
        )

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, transaction

from complaints import services
from complaints.exceptions import ClerkNotInHall
from complaints.masking import phone_hash
from complaints.models import Complaint, ComplaintEvent, SlaPolicy
from complaints.sla import SHANGHAI
from halls.exceptions import DomainError
from halls.models import AuditEvent, OpeningHours
from tests.complaints.conftest import NOW
from tests.staffing.factories import StaffFactory


def intake(actor, hall, **overrides):
    values = {
        "actor": actor,
        "hall": hall,
        "channel": "hotline",
        "customer_name": "李四",
        "customer_phone": "+86 139-0000-1111",
        "category": "billing",
        "subject": "话费多扣",
    }
    values.update(overrides)
    return services.create_complaint(**values)


@pytest.mark.django_db
def test_intake_numbers_complaints_per_month_and_records_the_first_receiver(cast, frozen):
    first = intake(cast.clerk, cast.hall)
    second = intake(cast.hall_manager, cast.hall)
    assert (first.number, second.number) == ("TS202611-000001", "TS202611-000002")
    assert first.first_receiver == cast.clerk and first.current_handler is None
    assert first.status == "received" and first.version == 1
    frozen.move_to(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))
    # Numbered by the month it was received in (Shanghai): 1 Dec 00:05 is 30 Nov in UTC.
    december = intake(cast.clerk, cast.hall, received_at=datetime(2026, 12, 1, 0, 5, tzinfo=SHANGHAI))
    assert december.number == "TS202612-000001"
    assert intake(cast.clerk, cast.hall).number == "TS202612-000002"


@pytest.mark.django_db
def test_intake_writes_the_first_timeline_event_and_an_audit_row(cast, frozen):
    complaint = intake(cast.clerk, cast.hall)
    event = ComplaintEvent.objects.get(complaint=complaint)
    assert (event.kind, event.actor, event.to_status) == ("received", cast.clerk, "received")
    audit = AuditEvent.objects.for_object(complaint).get()
    assert (audit.action, audit.actor, audit.hall) == ("complaints.complaint.received", cast.clerk, cast.hall)
    assert audit.data == {"number": "TS202611-000001", "channel": "hotline", "severity": "normal"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("severity", "channel", "hours"),
    [
        ("normal", "hotline", 72),
        ("sensitive", "online", 48),
        ("major", "hall_counter", 24),
        ("normal", "regulator", 24),
    ],
)
def test_deadlines_come_from_the_policy_table_by_severity_and_channel(cast, frozen, severity, channel, hours):
    complaint = intake(cast.clerk, cast.hall, severity=severity, channel=channel)
    assert complaint.sla_hours == hours
    assert complaint.due_at == NOW + timedelta(hours=hours)


@pytest.mark.django_db
def test_a_channel_specific_policy_beats_the_severity_default(cast, frozen):
    SlaPolicy.objects.create(severity="normal", channel="social_media", resolve_hours=12, due_soon_minutes=60)
    assert intake(cast.clerk, cast.hall, channel="social_media").due_at == NOW + timedelta(hours=12)
    assert intake(cast.clerk, cast.hall, channel="online").due_at == NOW + timedelta(hours=72)


@pytest.mark.django_db
def test_a_business_hours_policy_counts_the_halls_opening_hours_and_branch_days(cast, frozen):
    SlaPolicy.objects.filter(severity="normal", channel__isnull=True).update(
        resolve_hours=16, count_business_hours=True
    )
    for weekday in range(5):
        OpeningHours.objects.create(hall=cast.hall, weekday=weekday, opens_at=time(9), closes_at=time(17))
    services.set_branch_calendar_day(
        actor=cast.branch_manager,
        branch=cast.hall.region.parent,
        day=datetime(2026, 11, 27).date(),
        is_working_day=False,
    )
    complaint = intake(cast.clerk, cast.hall)
    # Wed 10–17 (7 h), Thu 9–17 (8 h), Fri is the branch's day off, Mon 9–10 (1 h).
    assert complaint.due_at == datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    assert complaint.sla_business_hours is True


@pytest.mark.django_db
def test_only_a_branch_manager_of_the_branch_sets_its_calendar_days(cast, frozen):
    branch = cast.hall.region.parent
    with pytest.raises(DomainError):
        services.set_branch_calendar_day(
            actor=cast.hall_manager, branch=branch, day=datetime(2026, 12, 1).date(), is_working_day=False
        )
    with pytest.raises(DomainError):
        services.set_branch_calendar_day(
            actor=cast.branch_manager,
            branch=cast.foreign_hall.region.parent,
            day=datetime(2026, 12, 1).date(),
            is_working_day=False,
        )
    override = services.set_branch_calendar_day(
        actor=cast.branch_manager,
        branch=branch,
        day=datetime(2026, 12, 1).date(),
        is_working_day=False,
        note="台风",
    )
    assert AuditEvent.objects.for_object(override).get().action == "complaints.calendar_day.set"


@pytest.mark.django_db
def test_intake_refuses_clerks_of_another_hall_and_a_future_time(cast, frozen):
    stranger = StaffFactory(hall=cast.other_hall)
    with pytest.raises(ClerkNotInHall):
        intake(cast.clerk, cast.hall, clerks=[stranger])
    with pytest.raises(DomainError) as error:
        intake(cast.clerk, cast.hall, received_at=NOW + timedelta(hours=1))
    assert error.value.field == "received_at"
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_intake_in_a_hall_outside_ones_roles_is_forbidden(cast, frozen):
    for actor, hall in [
        (cast.other_hall_manager, cast.hall),
        (cast.clerk, cast.other_hall),
        (cast.inspector, cast.hall),
    ]:
        with pytest.raises(PermissionDenied):
            intake(actor, hall)


@pytest.mark.django_db
def test_the_phone_hash_ignores_formatting_so_repeat_callers_match(cast, frozen):
    complaint = intake(cast.clerk, cast.hall, customer_phone="+86 139-0000-1111")
    assert complaint.phone_hash == phone_hash("13900001111") != phone_hash("13900001112")


@pytest.mark.django_db
def test_the_database_refuses_a_changed_first_receiver_or_number(cast, frozen):
    complaint = intake(cast.clerk, cast.hall)
    with pytest.raises(DatabaseError, match="complaint_first_receiver_read_only"), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(first_receiver=cast.hall_manager)
    with pytest.raises(DatabaseError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(number="TS000000-000001")
    assert Complaint.objects.get(pk=complaint.pk).first_receiver == cast.clerk


@pytest.mark.django_db
def test_the_database_refuses_a_closed_complaint_without_reply_or_root_cause(cast, frozen):
    complaint = intake(cast.clerk, cast.hall)
    with pytest.raises(IntegrityError, match="complaint_assigned_has_handler"), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(status="assigned")
    with pytest.raises(IntegrityError, match="complaint_replied_has_reply"), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(status="replied", current_handler=cast.clerk)
    with (
        pytest.raises(IntegrityError, match="complaint_closed_has_root_cause_and_satisfaction"),
        transaction.atomic(),
    ):
        Complaint.objects.filter(pk=complaint.pk).update(
            status="closed", current_handler=cast.clerk, reply="已退费", replied_at=NOW
        )


@pytest.mark.django_db
def test_business_hours_deadlines_read_the_national_table_and_branch_days_for_2027(cast, frozen):
    """2027 is not in the chinese-calendar package: without table rows its days are ordinary and
    the deadline is still computed; entered days (test fixtures, not the real 2027 calendar) then
    apply, and the branch's own day beats them."""
    from halls.calendar_services import load_statutory_calendar_csv

    SlaPolicy.objects.filter(severity="normal", channel__isnull=True).update(
        resolve_hours=9, count_business_hours=True
    )
    for weekday in range(5):
        OpeningHours.objects.create(hall=cast.hall, weekday=weekday, opens_at=time(9), closes_at=time(17))
    frozen.move_to(datetime(2026, 12, 31, 16, 0, tzinfo=SHANGHAI))
    # Thu 31 Dec 16–17 (1 h), Fri 1 Jan 9–17 (8 h): no calendar for 2027, so an ordinary Friday.
    assert intake(cast.clerk, cast.hall).due_at == datetime(2027, 1, 1, 17, 0, tzinfo=SHANGHAI)

    load_statutory_calendar_csv(
        actor=None, content="date,kind,name\n2027-01-01,holiday,Test\n2027-01-04,holiday,Test\n"
    )
    # 1 h on Thursday, Friday and Monday are holidays, Tue 5 Jan 9–17.
    assert intake(cast.clerk, cast.hall).due_at == datetime(2027, 1, 5, 17, 0, tzinfo=SHANGHAI)

    services.set_branch_calendar_day(
        actor=cast.branch_manager,
        branch=cast.hall.region.parent,
        day=datetime(2027, 1, 4).date(),
        is_working_day=True,
    )
    assert intake(cast.clerk, cast.hall).due_at == datetime(2027, 1, 4, 17, 0, tzinfo=SHANGHAI)

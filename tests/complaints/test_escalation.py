from datetime import timedelta

import pytest
from django.core import mail

from complaints import services
from complaints.deadline_services import escalation_dedup_key, process_complaint_deadlines
from complaints.escalation import escalation_steps
from complaints.models import Complaint, Escalation
from complaints.tasks import check_complaint_deadlines
from halls.models import AuditEvent, Notification
from tests.complaints.conftest import NOW
from tests.complaints.factories import ComplaintFactory


def notifications():
    """(recipient, escalation kind, level) of every notification, through its dedup key."""
    steps = {escalation_dedup_key(e): (e.kind, e.level) for e in Escalation.objects.all()}
    return sorted(
        (username, *steps[key])
        for username, key in Notification.objects.values_list("recipient__username", "dedup_key")
    )


@pytest.mark.django_db
def test_the_escalation_rules_climb_from_handler_to_hall_manager_to_branch_manager():
    hour = timedelta(hours=1)
    assert escalation_steps(severity="normal", state="on_track", overdue_for=-hour, branch_after=hour) == []
    assert escalation_steps(severity="normal", state="due_soon", overdue_for=-hour, branch_after=hour) == [
        ("due_soon", 0)
    ]
    assert escalation_steps(severity="normal", state="overdue", overdue_for=hour / 2, branch_after=hour) == [
        ("overdue", 1)
    ]
    assert escalation_steps(severity="normal", state="overdue", overdue_for=hour, branch_after=hour) == [
        ("overdue", 1),
        ("overdue", 2),
    ]
    assert escalation_steps(severity="sensitive", state="on_track", overdue_for=-hour, branch_after=hour) == [
        ("sensitive", 1)
    ]
    assert escalation_steps(severity="sensitive", state="due_soon", overdue_for=-hour, branch_after=hour) == [
        ("sensitive", 1),
        ("sensitive", 2),
        ("due_soon", 0),
    ]
    assert escalation_steps(severity="major", state="on_track", overdue_for=-hour, branch_after=hour) == [
        ("sensitive", 1),
        ("sensitive", 2),
    ]


@pytest.mark.django_db
def test_the_deadline_job_marks_escalates_and_notifies_once_however_often_it_runs(
    in_progress, cast, frozen, django_capture_on_commit_callbacks
):
    # Normal complaint, 72 h limit, due soon 8 h before, branch escalation 24 h after the deadline.
    frozen.shift(timedelta(hours=65))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            process_complaint_deadlines(hall_id=cast.hall.pk)
    in_progress.refresh_from_db()
    assert in_progress.sla_state == "due_soon"
    assert notifications() == [("clerk", "due_soon", 0)]
    assert [m.to for m in mail.outbox] == [["clerk@example.com"]]

    frozen.shift(timedelta(hours=8))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            run = process_complaint_deadlines(hall_id=cast.hall.pk)
    assert (run.escalations, run.notifications) == (0, 0)
    in_progress.refresh_from_db()
    assert in_progress.sla_state == "overdue"
    assert notifications() == [("clerk", "due_soon", 0), ("hall-manager", "overdue", 1)]

    frozen.shift(timedelta(hours=24))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            process_complaint_deadlines(hall_id=cast.hall.pk)
    assert notifications() == [
        ("branch-manager", "overdue", 2),
        ("clerk", "due_soon", 0),
        ("hall-manager", "overdue", 1),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "branch-manager@example.com",
        "clerk@example.com",
        "hall-manager@example.com",
    ]
    kinds = list(
        in_progress.events.filter(kind__in=["due_soon", "overdue", "escalated"]).values_list(
            "kind", flat=True
        )
    )
    assert kinds == ["due_soon", "escalated", "overdue", "escalated", "escalated"]
    assert AuditEvent.objects.filter(action="complaints.complaint.escalated").count() == 3


@pytest.mark.django_db
def test_the_beat_task_run_twice_sends_nothing_twice(cast, frozen, django_capture_on_commit_callbacks):
    ComplaintFactory(hall=cast.hall, severity="major", due_at=NOW + timedelta(hours=24), due_soon_minutes=240)
    ComplaintFactory(hall=cast.other_hall, due_at=NOW - timedelta(minutes=1), current_handler=None)
    ComplaintFactory(hall=cast.foreign_hall, due_at=NOW + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert check_complaint_deadlines() == 3
    first = notifications()
    with django_capture_on_commit_callbacks(execute=True):
        check_complaint_deadlines()
    assert (
        notifications()
        == first
        == [
            ("branch-manager", "overdue", 2),
            ("branch-manager", "sensitive", 2),
            ("hall-manager", "sensitive", 1),
            ("other-hall-manager", "overdue", 1),
        ]
    )
    assert len(mail.outbox) == 4
    assert Escalation.objects.count() == 4


@pytest.mark.django_db
def test_an_unassigned_complaint_due_soon_reminds_the_hall_manager(cast, frozen):
    ComplaintFactory(hall=cast.hall, due_at=NOW + timedelta(hours=1), due_soon_minutes=120)
    process_complaint_deadlines(hall_id=cast.hall.pk)
    assert notifications() == [("hall-manager", "due_soon", 0)]


@pytest.mark.django_db
def test_paused_and_replied_complaints_are_not_escalated(cast, frozen):
    ComplaintFactory(
        hall=cast.hall,
        status="in_progress",
        current_handler=cast.clerk,
        paused_at=NOW,
        due_at=NOW - timedelta(hours=1),
    )
    ComplaintFactory(
        hall=cast.hall,
        status="replied",
        current_handler=cast.clerk,
        reply="已回复",
        replied_at=NOW,
        due_at=NOW - timedelta(hours=1),
    )
    run = process_complaint_deadlines(hall_id=cast.hall.pk)
    assert (run.marked, run.escalations) == ({"due_soon": 0, "overdue": 0}, 0)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_reopened_complaint_is_escalated_again_in_its_new_cycle(cast, frozen):
    complaint = ComplaintFactory(
        hall=cast.hall,
        status="in_progress",
        current_handler=cast.clerk,
        due_at=NOW - timedelta(minutes=5),
        branch_escalation_minutes=60,
    )
    process_complaint_deadlines(hall_id=cast.hall.pk)
    services.reply_to_customer(actor=cast.clerk, complaint=complaint, reply="已处理", root_cause="系统故障")
    services.reopen_complaint(actor=cast.clerk, complaint=complaint, reason="客户不认可")
    frozen.shift(timedelta(hours=73))
    process_complaint_deadlines(hall_id=cast.hall.pk)
    assert sorted(Escalation.objects.values_list("kind", "level", "cycle")) == [
        ("overdue", 1, 0),
        ("overdue", 1, 1),
        ("overdue", 2, 1),
    ]


@pytest.mark.django_db
def test_a_paused_complaint_is_not_overdue_at_its_original_deadline(in_progress, cast, frozen):
    frozen.shift(timedelta(hours=66))
    process_complaint_deadlines(hall_id=cast.hall.pk)
    services.pause_complaint(actor=cast.clerk, complaint=in_progress, reason="等客户回电")
    frozen.shift(timedelta(hours=48))
    process_complaint_deadlines(hall_id=cast.hall.pk)
    complaint = services.resume_complaint(actor=cast.clerk, complaint=in_progress)
    # Six of the 72 hours were left when the clock stopped: still due soon, not overdue.
    assert complaint.sla_state == "due_soon"
    assert Complaint.objects.get(pk=complaint.pk).due_at == NOW + timedelta(hours=72 + 48)
    process_complaint_deadlines(hall_id=cast.hall.pk)
    assert notifications() == [("clerk", "due_soon", 0)]

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from complaints import services
from complaints.exceptions import (
    ComplaintIncomplete,
    ComplaintNotHandler,
    ComplaintPaused,
    ComplaintVersionConflict,
    HandlerNotAllowed,
    TransitionNotAllowed,
)
from complaints.models import Complaint, ComplaintEvent
from complaints.sla import SHANGHAI
from halls.models import AuditEvent
from tests.complaints.conftest import NOW
from tests.complaints.factories import ComplaintFactory


def audit_actions(complaint) -> list[str]:
    return list(AuditEvent.objects.for_object(complaint).order_by("id").values_list("action", flat=True))


@pytest.mark.django_db
def test_a_complaint_goes_from_received_to_closed_with_a_timeline_and_audit(received, cast, frozen):
    c = services.assign_complaint(
        actor=cast.hall_manager, complaint=received, handler=cast.clerk, expected_version=1
    )
    c = services.start_handling(actor=cast.clerk, complaint=c, expected_version=2)
    services.add_complaint_note(actor=cast.clerk, complaint=c, message="已联系客户")
    frozen.shift(timedelta(hours=5))
    c = services.reply_to_customer(
        actor=cast.clerk,
        complaint=c,
        reply="已致歉并培训",
        root_cause="营业员服务用语不规范",
        expected_version=3,
    )
    c = services.close_complaint(actor=cast.clerk, complaint=c, satisfaction="satisfied", expected_version=4)
    c.refresh_from_db()
    assert (c.status, c.version, c.met_deadline, c.satisfaction) == ("closed", 5, True, "satisfied")
    assert c.first_receiver == cast.clerk and c.current_handler == cast.clerk
    assert c.replied_at == NOW + timedelta(hours=5) and c.closed_at == NOW + timedelta(hours=5)
    kinds = list(c.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [
        ("received", "", "received"),
        ("assigned", "received", "assigned"),
        ("started", "assigned", "in_progress"),
        ("note", "", ""),
        ("replied", "in_progress", "replied"),
        ("closed", "replied", "closed"),
    ]
    assert audit_actions(c) == [
        "complaints.complaint.received",
        "complaints.complaint.assigned",
        "complaints.complaint.started",
        "complaints.complaint.replied",
        "complaints.complaint.closed",
    ]


@pytest.mark.django_db
def test_a_reply_after_the_deadline_is_recorded_as_late(in_progress, cast, frozen):
    frozen.shift(timedelta(hours=73))
    c = services.reply_to_customer(actor=cast.clerk, complaint=in_progress, reply="已处理")
    assert c.met_deadline is False


def _in_status(cast, status: str, *, paused: bool = False) -> Complaint:
    fields = {"status": status}
    if status != "received":
        fields["current_handler"] = cast.clerk
    if status in ("replied", "closed"):
        fields.update(reply="已回复", replied_at=NOW, root_cause="系统故障")
    if status == "closed":
        fields.update(satisfaction="satisfied", closed_at=NOW)
    if paused:
        fields["paused_at"] = NOW
    return ComplaintFactory(hall=cast.hall, first_receiver=cast.clerk, **fields)


ACTIONS = {
    "assign": lambda c, cast: services.assign_complaint(
        actor=cast.hall_manager, complaint=c, handler=cast.clerk
    ),
    "start": lambda c, cast: services.start_handling(actor=cast.hall_manager, complaint=c),
    "reply": lambda c, cast: services.reply_to_customer(
        actor=cast.hall_manager, complaint=c, reply="好", root_cause="因"
    ),
    "close": lambda c, cast: services.close_complaint(
        actor=cast.hall_manager, complaint=c, satisfaction="satisfied", root_cause="因"
    ),
    "reopen": lambda c, cast: services.reopen_complaint(
        actor=cast.hall_manager, complaint=c, reason="客户不满意"
    ),
    "hand_over": lambda c, cast: services.hand_over_complaint(
        actor=cast.hall_manager, complaint=c, to_handler=cast.hall_manager
    ),
    "pause": lambda c, cast: services.pause_complaint(
        actor=cast.hall_manager, complaint=c, reason="等客户提供账单"
    ),
    "resume": lambda c, cast: services.resume_complaint(actor=cast.hall_manager, complaint=c),
}
# (status, paused) -> the actions allowed there; every other pair is refused.
ALLOWED = {
    ("received", False): {"assign"},
    ("assigned", False): {"start", "hand_over"},
    ("in_progress", False): {"reply", "hand_over", "pause"},
    ("in_progress", True): {"hand_over", "resume"},
    ("replied", False): {"close", "reopen"},
    ("closed", False): {"reopen"},
}
REFUSED = [
    (status, paused, action)
    for (status, paused), allowed in ALLOWED.items()
    for action in ACTIONS
    if action not in allowed
]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "paused", "action"), REFUSED)
def test_every_transition_outside_the_workflow_is_refused(cast, frozen, status, paused, action):
    complaint = _in_status(cast, status, paused=paused)
    with pytest.raises((TransitionNotAllowed, ComplaintPaused)) as error:
        ACTIONS[action](complaint, cast)
    assert error.value.message
    complaint.refresh_from_db()
    assert (complaint.status, complaint.version, complaint.paused_at is not None) == (status, 1, paused)
    assert not AuditEvent.objects.for_object(complaint).exists()
    assert not ComplaintEvent.objects.filter(complaint=complaint).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "paused", "action"),
    [(s, p, a) for (s, p), allowed in ALLOWED.items() for a in sorted(allowed)],
)
def test_every_transition_inside_the_workflow_is_allowed(cast, frozen, status, paused, action):
    complaint = _in_status(cast, status, paused=paused)
    ACTIONS[action](complaint, cast)
    complaint.refresh_from_db()
    assert complaint.version == 2
    assert AuditEvent.objects.for_object(complaint).count() == 1


@pytest.mark.django_db
def test_closing_without_a_root_cause_or_satisfaction_is_refused(cast, frozen):
    complaint = _in_status(cast, "replied")
    Complaint.objects.filter(pk=complaint.pk).update(root_cause="")
    with pytest.raises(ComplaintIncomplete) as error:
        services.close_complaint(actor=cast.clerk, complaint=complaint, satisfaction="satisfied")
    assert error.value.field == "root_cause"
    with pytest.raises(ComplaintIncomplete) as error:
        services.close_complaint(
            actor=cast.clerk, complaint=complaint, satisfaction="", root_cause="系统故障"
        )
    assert error.value.field == "satisfaction"
    complaint.refresh_from_db()
    assert complaint.status == "replied"


@pytest.mark.django_db
def test_a_reply_needs_text_and_a_running_clock(in_progress, cast, frozen):
    with pytest.raises(ComplaintIncomplete) as error:
        services.reply_to_customer(actor=cast.clerk, complaint=in_progress, reply="   ")
    assert error.value.field == "reply"
    services.pause_complaint(actor=cast.clerk, complaint=in_progress, reason="等客户提供账单")
    with pytest.raises(ComplaintPaused):
        services.reply_to_customer(actor=cast.clerk, complaint=in_progress, reply="已处理")


@pytest.mark.django_db
def test_handing_over_changes_the_handler_but_never_the_first_receiver(
    in_progress, cast, second_clerk, frozen
):
    c = services.hand_over_complaint(
        actor=cast.clerk, complaint=in_progress, to_handler=second_clerk.user, reason="换班"
    )
    c.refresh_from_db()
    assert (c.first_receiver, c.current_handler) == (cast.clerk, second_clerk.user)
    event = c.events.get(kind="handed_over")
    assert event.data == {"from": cast.clerk.pk, "to": second_clerk.user.pk} and event.message == "换班"
    # The former handler, now only first receiver, can no longer act for the new handler.
    with pytest.raises(ComplaintNotHandler):
        services.pause_complaint(actor=cast.clerk, complaint=c, reason="等待")


@pytest.mark.django_db
def test_handing_over_to_someone_outside_the_hall_is_refused(in_progress, cast, frozen):
    for person in (cast.other_hall_manager, cast.inspector, cast.clerk):
        with pytest.raises(HandlerNotAllowed):
            services.hand_over_complaint(actor=cast.hall_manager, complaint=in_progress, to_handler=person)


@pytest.mark.django_db
def test_a_clerk_who_is_not_the_handler_cannot_act_and_cannot_assign(in_progress, cast, second_clerk, frozen):
    with pytest.raises(ComplaintNotHandler):
        services.reply_to_customer(actor=second_clerk.user, complaint=in_progress, reply="好")
    received = _in_status(cast, "received")
    with pytest.raises(PermissionDenied):
        services.assign_complaint(actor=cast.clerk, complaint=received, handler=cast.clerk)


@pytest.mark.django_db
def test_another_halls_manager_and_the_inspector_cannot_act(in_progress, cast, frozen):
    for outsider in (cast.other_hall_manager, cast.inspector):
        with pytest.raises(PermissionDenied):
            services.pause_complaint(actor=outsider, complaint=in_progress, reason="x")


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict_and_changes_nothing(in_progress, cast, frozen):
    assert in_progress.version == 3
    services.pause_complaint(actor=cast.clerk, complaint=in_progress, reason="等账单", expected_version=3)
    with pytest.raises(ComplaintVersionConflict) as error:
        services.hand_over_complaint(
            actor=cast.hall_manager, complaint=in_progress, to_handler=cast.hall_manager, expected_version=3
        )
    assert "4" in error.value.message and "3" in error.value.message
    in_progress.refresh_from_db()
    assert (in_progress.current_handler, in_progress.version) == (cast.clerk, 4)


@pytest.mark.django_db
def test_pause_and_resume_move_the_deadline_by_the_time_waited(in_progress, cast, frozen):
    due = in_progress.due_at
    frozen.shift(timedelta(hours=2))
    services.pause_complaint(actor=cast.clerk, complaint=in_progress, reason="等客户提供账单")
    frozen.shift(timedelta(hours=30))
    c = services.resume_complaint(actor=cast.clerk, complaint=in_progress)
    assert c.due_at == due + timedelta(hours=30) and c.paused_at is None
    event = c.events.get(kind="resumed")
    assert event.data["old_due_at"] == due.isoformat()
    assert datetime.fromisoformat(event.data["due_at"]) == due + timedelta(hours=30)


@pytest.mark.django_db
def test_a_refused_transition_says_what_is_allowed_and_where_the_complaint_stands(cast, frozen):
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as error:
        services.close_complaint(
            actor=cast.clerk, complaint=_in_status(cast, "in_progress"), satisfaction="satisfied"
        )
    assert (
        error.value.message
        == "Only a complaint replied to the customer can be closed. This one is “In progress”."
    )
    assert error.value.field == "status"


@pytest.mark.django_db
def test_reopening_starts_a_new_sla_window_and_cycle(cast, frozen):
    complaint = _in_status(cast, "closed")
    frozen.move_to(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI))
    c = services.reopen_complaint(actor=cast.clerk, complaint=complaint, reason="客户再次来电")
    c.refresh_from_db()
    assert (c.status, c.reopen_count, c.satisfaction, c.closed_at, c.met_deadline) == (
        "in_progress",
        1,
        None,
        None,
        None,
    )
    assert c.due_at == datetime(2026, 11, 29, 9, 0, tzinfo=SHANGHAI)
    with pytest.raises(ComplaintIncomplete):
        services.reopen_complaint(actor=cast.clerk, complaint=_in_status(cast, "replied"), reason="")

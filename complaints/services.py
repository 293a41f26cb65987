"""Writes for complaints: intake, the workflow, customer contact and branch calendar days.
One use case is one function in one transaction; each locks the complaint
(select_for_update), checks the version the caller read, checks the transition, writes a timeline
event and an audit row, and bumps the version.

Attachments and accountability live in attachment_services.py and accountability_services.py,
the deadline job in deadline_services.py.

Workflow: received → assigned → in_progress → replied → closed; reopen from replied or closed back
to in_progress. Nobody handles a complaint about themselves: a clerk involved is never assigned or
handed it, and never acts on it (reply, close…) even where older data made them its handler. Hand-over (assigned / in_progress) changes the current handler, never the first
receiver. Pause / resume (in_progress) stop the clock while waiting on the customer.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import sla
from complaints.calendars import hall_calendar
from complaints.exceptions import (
    CalendarOverrideInvalid,
    ClerkNotInHall,
    ComplaintAboutHandler,
    ComplaintIncomplete,
    ComplaintNotHandler,
    ComplaintPaused,
    ComplaintVersionConflict,
    HandlerNotAllowed,
    TransitionNotAllowed,
)
from complaints.masking import CustomerContact, may_view_unmasked, phone_hash
from complaints.models import (
    Category,
    Channel,
    Complaint,
    ComplaintEvent,
    Satisfaction,
    Severity,
    SlaPolicy,
    Status,
)
from halls.audit import record_audit
from halls.exceptions import DomainError
from halls.models import BranchCalendarDay, Hall, Region
from halls.permissions import ACTION_ROLES, has_permission, require_permission
from halls.scoping import scope_for
from staffing.models import Staff

# The workflow: action -> (statuses it starts from, status it leads to). Anything else is refused;
# start and reopen both lead to in_progress, so a transition is checked by action, not by target.
WORKFLOW: dict[str, tuple[frozenset[str], str]] = {
    "assign": (frozenset({Status.RECEIVED}), Status.ASSIGNED),
    "start": (frozenset({Status.ASSIGNED}), Status.IN_PROGRESS),
    "reply": (frozenset({Status.IN_PROGRESS}), Status.REPLIED),
    "close": (frozenset({Status.REPLIED}), Status.CLOSED),
    "reopen": (frozenset({Status.REPLIED, Status.CLOSED}), Status.IN_PROGRESS),
}
REFUSALS = {
    "assign": gettext_lazy("Only a received complaint can be assigned."),
    "start": gettext_lazy("Only an assigned complaint can be started."),
    "reply": gettext_lazy("Only a complaint in progress can be replied to."),
    "close": gettext_lazy("Only a complaint replied to the customer can be closed."),
    "reopen": gettext_lazy("Only a replied or closed complaint can be reopened."),
}
HAND_OVER_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)

# Used when no SlaPolicy row matches (the data migration seeds the same figures).
DEFAULT_SLA_HOURS = {Severity.NORMAL: 72, Severity.SENSITIVE: 48, Severity.MAJOR: 24}
REGULATOR_SLA_HOURS = 24
# A hotline system's clock may run a little ahead of ours.
RECEIVED_AT_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class SlaTerms:
    hours: int
    business_hours: bool
    due_soon_minutes: int
    branch_escalation_minutes: int


def sla_terms_for(*, severity: str, channel: str) -> SlaTerms:
    """The policy for (severity, channel), else the severity's default row, else the built-in figures."""
    policies = {
        policy.channel: policy
        for policy in SlaPolicy.objects.filter(
            Q(channel=channel) | Q(channel__isnull=True), severity=severity
        )
    }
    policy = policies.get(channel) or policies.get(None)
    if policy is not None:
        return SlaTerms(
            policy.resolve_hours,
            policy.count_business_hours,
            policy.due_soon_minutes,
            policy.branch_escalation_minutes,
        )
    hours = REGULATOR_SLA_HOURS if channel == Channel.REGULATOR else DEFAULT_SLA_HOURS[severity]
    return SlaTerms(hours, False, min(240, hours * 60 // 4), 0)


def next_complaint_number(received_at: datetime) -> str:
    """TS<YYYYMM>-<000123>: the month's counter incremented by one statement. Its row stays locked
    until the intake commits, so concurrent intakes never get the same number."""
    period = f"{timezone.localtime(received_at):%Y%m}"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO complaints_complaintnumbercounter (period, last_value) VALUES (%s, 1) "
            "ON CONFLICT (period) DO UPDATE "
            "SET last_value = complaints_complaintnumbercounter.last_value + 1 "
            "RETURNING last_value",
            [period],
        )
        (value,) = cursor.fetchone()
    return f"TS{period}-{value:06d}"


def add_event(complaint: Complaint, kind: str, *, actor=None, message: str = "", data=None, **status):
    """Append one line to the complaint's timeline (call inside the service's transaction)."""
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        message=message,
        data=data or {},
        from_status=status.get("from_status", ""),
        to_status=status.get("to_status", ""),
    )


def lock_complaint(complaint: Complaint, expected_version: int | None) -> Complaint:
    """Re-read the complaint under a row lock and check the version the caller read."""
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("hall", "hall__region")
        .get(pk=complaint.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ComplaintVersionConflict(
            _(
                "Someone else changed this complaint (version %(current)s, you had %(expected)s). "
                "Reload it and try again."
            )
            % {"current": locked.version, "expected": expected_version}
        )
    return locked


def _check_transition(complaint: Complaint, action: str) -> str:
    """The status `action` leads to; refuses the action from the complaint's current status."""
    from_statuses, to_status = WORKFLOW[action]
    if complaint.status not in from_statuses:
        raise TransitionNotAllowed(
            _("%(refusal)s This one is “%(status)s”.")
            % {"refusal": REFUSALS[action], "status": Status(complaint.status).label}
        )
    return to_status


def is_complained_about(user, complaint: Complaint) -> bool:
    """Whether `user` is one of the clerks the complaint is about (its clerks involved)."""
    return user is not None and complaint.clerks.filter(user_id=user.pk).exists()


def _require_handling(actor, complaint: Complaint) -> None:
    """The current handler acts on a complaint; a manager (complaint.assign) may act for them.
    Nobody acts on a complaint about themselves, even one already assigned to them."""
    require_permission(actor, "complaint.handle", hall=complaint.hall)
    if actor.pk != complaint.current_handler_id and not has_permission(
        actor, "complaint.assign", hall=complaint.hall
    ):
        raise ComplaintNotHandler(_("Only the current handler or a manager can act on this complaint."))
    if is_complained_about(actor, complaint):
        raise ComplaintAboutHandler(
            _("This complaint is about you: a manager must hand it to someone else."),
            field="current_handler",
        )


def _check_handler(handler, complaint: Complaint) -> None:
    """Refuses a handler who cannot handle the hall's complaints or whom the complaint is about."""
    hall = complaint.hall
    if handler is None or not handler.is_active or not has_permission(handler, "complaint.handle", hall=hall):
        raise HandlerNotAllowed(_("This person cannot handle complaints of this hall."))
    if is_complained_about(handler, complaint):
        raise ComplaintAboutHandler(_("The complaint is about this person: choose someone else."))


def _save(complaint: Complaint, *fields: str) -> None:
    complaint.version += 1
    complaint.save(update_fields=[*fields, "version", "updated_at"])


def _calendar_for(hall: Hall, since: datetime) -> sla.BusinessCalendar:
    # Overrides from the day before: a deadline never reaches back further than its start.
    return hall_calendar(hall, from_day=timezone.localtime(since).date() - timedelta(days=1))


def _state_now(complaint: Complaint, now: datetime) -> str:
    return sla.deadline_state(complaint.due_at, now, due_soon=timedelta(minutes=complaint.due_soon_minutes))


# --- Intake ---------------------------------------------------------------------------------


@transaction.atomic
def create_complaint(
    *,
    actor,
    hall: Hall,
    channel: str,
    customer_name: str,
    customer_phone: str,
    category: str,
    subject: str,
    severity: str = Severity.NORMAL,
    description: str = "",
    received_at: datetime | None = None,
    clerks: list[Staff] | tuple = (),
) -> Complaint:
    """Accept a complaint at once: number it, start its SLA clock from the policy, record the actor
    as first receiver (for good), write the first timeline event and the audit row.
    Refuses a hall outside the actor's permission (403), clerks of another hall, a received time in
    the future. Not durable: the API runs it inside an idempotency transaction."""
    hall = Hall.objects.select_related("region").get(pk=hall.pk)
    require_permission(actor, "complaint.create", hall=hall)
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + RECEIVED_AT_TOLERANCE:
        raise DomainError(_("The received time cannot be in the future."), field="received_at")
    if channel not in Channel.values:
        raise DomainError(_("Unknown channel."), field="channel")
    if category not in Category.values:
        raise DomainError(_("Unknown category."), field="category")
    if severity not in Severity.values:
        raise DomainError(_("Unknown severity."), field="severity")
    if not phone_hash_input_ok(customer_phone):
        raise DomainError(_("Enter the customer's phone number."), field="customer_phone")
    clerks = list(clerks)
    if any(clerk.hall_id != hall.pk for clerk in clerks):
        raise ClerkNotInHall(_("Clerks involved must work in the complaint's hall."))
    terms = sla_terms_for(severity=severity, channel=channel)
    calendar = _calendar_for(hall, received_at) if terms.business_hours else None
    due_at = sla.compute_due_at(
        received_at, hours=terms.hours, business_hours=terms.business_hours, calendar=calendar
    )
    complaint = Complaint.objects.create(
        number=next_complaint_number(received_at),
        channel=channel,
        received_at=received_at,
        customer_name=customer_name.strip(),
        customer_phone=customer_phone.strip(),
        phone_hash=phone_hash(customer_phone),
        hall=hall,
        category=category,
        severity=severity,
        subject=subject.strip(),
        description=description,
        first_receiver=actor,
        sla_hours=terms.hours,
        sla_business_hours=terms.business_hours,
        due_soon_minutes=terms.due_soon_minutes,
        branch_escalation_minutes=terms.branch_escalation_minutes,
        due_at=due_at,
        sla_state=sla.deadline_state(due_at, now, due_soon=timedelta(minutes=terms.due_soon_minutes)),
    )
    if clerks:
        complaint.clerks.set(clerks)
    add_event(
        complaint,
        ComplaintEvent.Kind.RECEIVED,
        actor=actor,
        to_status=Status.RECEIVED,
        data={"channel": channel, "due_at": due_at.isoformat()},
    )
    record_audit(
        actor=actor,
        action="complaints.complaint.received",
        subject=complaint,
        hall=hall,
        data={"number": complaint.number, "channel": channel, "severity": severity},
    )
    return complaint


def phone_hash_input_ok(phone: str) -> bool:
    digits = [ch for ch in phone if ch.isdigit()]
    return 5 <= len(digits) <= 20


# --- Workflow -------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def assign_complaint(
    *, actor, complaint: Complaint, handler, expected_version: int | None = None
) -> Complaint:
    """received → assigned: give the complaint a handler. Needs complaint.assign; the handler must
    be able to handle complaints of the hall and must not be one of the clerks the complaint is
    about (ComplaintAboutHandler). The first receiver does not change."""
    complaint = lock_complaint(complaint, expected_version)
    require_permission(actor, "complaint.assign", hall=complaint.hall)
    _check_transition(complaint, "assign")
    _check_handler(handler, complaint)
    complaint.status, complaint.current_handler = Status.ASSIGNED, handler
    _save(complaint, "status", "current_handler")
    add_event(
        complaint,
        ComplaintEvent.Kind.ASSIGNED,
        actor=actor,
        from_status=Status.RECEIVED,
        to_status=Status.ASSIGNED,
        data={"handler": handler.pk},
    )
    record_audit(
        actor=actor, action="complaints.complaint.assigned", subject=complaint, data={"handler": handler.pk}
    )
    return complaint


@transaction.atomic(durable=True)
def hand_over_complaint(
    *, actor, complaint: Complaint, to_handler, reason: str = "", expected_version: int | None = None
) -> Complaint:
    """Pass an assigned or in-progress complaint to another handler. The first receiver keeps
    ownership (首问负责制); refuses the same handler, a handler the complaint is about and other
    statuses."""
    complaint = lock_complaint(complaint, expected_version)
    _require_handling(actor, complaint)
    if complaint.status not in HAND_OVER_STATUSES:
        raise TransitionNotAllowed(_("Only an assigned or in-progress complaint can be handed over."))
    if to_handler is not None and to_handler.pk == complaint.current_handler_id:
        raise HandlerNotAllowed(_("This person already handles the complaint."))
    _check_handler(to_handler, complaint)
    previous = complaint.current_handler_id
    complaint.current_handler = to_handler
    _save(complaint, "current_handler")
    data = {"from": previous, "to": to_handler.pk}
    add_event(complaint, ComplaintEvent.Kind.HANDED_OVER, actor=actor, message=reason, data=data)
    record_audit(actor=actor, action="complaints.complaint.handed_over", subject=complaint, data=data)
    return complaint


@transaction.atomic(durable=True)
def start_handling(*, actor, complaint: Complaint, expected_version: int | None = None) -> Complaint:
    """assigned → in_progress, by the current handler (or a manager)."""
    complaint = lock_complaint(complaint, expected_version)
    _require_handling(actor, complaint)
    _check_transition(complaint, "start")
    complaint.status = Status.IN_PROGRESS
    _save(complaint, "status")
    add_event(
        complaint,
        ComplaintEvent.Kind.STARTED,
        actor=actor,
        from_status=Status.ASSIGNED,
        to_status=Status.IN_PROGRESS,
    )
    record_audit(actor=actor, action="complaints.complaint.started", subject=complaint)
    return complaint


@transaction.atomic(durable=True)
def pause_complaint(
    *, actor, complaint: Complaint, reason: str, expected_version: int | None = None
) -> Complaint:
    """Stop the SLA clock while waiting on the customer (in progress only, not already paused)."""
    complaint = lock_complaint(complaint, expected_version)
    _require_handling(actor, complaint)
    if complaint.status != Status.IN_PROGRESS:
        raise TransitionNotAllowed(_("Only a complaint in progress can wait on the customer."))
    if complaint.is_paused:
        raise ComplaintPaused(_("The complaint is already waiting on the customer."))
    if not reason.strip():
        raise ComplaintIncomplete(_("Say what the customer is to provide."), field="reason")
    complaint.paused_at = timezone.now()
    _save(complaint, "paused_at")
    add_event(complaint, ComplaintEvent.Kind.PAUSED, actor=actor, message=reason)
    record_audit(
        actor=actor, action="complaints.complaint.paused", subject=complaint, data={"reason": reason}
    )
    return complaint


@transaction.atomic(durable=True)
def resume_complaint(*, actor, complaint: Complaint, expected_version: int | None = None) -> Complaint:
    """Restart the clock; the deadline moves by the (business) time spent waiting."""
    complaint = lock_complaint(complaint, expected_version)
    _require_handling(actor, complaint)
    if complaint.status != Status.IN_PROGRESS or not complaint.is_paused:
        raise TransitionNotAllowed(_("The complaint is not waiting on the customer."))
    now = timezone.now()
    calendar = _calendar_for(complaint.hall, complaint.paused_at) if complaint.sla_business_hours else None
    old_due = complaint.due_at
    complaint.due_at = sla.extend_for_pause(
        old_due, complaint.paused_at, now, business_hours=complaint.sla_business_hours, calendar=calendar
    )
    paused_from = complaint.paused_at
    complaint.paused_at = None
    complaint.sla_state = _state_now(complaint, now)
    _save(complaint, "due_at", "paused_at", "sla_state")
    data = {
        "paused_from": paused_from.isoformat(),
        "old_due_at": old_due.isoformat(),
        "due_at": complaint.due_at.isoformat(),
    }
    add_event(complaint, ComplaintEvent.Kind.RESUMED, actor=actor, data=data)
    record_audit(actor=actor, action="complaints.complaint.resumed", subject=complaint, data=data)
    return complaint


@transaction.atomic(durable=True)
def reply_to_customer(
    *, actor, complaint: Complaint, reply: str, root_cause: str = "", expected_version: int | None = None
) -> Complaint:
    """in_progress → replied: record the reply given to the customer (and the root cause if known).
    Refuses an empty reply, a complaint still waiting on the customer and a clerk the complaint is
    about (ComplaintAboutHandler, even as its handler). Records whether the reply met the deadline."""
    complaint = lock_complaint(complaint, expected_version)
    _require_handling(actor, complaint)
    _check_transition(complaint, "reply")
    if complaint.is_paused:
        raise ComplaintPaused(_("Resume the complaint before replying."))
    if not reply.strip():
        raise ComplaintIncomplete(_("Write the reply given to the customer."), field="reply")
    now = timezone.now()
    complaint.status, complaint.reply, complaint.replied_at = Status.REPLIED, reply.strip(), now
    complaint.met_deadline = now <= complaint.due_at
    if root_cause.strip():
        complaint.root_cause = root_cause.strip()
    _save(complaint, "status", "reply", "replied_at", "met_deadline", "root_cause")
    add_event(
        complaint,
        ComplaintEvent.Kind.REPLIED,
        actor=actor,
        message=complaint.reply,
        from_status=Status.IN_PROGRESS,
        to_status=Status.REPLIED,
        data={"met_deadline": complaint.met_deadline},
    )
    record_audit(
        actor=actor,
        action="complaints.complaint.replied",
        subject=complaint,
        data={"met_deadline": complaint.met_deadline},
    )
    return complaint


@transaction.atomic(durable=True)
def close_complaint(
    *,
    actor,
    complaint: Complaint,
    satisfaction: str,
    root_cause: str = "",
    expected_version: int | None = None,
) -> Complaint:
    """replied → closed with the customer's satisfaction. Refuses closing without a reply (only a
    replied complaint closes), without a root cause or without a satisfaction, and by a clerk the
    complaint is about (ComplaintAboutHandler, even as its handler)."""
    complaint = lock_complaint(complaint, expected_version)
    _require_handling(actor, complaint)
    _check_transition(complaint, "close")
    if root_cause.strip():
        complaint.root_cause = root_cause.strip()
    if not complaint.root_cause:
        raise ComplaintIncomplete(_("Record the root cause before closing."), field="root_cause")
    if satisfaction not in Satisfaction.values:
        raise ComplaintIncomplete(_("Record the customer's satisfaction."), field="satisfaction")
    complaint.status, complaint.satisfaction, complaint.closed_at = (
        Status.CLOSED,
        satisfaction,
        timezone.now(),
    )
    _save(complaint, "status", "root_cause", "satisfaction", "closed_at")
    add_event(
        complaint,
        ComplaintEvent.Kind.CLOSED,
        actor=actor,
        from_status=Status.REPLIED,
        to_status=Status.CLOSED,
        data={"satisfaction": satisfaction},
    )
    record_audit(
        actor=actor,
        action="complaints.complaint.closed",
        subject=complaint,
        data={"satisfaction": satisfaction},
    )
    return complaint


@transaction.atomic(durable=True)
def reopen_complaint(
    *, actor, complaint: Complaint, reason: str, expected_version: int | None = None
) -> Complaint:
    """replied / closed → in_progress: the customer is not done. A new SLA window starts now with the
    complaint's terms, and escalations start a new cycle. Refuses an empty reason."""
    complaint = lock_complaint(complaint, expected_version)
    _require_handling(actor, complaint)
    _check_transition(complaint, "reopen")
    if not reason.strip():
        raise ComplaintIncomplete(_("Say why the complaint is reopened."), field="reason")
    now = timezone.now()
    calendar = _calendar_for(complaint.hall, now) if complaint.sla_business_hours else None
    previous = complaint.status
    complaint.status = Status.IN_PROGRESS
    complaint.reopen_count += 1
    complaint.due_at = sla.compute_due_at(
        now, hours=complaint.sla_hours, business_hours=complaint.sla_business_hours, calendar=calendar
    )
    complaint.sla_state = _state_now(complaint, now)
    complaint.met_deadline = None
    complaint.satisfaction = None
    complaint.closed_at = None
    _save(
        complaint,
        "status",
        "reopen_count",
        "due_at",
        "sla_state",
        "met_deadline",
        "satisfaction",
        "closed_at",
    )
    add_event(
        complaint,
        ComplaintEvent.Kind.REOPENED,
        actor=actor,
        message=reason,
        from_status=previous,
        to_status=Status.IN_PROGRESS,
        data={"due_at": complaint.due_at.isoformat()},
    )
    record_audit(
        actor=actor,
        action="complaints.complaint.reopened",
        subject=complaint,
        data={"from": previous, "reason": reason},
    )
    return complaint


@transaction.atomic(durable=True)
def add_complaint_note(*, actor, complaint: Complaint, message: str) -> ComplaintEvent:
    """Append a message to the timeline (any status). Appending loses nothing, so no version check."""
    complaint = lock_complaint(complaint, None)
    require_permission(actor, "complaint.handle", hall=complaint.hall)
    if not message.strip():
        raise DomainError(_("Write a message."), field="message")
    event = add_event(complaint, ComplaintEvent.Kind.NOTE, actor=actor, message=message.strip())
    Complaint.objects.filter(pk=complaint.pk).update(updated_at=timezone.now())
    return event


# --- Customer contact -----------------------------------------------------------------------


@transaction.atomic
def reveal_customer_contact(*, actor, complaint: Complaint, purpose: str = "page") -> CustomerContact:
    """The customer's name and phone, unmasked, for someone handling the complaint (first receiver,
    current handler, complaint.view_unmasked over its hall); refuses anyone else (PermissionDenied).
    Every call writes a `complaints.complaint.contact_viewed` audit row (who, when, `purpose`).

    Data protection: revealing is an explicit act. The complaint page and every API read show the
    customer masked to everyone, the handlers included, and reveal them only when a handler asks
    (the page's "Show the customer's contact" button, the API's POST reveal-contact): personal
    data is on screen only when it is needed — not on every re-render of a shared hall desk or
    every sync read — and each audit row is one deliberate look at it, never page or API noise.
    Not idempotent by design: every reveal is logged."""
    if not may_view_unmasked(actor, complaint):
        raise PermissionDenied("complaint.view_unmasked")
    record_audit(
        actor=actor,
        action="complaints.complaint.contact_viewed",
        subject=complaint,
        hall=complaint.hall,
        data={"purpose": purpose},
    )
    return CustomerContact(name=complaint.customer_name, phone=complaint.customer_phone, masked=False)


# --- Branch calendar ------------------------------------------------------------------


@transaction.atomic(durable=True)
def set_branch_calendar_day(
    *, actor, branch: Region, day: date, is_working_day: bool, note: str = ""
) -> BranchCalendarDay:
    """Make `day` a working day or a day off for every hall of `branch`, whatever China's calendar
    says (`halls.BranchCalendarDay`: rosters and deadlines of complaints received afterwards count
    it). Replaces an earlier answer."""
    if branch.kind != Region.Kind.BRANCH:
        raise CalendarOverrideInvalid(_("Calendar days are set for a branch."))
    if not Region.objects.visible_to(actor).filter(pk=branch.pk).exists() or not _manages_branch(
        actor, branch
    ):
        raise CalendarOverrideInvalid(_("You cannot change this branch's calendar."))
    override, _created = BranchCalendarDay.objects.update_or_create(
        branch=branch,
        date=day,
        defaults={"is_working_day": is_working_day, "note": note, "created_by": actor},
    )
    record_audit(
        actor=actor,
        action="complaints.calendar_day.set",
        subject=override,
        hall=None,
        data={"date": day.isoformat(), "is_working_day": is_working_day, "note": note},
    )
    return override


def _manages_branch(actor, branch: Region) -> bool:
    scope = scope_for(actor)
    if scope.sees_everything:
        return True
    allowed = ACTION_ROLES["complaint.manage_calendar"]
    return any(
        role in allowed and any(branch.path.startswith(path) for path in paths)
        for role, paths in scope.region_roles.items()
    )

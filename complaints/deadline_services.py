"""The deadline job's writes: mark complaints due soon / overdue, escalate, notify.

Safe to run twice and concurrently: a state change is a compare-and-set UPDATE that acts only
when it changed the row; an escalation is an Escalation row with a unique natural key
(complaint, kind, level, reopen cycle), and only the run that inserted it notifies; one hall is
processed under a transaction-level advisory lock so two runs never interleave on it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import sla
from complaints.escalation import ancestor_paths, escalation_steps
from complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    Escalation,
    Severity,
    SlaState,
)
from halls.audit import record_audit
from halls.models import Hall, Membership, Role
from halls.notifications import notify

# pg_advisory_xact_lock(namespace, hall id): the namespace keeps other apps' locks apart.
ADVISORY_LOCK_NAMESPACE = 5_001
STATE_ORDER = {SlaState.ON_TRACK: 0, SlaState.DUE_SOON: 1, SlaState.OVERDUE: 2}


@dataclass
class DeadlineRun:
    hall_id: int
    locked: bool = True
    marked: dict[str, int] = field(default_factory=lambda: {SlaState.DUE_SOON: 0, SlaState.OVERDUE: 0})
    escalations: int = 0
    notifications: int = 0


def _managers(hall: Hall) -> dict[int, list]:
    """Active users to notify at each escalation level above the handler (two queries)."""
    hall_managers = [
        m.user
        for m in Membership.objects.filter(role=Role.HALL_MANAGER, hall=hall, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    ]
    branch_managers = [
        m.user
        for m in Membership.objects.filter(
            role=Role.BRANCH_MANAGER, region__path__in=ancestor_paths(hall.region.path), user__is_active=True
        )
        .select_related("user")
        .order_by("user_id")
    ]
    return {
        Escalation.Level.HALL_MANAGER: _distinct(hall_managers),
        Escalation.Level.BRANCH_MANAGER: _distinct(branch_managers),
    }


def _distinct(users: list) -> list:
    seen, result = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            result.append(user)
    return result


def _recipients(complaint: Complaint, level: int, managers: dict[int, list]) -> list:
    if level == Escalation.Level.HANDLER:
        handler = complaint.current_handler
        if handler is not None and handler.is_active:
            return [handler]
        return managers[Escalation.Level.HALL_MANAGER]
    return managers[level]


def _message(complaint: Complaint, kind: str, level: int) -> tuple[str, str]:
    values = {
        "number": complaint.number,
        "subject": complaint.subject,
        "due": timezone.localtime(complaint.due_at).strftime("%Y-%m-%d %H:%M"),
        "hall": complaint.hall.name,
    }
    if kind == Escalation.Kind.DUE_SOON:
        title = _("Complaint %(number)s is due soon") % values
    elif kind == Escalation.Kind.OVERDUE:
        title = _("Complaint %(number)s is overdue") % values
    elif complaint.severity == Severity.MAJOR:
        title = _("Major complaint %(number)s") % values
    else:
        title = _("Sensitive complaint %(number)s") % values
    body = _("%(hall)s: %(subject)s. Due at %(due)s.") % values
    return title, body


def escalation_dedup_key(escalation: Escalation) -> str:
    """The notifications of one escalation step: each recipient hears of it once."""
    return f"complaints.escalation:{escalation.pk}"


def _claim_escalation(complaint: Complaint, kind: str, level: int, now: datetime) -> Escalation | None:
    """Insert the escalation once; None when it already exists (another run sent it)."""
    try:
        with transaction.atomic():
            return Escalation.objects.create(
                complaint=complaint, kind=kind, level=level, cycle=complaint.reopen_count, created_at=now
            )
    except IntegrityError:
        return None


@transaction.atomic(durable=True)
def process_complaint_deadlines(*, hall_id: int, now: datetime | None = None) -> DeadlineRun:
    """Mark the hall's open, unpaused complaints due soon or overdue (states only move forward;
    resume and reopen move them back), and send each escalation step once per reopen cycle as
    in-app notifications (halls.notifications.notify) plus e-mail to recipients with an address. Idempotent: a second run with
    the same clock changes nothing and sends nothing. Skips the hall (locked=False) when another
    run holds its lock."""
    now = now or timezone.now()
    result = DeadlineRun(hall_id=hall_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, hall_id])
        (locked,) = cursor.fetchone()
    if not locked:
        result.locked = False
        return result
    hall = Hall.objects.select_related("region").get(pk=hall_id)
    window = ExpressionWrapper(
        F("due_soon_minutes") * Value(timedelta(minutes=1)), output_field=DurationField()
    )
    due_soon_from = ExpressionWrapper(F("due_at") - window, output_field=DateTimeField())
    complaints = list(
        Complaint.objects.filter(hall_id=hall_id, status__in=OPEN_STATUSES, paused_at__isnull=True)
        .annotate(due_soon_from=due_soon_from)
        .filter(Q(due_soon_from__lte=now) | Q(severity__in=[Severity.SENSITIVE, Severity.MAJOR]))
        .select_related("current_handler")
        .order_by("due_at", "id")
    )
    if not complaints:
        return result
    managers = _managers(hall)
    for complaint in complaints:
        complaint.hall = hall
        state = sla.deadline_state(
            complaint.due_at, now, due_soon=timedelta(minutes=complaint.due_soon_minutes)
        )
        if STATE_ORDER[state] > STATE_ORDER[complaint.sla_state]:
            changed = Complaint.objects.filter(
                pk=complaint.pk,
                sla_state=complaint.sla_state,
                status__in=OPEN_STATUSES,
                paused_at__isnull=True,
            ).update(sla_state=state)
            if changed:
                complaint.sla_state = state
                result.marked[state] += 1
                kind = (
                    ComplaintEvent.Kind.OVERDUE if state == SlaState.OVERDUE else ComplaintEvent.Kind.DUE_SOON
                )
                ComplaintEvent.objects.create(
                    complaint=complaint,
                    kind=kind,
                    created_at=now,
                    data={"due_at": complaint.due_at.isoformat()},
                )
        steps = escalation_steps(
            severity=complaint.severity,
            state=state,
            overdue_for=now - complaint.due_at,
            branch_after=timedelta(minutes=complaint.branch_escalation_minutes),
        )
        for kind, level in steps:
            escalation = _claim_escalation(complaint, kind, level, now)
            if escalation is None:
                continue
            result.escalations += 1
            recipients = _recipients(complaint, level, managers)
            title, body = _message(complaint, kind, level)
            created = notify(
                recipients=recipients,
                kind=f"complaints.{kind}",
                subject=title,
                body=body,
                url=reverse("complaints:detail", kwargs={"pk": complaint.pk}),
                hall=hall,
                dedup_key=escalation_dedup_key(escalation),
                created_at=now,
            )
            result.notifications += len(created)
            data = {
                "kind": kind,
                "level": int(level),
                "cycle": escalation.cycle,
                "recipients": [u.pk for u in recipients],
            }
            ComplaintEvent.objects.create(
                complaint=complaint, kind=ComplaintEvent.Kind.ESCALATED, created_at=now, data=data
            )
            record_audit(
                actor=None, action="complaints.complaint.escalated", subject=complaint, hall=hall, data=data
            )
    return result


def halls_with_open_complaints() -> list[int]:
    """Ids of halls with open, unpaused complaints: the deadline job fans out one task per hall."""
    return list(
        Complaint.objects.filter(status__in=OPEN_STATUSES, paused_at__isnull=True)
        .order_by()
        .values_list("hall_id", flat=True)
        .distinct()
    )

"""The qualification expiry reminders: the clerk and the hall manager hear 30 and 7 days before a
post qualification runs out, as an in-app notification (halls.notifications.notify) and, where
the user has an address, an e-mail.

Never twice: each reminder's dedup key is its natural key (qualification, expiry date, days
before), unique per recipient, and notify inserts with ON CONFLICT DO NOTHING; one hall is
processed under a transaction-level advisory lock, and notify e-mails each notification once.
A run that missed days still sends the reminder that is due (the 7-day one once a week is left,
else the 30-day one); a qualification already followed by a renewal is not reminded of.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from halls.models import Hall, Membership, Role
from halls.notifications import notify
from staffing.models import Qualification, Staff

REMINDER_DAYS = (30, 7)
# pg_advisory_xact_lock(namespace, hall id): the namespace keeps other apps' locks apart.
ADVISORY_LOCK_NAMESPACE = 6_001
NOTIFICATION_KIND = "training.qualification_expiry"


@dataclass
class ReminderRun:
    hall_id: int
    locked: bool = True
    qualifications: int = 0
    notifications: int = 0


def reminder_due(days_left: int) -> int | None:
    """Which reminder is due with `days_left` days to go: the smallest threshold not below it."""
    if days_left < 0:
        return None
    due = [days for days in REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


def _expiring(today: date):
    renewed = Qualification.objects.filter(
        staff_id=OuterRef("staff_id"), post=OuterRef("post"), granted_on__gt=OuterRef("granted_on")
    )
    return (
        Qualification.objects.filter(
            expires_on__gte=today, expires_on__lte=today + timedelta(days=max(REMINDER_DAYS))
        )
        .exclude(staff__status=Staff.Status.LEFT)
        .exclude(Exists(renewed))
    )


def halls_with_expiring_qualifications(*, today: date) -> list[int]:
    """Ids of halls with someone whose qualification expires within 30 days: the job fans out
    one task per hall."""
    return sorted(set(_expiring(today).values_list("staff__hall_id", flat=True)))


def _message(qualification: Qualification, hall: Hall, days_left: int) -> tuple[str, str]:
    values = {
        "name": qualification.staff.name,
        "number": qualification.staff.employee_no,
        "post": qualification.get_post_display(),
        "day": date_format(qualification.expires_on),
        "days": days_left,
        "hall": hall.name,
    }
    title = _("The %(post)s qualification of %(name)s expires on %(day)s") % values
    body = (
        _(
            "%(name)s (%(number)s), %(hall)s: the %(post)s qualification is valid until %(day)s, "
            "%(days)s days from now. Plan the refresher training and exam."
        )
        % values
    )
    return title, body


def reminder_dedup_key(qualification: Qualification, days_before: int) -> str:
    """One reminder per qualification, expiry date and threshold (and recipient)."""
    return f"{NOTIFICATION_KIND}:{qualification.pk}:{qualification.expires_on.isoformat()}:{days_before}"


@transaction.atomic(durable=True)
def remind_qualification_expiry(*, hall_id: int, today: date) -> ReminderRun:
    """Send the due expiry reminders of one hall's staff to the person (when they have a login)
    and the hall's managers. Idempotent: a second run on the same day, or a later run before the
    next threshold, sends nothing. Skips the hall (locked=False) when another run holds it."""
    run = ReminderRun(hall_id=hall_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, hall_id])
        (locked,) = cursor.fetchone()
    if not locked:
        run.locked = False
        return run
    hall = Hall.objects.get(pk=hall_id)
    qualifications = list(
        _expiring(today)
        .filter(staff__hall_id=hall_id)
        .select_related("staff__user")
        .order_by("expires_on", "id")
    )
    if not qualifications:
        return run
    managers = [
        m.user
        for m in Membership.objects.filter(role=Role.HALL_MANAGER, hall_id=hall_id, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    ]
    now = timezone.now()
    for qualification in qualifications:
        days_left = (qualification.expires_on - today).days
        days_before = reminder_due(days_left)
        person = qualification.staff.user
        recipients = {u.pk: u for u in managers}
        if person is not None and person.is_active:
            recipients[person.pk] = person
        title, body = _message(qualification, hall, days_left)
        created = notify(
            recipients=recipients.values(),
            kind=NOTIFICATION_KIND,
            subject=title,
            body=body,
            url=reverse("training:calendar"),  # the archive is closed to the clerk
            hall=hall,
            dedup_key=reminder_dedup_key(qualification, days_before),
            created_at=now,
        )
        run.notifications += len(created)
    run.qualifications = len(qualifications)
    return run

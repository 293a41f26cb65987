"""In-app notifications for every app: one table (halls.Notification), one way in (`notify`), one
e-mail per notification (`send_pending_emails`).

Never twice: a notification is unique per (recipient, dedup_key) and `notify` inserts with
ON CONFLICT DO NOTHING, so a job that runs twice, or two jobs at once, create each message once
and only the run that inserted a row gets it back. An e-mail is claimed by a compare-and-set
UPDATE on `emailed_at` before it is sent, so two workers never send the same one.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from halls.models import Hall, Notification

# send_pending_emails() without ids looks this far back (older ones are not worth an e-mail).
PENDING_EMAIL_WINDOW = timedelta(days=2)
PENDING_EMAIL_BATCH = 500

logger = logging.getLogger(__name__)


def notify(
    *,
    recipients: Iterable,
    kind: str,
    subject: str,
    body: str,
    url: str,
    hall: Hall | None = None,
    dedup_key: str,
    created_at: datetime | None = None,
) -> list[Notification]:
    """Notify each recipient (users or user ids; duplicates count once) in-app, in one INSERT.
    Idempotent: a recipient who already has a notification with `dedup_key` gets nothing new.
    Returns the notifications this call created; their e-mails are sent once the surrounding
    transaction commits (send_pending_emails)."""
    recipient_ids = list(dict.fromkeys(getattr(r, "pk", r) for r in recipients))
    if not recipient_ids:
        return []
    if not kind or not dedup_key:
        raise ValueError("notify() needs a kind and a dedup_key")
    created_at = created_at or timezone.now()
    hall_id = getattr(hall, "pk", hall)
    meta = Notification._meta
    columns = ["kind", "hall", "recipient", "subject", "body", "url", "dedup_key", "created_at"]
    db_columns = [meta.get_field(name).column for name in columns]
    rows, params = [], []
    for recipient_id in recipient_ids:
        rows.append("(" + ", ".join(["%s"] * len(columns)) + ")")
        params += [kind, hall_id, recipient_id, subject[:200], body, url, dedup_key, created_at]
    sql = (
        f"INSERT INTO {meta.db_table} ({', '.join(db_columns)}) VALUES {', '.join(rows)}"
        f" ON CONFLICT ({meta.get_field('recipient').column}, {meta.get_field('dedup_key').column})"
        " DO NOTHING RETURNING id, recipient_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = {recipient_id: pk for pk, recipient_id in cursor.fetchall()}
    created = [
        Notification(
            pk=inserted[recipient_id],
            kind=kind,
            hall_id=hall_id,
            recipient_id=recipient_id,
            subject=subject[:200],
            body=body,
            url=url,
            dedup_key=dedup_key,
            created_at=created_at,
        )
        for recipient_id in recipient_ids
        if recipient_id in inserted
    ]
    for notification in created:
        notification._state.adding = False
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: _queue_emails(ids))
    return created


def _queue_emails(notification_ids: list[int]) -> None:
    """Hand the e-mails to a worker, never the request; the beat sweep catches any the broker lost."""
    from halls.tasks import send_notification_emails

    try:
        send_notification_emails.delay(notification_ids=notification_ids)
    except Exception:  # broker down: the notification stands, the sweep sends its e-mail later
        logger.warning("could not queue notification e-mails %s", notification_ids, exc_info=True)


def send_pending_emails(
    *, notification_ids: Iterable[int] | None = None, limit: int = PENDING_EMAIL_BATCH
) -> int:
    """E-mail notifications not yet e-mailed to recipients with an address: the given ones, or
    (without ids) those of the last PENDING_EMAIL_WINDOW, oldest first, at most `limit`. Each is
    claimed by a compare-and-set on `emailed_at` first, so it goes out once even when two workers
    send at the same time; a send that fails gives the claim back, so the next sweep (beat,
    every 10 minutes) tries again. Sends nothing while settings.HALLOPS_NOTIFICATION_EMAILS is
    off. Returns how many this call sent."""
    if not getattr(settings, "HALLOPS_NOTIFICATION_EMAILS", True):
        return 0
    pending = (
        Notification.objects.filter(emailed_at__isnull=True, recipient__is_active=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("created_at", "id")
    )
    if notification_ids is not None:
        pending = pending.filter(pk__in=list(notification_ids))
    else:
        pending = pending.filter(created_at__gte=timezone.now() - PENDING_EMAIL_WINDOW)[:limit]
    sent = 0
    for notification in pending:
        claimed_at = timezone.now()
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=claimed_at
        )
        if not claimed:
            continue  # another worker took it
        try:
            send_mail(
                notification.subject,
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient.email],
            )
        except Exception:
            Notification.objects.filter(pk=notification.pk, emailed_at=claimed_at).update(emailed_at=None)
            logger.warning(
                "notification e-mail %s failed; the next sweep retries it", notification.pk, exc_info=True
            )
            continue
        sent += 1
    return sent


def mark_notification_read(*, actor, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read (idempotent). Another user's notification
    does not exist for the actor: Notification.DoesNotExist."""
    notification = Notification.objects.visible_to(actor).get(pk=notification_id)
    if notification.read_at is None:
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_notifications_read(*, actor) -> int:
    """Mark all of the actor's unread notifications read; returns how many changed (one UPDATE)."""
    return Notification.objects.visible_to(actor).unread().update(read_at=timezone.now())

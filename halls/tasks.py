"""Celery tasks of the halls app. A task takes ids, loads, and calls a selector or service."""

from celery import shared_task
from django.contrib.auth import get_user_model

from halls import idempotency, lockout, notifications
from halls.models import Hall


@shared_task(name="halls.count_visible_halls", time_limit=60, soft_time_limit=50)
def count_visible_halls(user_id: int) -> int:
    """How many halls the user may see (0 for an unknown or deactivated user).

    A read-only probe that goes through the broker, the worker, the database and the result
    backend, so running it twice changes nothing."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return 0
    return Hall.objects.visible_to(user).count()


@shared_task(name="halls.purge_idempotency_keys", time_limit=300, soft_time_limit=240)
def purge_idempotency_keys() -> int:
    """Delete idempotency keys past their keeping period (daily; running it twice deletes nothing more)."""
    return idempotency.purge_idempotency_keys()


@shared_task(name="halls.purge_login_records", time_limit=300, soft_time_limit=240)
def purge_login_records() -> dict[str, int]:
    """Delete expired failed-login counters and login logs past their keeping period (daily)."""
    return lockout.purge_login_records()


@shared_task(name="halls.send_notification_emails", time_limit=300, soft_time_limit=240, acks_late=True)
def send_notification_emails(notification_ids: list[int] | None = None) -> int:
    """E-mail the given notifications, or (beat, every 10 minutes) any of the last two days not yet
    e-mailed. Each e-mail is claimed before it is sent, so running this twice sends nothing twice."""
    return notifications.send_pending_emails(notification_ids=notification_ids)

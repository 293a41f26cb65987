"""Timed duties of training. Tasks take ids and ISO dates and call one service."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from training.reminders import halls_with_expiring_qualifications
from training.reminders import remind_qualification_expiry as remind_hall


@shared_task(name="training.tasks.remind_qualification_expiry", time_limit=600, soft_time_limit=540)
def remind_qualification_expiry(today: str | None = None) -> int:
    """Beat, daily at 07:00: fan out one reminder run per hall with qualifications expiring within
    30 days, all for the same day. Returns the number of halls queued. Safe to run twice."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    hall_ids = halls_with_expiring_qualifications(today=day)
    for hall_id in hall_ids:
        remind_hall_qualification_expiry.delay(hall_id, day.isoformat())
    return len(hall_ids)


@shared_task(name="training.tasks.remind_hall_qualification_expiry", time_limit=120, soft_time_limit=100)
def remind_hall_qualification_expiry(hall_id: int, today: str) -> dict:
    """Send one hall's due expiry reminders (training.reminders.remind_qualification_expiry)."""
    run = remind_hall(hall_id=hall_id, today=date.fromisoformat(today))
    return {
        "hall_id": run.hall_id,
        "locked": run.locked,
        "qualifications": run.qualifications,
        "notifications": run.notifications,
    }

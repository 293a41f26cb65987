"""Timed duties of complaints. Tasks take ids and ISO datetimes and call one service."""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from complaints.deadline_services import halls_with_open_complaints, process_complaint_deadlines


@shared_task(name="complaints.tasks.check_complaint_deadlines", time_limit=240, soft_time_limit=200)
def check_complaint_deadlines(now: str | None = None) -> int:
    """Beat, every five minutes: fan out one deadline check per hall with open complaints, all with
    the same clock. Returns the number of halls queued. Safe to run twice (each hall task is)."""
    moment = datetime.fromisoformat(now) if now else timezone.now()
    hall_ids = halls_with_open_complaints()
    for hall_id in hall_ids:
        check_hall_complaint_deadlines.delay(hall_id, moment.isoformat())
    return len(hall_ids)


@shared_task(name="complaints.tasks.check_hall_complaint_deadlines", time_limit=120, soft_time_limit=100)
def check_hall_complaint_deadlines(hall_id: int, now: str) -> dict:
    """Mark, escalate and notify for one hall (complaints.deadline_services.process_complaint_deadlines)."""
    run = process_complaint_deadlines(hall_id=hall_id, now=datetime.fromisoformat(now))
    return {
        "hall_id": run.hall_id,
        "locked": run.locked,
        "escalations": run.escalations,
        "notifications": run.notifications,
    }

"""Celery tasks of staffing: thin wrappers that load by id and call a service."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from staffing import qualifications
from staffing.roster_services import run_roster_generation


@shared_task(name="staffing.generate_roster", time_limit=60 * 10, soft_time_limit=60 * 9)
def generate_roster(roster_id: int) -> str:
    """Generate a queued roster version (progress is written on the roster while it runs).
    Safe to run twice: only the run that claims the queued roster does anything; a second
    run returns "skipped" and changes nothing."""
    roster = run_roster_generation(roster_id=roster_id)
    if roster is None:
        return "skipped"
    return roster.generation_status


@shared_task(name="staffing.announce_expired_qualifications", time_limit=300, soft_time_limit=240)
def announce_expired_qualifications(today: str | None = None) -> int:
    """Beat, daily: queue the qualification.expired webhooks (staffing.qualifications). A second
    run queues nothing new."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    return qualifications.announce_expired_qualifications(today=day)

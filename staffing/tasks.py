"""Celery tasks of staffing: thin wrappers that load by id and call a service."""

from celery import shared_task

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

"""Timed duties of halls. Tasks take ids and ISO dates and call one function."""

from celery import shared_task

from halls.idempotency import purge_idempotency_keys


@shared_task(name="halls.tasks.purge_idempotency_keys", time_limit=300, soft_time_limit=240)
def purge_idempotency_keys_task() -> int:
    """Daily: forget Idempotency-Keys older than a week. Safe to run twice."""
    return purge_idempotency_keys()

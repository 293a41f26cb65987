"""Timed duties of the mystery-shop feature. Tasks take ISO dates and call one service.
Registered by Celery through assessment/apps.py (ready imports this module)."""

from datetime import date

from celery import shared_task
from django.db import connection
from django.utils import timezone

from assessment.mystery_shop.services import remind_rectifications

_LOCK_KEY = 0x4D595354  # "MYST": one reminder run at a time


@shared_task(name="assessment.mystery_shop.tasks.remind_rectifications", time_limit=600, soft_time_limit=540)
def remind_rectifications_task(today: str | None = None) -> dict:
    """Beat, daily at 08:30 (Asia/Shanghai): remind owners of rectification tasks due tomorrow or
    overdue, escalate those 3+ days overdue. Safe to run twice: each reminder and escalation is
    claimed once per task (compare-and-set), and an advisory lock keeps two runs apart."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return {"locked": True, "reminded": 0, "escalated": 0}
        try:
            result = remind_rectifications(today=day)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])
    return {"locked": False, "reminded": result.reminded, "escalated": result.escalated}

"""Health checks for load balancers and monitoring (`/healthz`): the database and the broker."""

import logging

from django.conf import settings
from django.db import connection
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> dict:
    """Runs SELECT 1 on the default database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok"}


def check_broker() -> dict:
    """Connects to CELERY_BROKER_URL within BROKER_TIMEOUT_SECONDS and no retry; reports "eager"
    when tasks run in-process (no broker to reach)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return {"status": "eager"}
    options = {"socket_timeout": BROKER_TIMEOUT_SECONDS, "socket_connect_timeout": BROKER_TIMEOUT_SECONDS}
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options
    ) as broker:
        broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return {"status": "ok"}


CHECKS = {"database": check_database, "broker": check_broker}


def run_health_checks() -> tuple[bool, dict[str, dict]]:
    """Runs every check; a check that raises is reported as failed with the error's type (the
    details, which may name hosts, go to the log only). Returns (healthy, results by name)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency is an unhealthy answer, not a 500
            logger.exception("Health check %s failed", name)
            results[name] = {"status": "fail", "error": type(exc).__name__}
    healthy = all(result["status"] != "fail" for result in results.values())
    return healthy, results

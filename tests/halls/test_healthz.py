"""/healthz for load balancers: database and broker, 200 when healthy, 503 naming the failing part."""

import io
import json
import logging
import os
import time

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

from hallops.logging import JsonLinesFormatter
from halls.models import UserSession

pytestmark = pytest.mark.django_db

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"


def test_with_tasks_in_process_the_broker_is_reported_eager(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"status": "ok"}, "broker": {"status": "eager"}},
    }


def test_the_answer_is_never_cached_and_opens_no_session(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "sessionid" not in response.cookies
    assert not UserSession.objects.exists()


def test_head_is_answered_and_post_is_refused(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.redis
@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=BROKER)
def test_a_reachable_broker_is_reported_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"] == {"status": "ok"}


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=UNREACHABLE_BROKER)
def test_an_unreachable_broker_answers_503_naming_the_broker_within_the_timeout(client):
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "checks": {
            "database": {"status": "ok"},
            "broker": {"status": "fail", "error": "OperationalError"},
        },
        "failing": ["broker"],
    }
    assert elapsed < 2


def test_a_failing_database_answers_503_naming_the_database(client, monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"status": "fail", "error": "OperationalError"}
    assert body["checks"]["broker"] == {"status": "eager"}


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=UNREACHABLE_BROKER)
def test_the_failure_is_logged_as_a_json_line_with_the_request_id_and_the_error(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter())
    logger = logging.getLogger("halls.health")
    logger.addHandler(handler)
    try:
        client.get("/healthz", HTTP_X_REQUEST_ID="probe-1")
    finally:
        logger.removeHandler(handler)

    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "Health check broker failed"
    assert entry["level"] == "ERROR"
    assert entry["request_id"] == "probe-1"
    assert "127.0.0.1:1" in entry["exception"]


@override_settings(SECURE_SSL_REDIRECT=True)
def test_load_balancers_reach_it_over_plain_http_when_pages_redirect_to_https(client):
    assert client.get("/login/").status_code == 301
    assert client.get("/healthz").status_code == 200

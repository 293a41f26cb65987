"""The administrators' settings pages for API clients: create (token shown once), edit scopes,
regions and rate, rotate, revoke, subscribe webhooks (secret shown once), the request log and the
delivery log with redeliver."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from halls.models import (
    ApiClient,
    ApiRequestLog,
    AuditEvent,
    WebhookDelivery,
    WebhookSubscription,
    hash_token,
)
from halls.webhooks import emit_event

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"hop_[A-Za-z0-9_-]{40,}")


def test_creating_a_client_shows_its_token_once_and_stores_only_the_hash(client, admin_user, branch):
    client.force_login(admin_user)
    response = client.post(
        reverse("api_client_create"),
        {
            "name": "HR 系统",
            "regions": [branch.pk],
            "scopes": ["staff:read", "qualifications:read"],
            "rate_limit_per_minute": 30,
        },
    )
    assert response.status_code == 200
    token = TOKEN.search(response.content.decode()).group(0)
    api = ApiClient.objects.get(name="HR 系统")
    assert api.token_hash == hash_token(token) and api.scopes == ["qualifications:read", "staff:read"]
    assert api.rate_limit_per_minute == 30 and not api.user.has_usable_password()
    for url in (reverse("api_client_list"), reverse("api_client_detail", args=[api.pk])):
        page = client.get(url)
        assert page.status_code == 200 and token not in page.content.decode()
    assert AuditEvent.objects.filter(action="halls.api_client.created", actor=admin_user).exists()


def test_an_invalid_client_form_saves_nothing(client, admin_user, branch):
    client.force_login(admin_user)
    response = client.post(
        reverse("api_client_create"), {"name": "", "regions": [], "rate_limit_per_minute": 0}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "regions", "rate_limit_per_minute"}
    assert not ApiClient.objects.exists()


def test_editing_rotating_and_revoking_from_the_page(client, admin_user, cast):
    client.force_login(admin_user)
    api = cast.hr_client
    url = reverse("api_client_detail", args=[api.pk])
    response = client.post(
        url,
        {
            "name": "hr-system",
            "regions": [cast.hall.region.pk],
            "scopes": ["halls:read"],
            "rate_limit_per_minute": 10,
        },
    )
    assert response.status_code == 303 and response["Location"] == url
    api.refresh_from_db()
    assert api.scopes == ["halls:read"] and api.rate_limit_per_minute == 10
    assert list(api.regions.values_list("pk", flat=True)) == [cast.hall.region.pk]

    rotated = client.post(reverse("api_client_rotate", args=[api.pk]), {"grace_minutes": 5})
    assert rotated.status_code == 200
    new = TOKEN.search(rotated.content.decode()).group(0)
    api.refresh_from_db()
    assert api.token_hash == hash_token(new) and api.previous_token_hash == hash_token(
        cast.hr_client.raw_token
    )
    bad = client.post(reverse("api_client_rotate", args=[api.pk]), {"grace_minutes": 5000})
    assert bad.status_code == 400 and ApiClient.objects.get(pk=api.pk).token_hash == hash_token(new)

    assert client.post(reverse("api_client_revoke", args=[api.pk])).status_code == 303
    assert not ApiClient.objects.get(pk=api.pk).is_active
    actions = set(AuditEvent.objects.filter(subject_id=str(api.pk)).values_list("action", flat=True))
    assert {
        "halls.api_client.updated",
        "halls.api_client.token_rotated",
        "halls.api_client.revoked",
    } <= actions


def test_subscribing_a_webhook_shows_the_secret_once_and_redeliver_queues_again(client, admin_user, cast):
    client.force_login(admin_user)
    api = cast.hr_client
    response = client.post(
        reverse("api_client_webhook_create", args=[api.pk]),
        {"url": "https://hr.example.invalid/hook", "events": ["staff.changed", "qualification.expired"]},
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert subscription.events == ["qualification.expired", "staff.changed"]
    detail = client.get(reverse("api_client_detail", args=[api.pk])).content.decode()
    assert subscription.secret not in detail
    refused = client.post(
        reverse("api_client_webhook_create", args=[api.pk]), {"url": "ftp://x", "events": []}
    )
    assert refused.status_code == 400 and WebhookSubscription.objects.count() == 1

    with transaction.atomic():
        emit_event(event="staff.changed", hall=cast.hall, data={})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.update(status="failed", next_attempt_at=None, attempts=10)
    assert client.post(reverse("webhook_redeliver", args=[delivery.pk])).status_code == 303
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert client.post(reverse("webhook_unsubscribe", args=[subscription.pk])).status_code == 303
    assert not WebhookSubscription.objects.get().is_active


def test_the_client_page_shows_its_last_50_requests_with_the_same_queries_at_any_count(
    client, admin_user, cast
):
    client.force_login(admin_user)
    url = reverse("api_client_detail", args=[cast.hr_client.pk])

    def log(n):
        ApiRequestLog.objects.bulk_create(
            [
                ApiRequestLog(
                    client=cast.hr_client, route=f"api-r{i}", method="GET", status=200, duration_ms=i
                )
                for i in range(n)
            ]
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), len(response.context["request_logs"])

    small = log(10)
    large = log(60)
    assert small[1] == 10 and large[1] == 50
    assert small[0] == large[0]

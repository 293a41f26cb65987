"""API clients: scopes per resource family, per-client rate limits, token rotation with a grace
period, revocation, and the request log that holds no secrets."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from halls import services
from halls.exceptions import DomainError
from halls.models import ApiClient, ApiRequestLog, AuditEvent
from halls.tasks import purge_api_request_logs
from tests.halls.factories import make_api_client
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db

STAFF = "/api/v1/staff/"
HALLS = "/api/v1/halls/"


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


def test_a_client_without_the_staff_scope_gets_a_403_naming_the_missing_scope(cast, api):
    _client, raw = make_api_client(
        regions=[cast.hall.region.parent], name="halls-only", scopes=["halls:read"]
    )
    client = api.as_token(raw)
    assert client.get(HALLS).status_code == 200
    response = client.get(STAFF)
    assert response.status_code == 403
    assert "staff:read" in response.json()["detail"]


def test_a_read_scope_does_not_allow_writes_and_a_write_scope_does(cast, api, admin_user):
    branch = cast.hall.region.parent
    reader, raw_reader = make_api_client(regions=[branch], name="reader", scopes=["complaints:read"])
    writer, raw_writer = make_api_client(regions=[branch], name="writer", scopes=["complaints:write"])
    body = {"hall": cast.hall.pk}  # incomplete on purpose: the scope is checked before validation
    refused = api.as_token(raw_reader).post("/api/v1/complaints/", body, format="json")
    assert refused.status_code == 403 and "complaints:write" in refused.json()["detail"]
    assert api.as_token(raw_writer).post("/api/v1/complaints/", body, format="json").status_code == 400
    assert api.as_token(raw_writer).get("/api/v1/complaints/").status_code == 200  # write includes read


def test_scope_changes_apply_to_the_next_request_and_are_audited(cast, api, admin_user):
    client = api.as_token(cast.hr_client.raw_token)
    assert client.get(STAFF).status_code == 200
    services.update_api_client(
        actor=admin_user,
        client=cast.hr_client,
        name="hr-system",
        regions=[cast.hall.region.parent],
        scopes=["halls:read"],
        rate_limit_per_minute=120,
    )
    assert client.get(STAFF).status_code == 403
    event = AuditEvent.objects.get(action="halls.api_client.updated")
    before, after = event.data["scopes"]
    assert "staff:read" in before and after == ["halls:read"]


def test_unknown_scopes_and_non_administrators_are_refused(cast, admin_user):
    with pytest.raises(DomainError) as error:
        services.create_api_client(actor=admin_user, name="x", regions=[], scopes=["payroll:read"])
    assert error.value.field == "scopes"
    with pytest.raises(Exception) as denied:
        services.create_api_client(actor=cast.branch_manager, name="y", regions=[], scopes=[])
    assert type(denied.value).__name__ == "PermissionDenied"
    assert not ApiClient.objects.filter(name__in=["x", "y"]).exists()


def test_the_rate_limit_is_per_client_and_answers_429_with_retry_after(cast, api):
    slow, raw_slow = make_api_client(regions=[cast.hall.region.parent], name="slow", rate_limit_per_minute=3)
    client = api.as_token(raw_slow)
    assert [client.get(HALLS).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(HALLS)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another client has its own budget.
    assert api.as_token(cast.hr_client.raw_token).get(HALLS).status_code == 200


def test_the_rate_window_passes(cast, api, time_machine):
    time_machine.move_to("2026-11-02 09:00:00+08:00", tick=False)
    _slow, raw = make_api_client(regions=[cast.hall.region.parent], name="slow", rate_limit_per_minute=1)
    client = api.as_token(raw)
    assert client.get(HALLS).status_code == 200
    assert client.get(HALLS).status_code == 429
    time_machine.move_to("2026-11-02 09:01:01+08:00", tick=False)
    assert client.get(HALLS).status_code == 200


def test_rotation_issues_a_new_token_and_ends_the_old_one_at_once(cast, api, admin_user):
    old = cast.hr_client.raw_token
    new = services.rotate_api_client_token(actor=admin_user, client=cast.hr_client)
    assert new != old and new.startswith("hop_")
    assert api.as_token(old).get(HALLS).status_code == 401
    assert api.as_token(new).get(HALLS).status_code == 200
    stored = ApiClient.objects.get(pk=cast.hr_client.pk)
    assert new not in str(ApiClient.objects.filter(pk=stored.pk).values().get())
    assert AuditEvent.objects.filter(action="halls.api_client.token_rotated").count() == 1


def test_rotation_with_a_grace_period_keeps_the_old_token_until_it_ends(cast, api, admin_user, time_machine):
    time_machine.move_to("2026-11-02 09:00:00+08:00", tick=False)
    old = cast.hr_client.raw_token
    new = services.rotate_api_client_token(actor=admin_user, client=cast.hr_client, grace_minutes=10)
    assert api.as_token(old).get(HALLS).status_code == 200
    assert api.as_token(new).get(HALLS).status_code == 200
    time_machine.move_to("2026-11-02 09:10:01+08:00", tick=False)
    assert api.as_token(old).get(HALLS).status_code == 401
    assert api.as_token(new).get(HALLS).status_code == 200
    # A second rotation ends any grace at once.
    newer = services.rotate_api_client_token(actor=admin_user, client=cast.hr_client)
    assert api.as_token(new).get(HALLS).status_code == 401
    assert api.as_token(newer).get(HALLS).status_code == 200


def test_revocation_also_ends_a_grace_period(cast, api, admin_user):
    old = cast.hr_client.raw_token
    services.rotate_api_client_token(actor=admin_user, client=cast.hr_client, grace_minutes=60)
    services.revoke_api_client(actor=admin_user, client=cast.hr_client)
    assert api.as_token(old).get(HALLS).status_code == 401


def test_every_token_request_is_logged_without_secrets(cast, api):
    StaffFactory(hall=cast.hall)
    client = api.as_token(cast.hr_client.raw_token)
    client.get(STAFF + "?updated_since=2020-01-01T00:00:00Z", HTTP_X_REQUEST_ID="req-1")
    api.as_token("hop_not-a-real-token").get(HALLS)
    rows = list(ApiRequestLog.objects.order_by("id").values())
    assert [(r["client_id"], r["route"], r["method"], r["status"]) for r in rows] == [
        (cast.hr_client.pk, "api-staff-list", "GET", 200),
        (None, "api-hall-list", "GET", 401),
    ]
    assert rows[0]["request_id"] == "req-1" and rows[0]["duration_ms"] >= 0
    dumped = str(rows)
    for secret in (cast.hr_client.raw_token, "hop_not-a-real-token", "updated_since", "Token"):
        assert secret not in dumped


def test_api_log_lines_carry_no_token(cast, api, caplog):
    caplog.set_level("INFO", logger="hallops.api")
    api.as_token(cast.hr_client.raw_token).get(HALLS)
    lines = [r.getMessage() for r in caplog.records if r.name == "hallops.api"]
    assert lines == [
        f"api GET api-hall-list 200 {caplog.records[-1].duration_ms}ms client={cast.hr_client.pk}"
    ]
    assert cast.hr_client.raw_token not in caplog.text


def test_old_request_log_rows_are_purged(cast, settings):
    settings.API_REQUEST_LOG_DAYS = 30
    now = timezone.now()
    old = ApiRequestLog.objects.create(
        client=cast.hr_client,
        route="r",
        method="GET",
        status=200,
        duration_ms=1,
        created_at=now - timedelta(days=31),
    )
    recent = ApiRequestLog.objects.create(
        client=cast.hr_client,
        route="r",
        method="GET",
        status=200,
        duration_ms=1,
        created_at=now - timedelta(days=29),
    )
    assert purge_api_request_logs() == 1
    assert purge_api_request_logs() == 0
    assert list(ApiRequestLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not ApiRequestLog.objects.filter(pk=old.pk).exists()

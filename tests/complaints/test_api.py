from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services
from complaints.models import Complaint
from halls.models import IdempotencyKey
from tests.complaints.factories import ComplaintFactory
from tests.halls.factories import make_api_client
from tests.staffing.factories import StaffFactory

PAYLOAD = {
    "hall": "H001",
    "channel": "hotline",
    "customer_name": "王五",
    "customer_phone": "13700001234",
    "category": "network_quality",
    "severity": "sensitive",
    "subject": "家中无信号",
    "clerks": ["C0001"],
}


@pytest.fixture
def hotline(cast):
    client, raw = make_api_client(regions=[cast.hall.region.parent], can_write=True, name="hotline-system")
    client.raw_token = raw
    return client


def post(api, token, payload, key):
    client = api.as_token(token)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/complaints/", payload, format="json", **headers)


@pytest.mark.django_db
def test_a_hotline_system_creates_a_complaint_with_an_idempotency_key(
    cast, clerk_staff, hotline, api, frozen
):
    response = post(api, hotline.raw_token, PAYLOAD, "call-0001")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["number"], body["hall"], body["clerks"], body["status"]) == (
        "TS202611-000001",
        "H001",
        ["C0001"],
        "received",
    )
    assert body["first_receiver"] == "api-hotline-system" and body["customer_phone"] == "137****1234"
    assert body["due_at"] == "2026-11-27T10:00:00+08:00"


@pytest.mark.django_db
def test_a_retried_create_with_the_same_key_makes_no_duplicate_and_replays_the_response(
    cast, clerk_staff, hotline, api, frozen
):
    first = post(api, hotline.raw_token, PAYLOAD, "call-0002")
    retry = post(api, hotline.raw_token, dict(reversed(list(PAYLOAD.items()))), "call-0002")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 1
    assert IdempotencyKey.objects.get(key="call-0002").status == "done"


@pytest.mark.django_db
def test_a_key_still_in_flight_answers_409(cast, clerk_staff, hotline, api, frozen):
    post(api, hotline.raw_token, PAYLOAD, "call-0003")
    IdempotencyKey.objects.filter(key="call-0003").update(
        status="in_flight", response_status=None, locked_at=timezone.now()
    )
    response = post(api, hotline.raw_token, PAYLOAD, "call-0003")
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_an_abandoned_in_flight_key_is_taken_over_after_the_timeout(cast, clerk_staff, hotline, api, frozen):
    post(api, hotline.raw_token, PAYLOAD, "call-0004")
    IdempotencyKey.objects.filter(key="call-0004").update(
        status="in_flight", response_status=None, locked_at=timezone.now() - timedelta(minutes=6)
    )
    response = post(api, hotline.raw_token, PAYLOAD, "call-0004")
    assert response.status_code == 201
    assert IdempotencyKey.objects.get(key="call-0004").status == "done"


@pytest.mark.django_db
def test_the_same_key_with_another_payload_answers_422(cast, clerk_staff, hotline, api, frozen):
    post(api, hotline.raw_token, PAYLOAD, "call-0005")
    response = post(api, hotline.raw_token, {**PAYLOAD, "subject": "另一件事"}, "call-0005")
    assert response.status_code == 422
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_client(cast, clerk_staff, hotline, api, frozen):
    other, raw = make_api_client(regions=[cast.hall.region.parent], can_write=True, name="web-form")
    assert post(api, hotline.raw_token, PAYLOAD, "shared-key").status_code == 201
    assert post(api, raw, PAYLOAD, "shared-key").status_code == 201
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_a_create_without_a_key_is_refused(cast, hotline, api, frozen):
    response = post(api, hotline.raw_token, PAYLOAD, None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_a_refused_create_releases_its_key_for_a_corrected_retry(cast, clerk_staff, hotline, api, frozen):
    bad = post(api, hotline.raw_token, {**PAYLOAD, "category": "nonsense"}, "call-0006")
    assert bad.status_code == 400 and "category" in bad.json()["errors"]
    assert not IdempotencyKey.objects.filter(key="call-0006").exists()
    assert post(api, hotline.raw_token, PAYLOAD, "call-0006").status_code == 201


@pytest.mark.django_db
def test_a_read_only_client_and_a_foreign_hall_cannot_create(cast, clerk_staff, hotline, api, frozen):
    assert post(api, cast.hr_client.raw_token, PAYLOAD, "k1").status_code == 403
    response = post(api, hotline.raw_token, {**PAYLOAD, "hall": "H900", "clerks": []}, "k2")
    assert response.status_code == 400 and "hall" in response.json()["errors"]


@pytest.mark.django_db
def test_a_stale_version_in_the_api_answers_409_with_the_current_version(in_progress, cast, api, frozen):
    client = api.as_user(cast.hall_manager)
    url = f"/api/v1/complaints/{in_progress.pk}/"
    ok = client.post(url + "pause/", {"version": 3, "reason": "等客户提供账单"}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == 4
    stale = client.post(url + "hand-over/", {"version": 3, "handler": "hall-manager"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 4 and "version" in stale.json()["errors"]


@pytest.mark.django_db
def test_workflow_actions_through_the_api(received, cast, api, frozen):
    client = api.as_user(cast.hall_manager)
    url = f"/api/v1/complaints/{received.pk}/"
    assert (
        client.post(url + "assign/", {"version": 1, "handler": "clerk"}, format="json").json()["status"]
        == "assigned"
    )
    clerk = api.as_user(cast.clerk)
    assert clerk.post(url + "start/", {"version": 2}, format="json").json()["status"] == "in_progress"
    refused = clerk.post(url + "close/", {"version": 3, "satisfaction": "satisfied"}, format="json")
    assert refused.status_code == 400 and "status" in refused.json()["errors"]
    replied = clerk.post(
        url + "reply/", {"version": 3, "reply": "已致歉", "root_cause": "用语不当"}, format="json"
    )
    assert replied.json()["status"] == "replied"
    assert (
        clerk.post(url + "close/", {"version": 4, "satisfaction": "satisfied"}, format="json").json()[
            "status"
        ]
        == "closed"
    )
    assert (
        clerk.post(url + "reopen/", {"version": 5, "reason": "客户再次来电"}, format="json").json()[
            "reopen_count"
        ]
        == 1
    )


@pytest.mark.django_db
def test_the_inspector_cannot_act_through_the_api(in_progress, cast, api, frozen):
    response = api.as_user(cast.inspector).post(
        f"/api/v1/complaints/{in_progress.pk}/pause/", {"version": 3, "reason": "x"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_list_filters_by_hall_status_severity_channel_overdue_and_updated_since(cast, api, frozen):
    now = timezone.now()
    late = ComplaintFactory(
        hall=cast.hall, severity="major", channel="regulator", due_at=now - timedelta(hours=1)
    )
    ComplaintFactory(hall=cast.hall, severity="normal", channel="hotline")
    ComplaintFactory(hall=cast.other_hall, severity="normal", channel="online")
    ComplaintFactory(hall=cast.foreign_hall)
    client = api.as_user(cast.branch_manager)

    def numbers(query):
        return sorted(r["number"] for r in client.get("/api/v1/complaints/?" + query).json()["results"])

    assert len(numbers("")) == 3
    assert len(numbers("hall=H001")) == 2
    assert (
        numbers("severity=major") == numbers("channel=regulator") == numbers("overdue=true") == [late.number]
    )
    assert len(numbers("overdue=false")) == 2
    assert len(numbers("status=received&channel=online")) == 1
    assert (
        numbers(f"updated_since={(timezone.now() + timedelta(days=1)).isoformat().replace('+', '%2B')}") == []
    )


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_at_n_and_3n_rows(cast, api, frozen):
    def make(n):
        for _ in range(n):
            ComplaintFactory(hall=cast.hall, clerks=[StaffFactory(hall=cast.hall)])

    client = api.as_user(cast.branch_manager)
    client.get("/api/v1/complaints/")
    counts = []
    for added, total in ((5, 5), (10, 15)):
        make(added)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/api/v1/complaints/").json()["results"]) == total
        counts.append(len(queries))
    # session, user, the caller's scope (memberships, API client, staff record), the page, its clerks
    assert counts == [7, 7], [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_create_then_workflow_keeps_the_first_receiver_the_api_client(
    cast, clerk_staff, second_clerk, hotline, api, frozen
):
    body = post(api, hotline.raw_token, PAYLOAD, "call-0007").json()
    complaint = Complaint.objects.get(pk=body["id"])
    services.assign_complaint(actor=cast.hall_manager, complaint=complaint, handler=second_clerk.user)
    complaint.refresh_from_db()
    assert complaint.first_receiver == hotline.user

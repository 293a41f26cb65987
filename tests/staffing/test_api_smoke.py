import datetime

import pytest

from halls.models import AuditEvent
from staffing.models import StaffPosting
from tests.staffing.factories import StaffFactory


@pytest.mark.django_db
def test_staff_list_pages_by_updated_at_cursor_without_repeats(cast, api):
    for _ in range(5):
        StaffFactory(hall=cast.hall)
    client = api.as_user(cast.hall_manager)
    seen, url = [], "/api/v1/staff/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 7  # 5 clerks + the manager's own record + the cast clerk


@pytest.mark.django_db
def test_transfer_keeps_posting_history_and_is_audited(cast, api):
    staff = StaffFactory(hall=cast.hall)
    response = api.as_user(cast.branch_manager).post(
        f"/api/v1/staff/{staff.pk}/transfer/", {"to_hall": "H002", "on": "2026-11-01"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["hall"] == "H002"
    postings = list(
        StaffPosting.objects.filter(staff=staff).order_by("started_on").values_list("hall__code", "ended_on")
    )
    assert postings == [("H001", datetime.date(2026, 10, 31)), ("H002", None)]
    assert (
        AuditEvent.objects.filter(action="staffing.staff.transferred", subject_id=str(staff.pk)).count() == 2
    )


@pytest.mark.django_db
def test_bad_staff_payload_answers_400_with_field_errors(cast, api):
    response = api.as_user(cast.hall_manager).post(
        "/api/v1/staff/", {"employee_no": "bad no!", "hall": "H001", "post": "boss"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"employee_no", "post", "name", "employment_type", "hire_date"} <= set(errors)


@pytest.mark.django_db
def test_hr_token_reads_but_cannot_write(cast, api):
    client = api.as_token(cast.hr_client.raw_token)
    assert client.get("/api/v1/halls/").status_code == 200
    response = client.post("/api/v1/staff/", {}, format="json")
    assert response.status_code == 403

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from halls.models import AuditEvent
from staffing.models import Staff, StaffPosting
from tests.concurrency import row_committed_while_blocked
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db

STAFF = "/api/v1/staff/"
VALID = {
    "employee_no": "E900001",
    "name": "赵新人",
    "hall": "H001",
    "post": "clerk",
    "employment_type": "contract",
    "hire_date": "2026-10-08",
}


def numbers(response):
    assert response.status_code == 200, response.content
    return sorted(row["employee_no"] for row in response.json()["results"])


def walk(client, url):
    rows = []
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


@pytest.fixture
def people(cast):
    """Beside the cast's manager (M0001) and clerk (C0001): a guide on probation in H001,
    a clerk in H002 and one in the foreign hall."""
    StaffFactory(hall=cast.hall, employee_no="G0001", post="guide", status="probation")
    StaffFactory(hall=cast.other_hall, employee_no="C0002")
    StaffFactory(hall=cast.foreign_hall, employee_no="F0001")
    return cast


# --- filters ---------------------------------------------------------------------------


def test_region_filter_takes_a_subtree_within_the_callers_scope(people, api):
    client = api.as_user(people.branch_manager)
    assert numbers(client.get(STAFF)) == ["C0001", "C0002", "G0001", "M0001"]
    assert numbers(client.get(STAFF, {"region": "BR01"})) == ["C0001", "C0002", "G0001", "M0001"]
    assert numbers(client.get(STAFF, {"region": "CT02"})) == ["C0002"]
    assert numbers(client.get(STAFF, {"region": "BR90"})) == []


def test_hall_post_and_status_filters(people, api):
    client = api.as_user(people.branch_manager)
    assert numbers(client.get(STAFF, {"hall": "H001"})) == ["C0001", "G0001", "M0001"]
    assert numbers(client.get(STAFF, {"hall": "H001", "post": "clerk"})) == ["C0001"]
    assert numbers(client.get(STAFF, {"status": "probation"})) == ["G0001"]
    assert numbers(client.get(STAFF, {"q": "G00"})) == ["G0001"]
    response = client.get(STAFF, {"post": "boss", "status": "retired"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"post", "status"}


def test_updated_since_returns_people_changed_from_that_instant(people, api):
    Staff.objects.filter(employee_no="C0002").update(star_level=4)
    since = Staff.objects.get(employee_no="C0002").updated_at
    assert numbers(api.as_user(people.branch_manager).get(STAFF, {"updated_since": since.isoformat()})) == [
        "C0002"
    ]


def test_staff_cursor_paging_sees_every_row_once_and_updated_rows_again(people, api):
    for n in range(5):
        StaffFactory(hall=people.hall, employee_no=f"P000{n}")
    client = api.as_user(people.hall_manager)
    first = client.get(f"{STAFF}?page_size=2").json()
    read = first["results"][0]["employee_no"]
    Staff.objects.filter(employee_no=read).update(star_level=5)
    rows = first["results"] + walk(client, first["next"])
    seen = [row["employee_no"] for row in rows]
    expected = sorted(Staff.objects.visible_to(people.hall_manager).values_list("employee_no", flat=True))
    assert sorted(set(seen)) == expected and len(expected) == 8
    assert [n for n in seen if seen.count(n) > 1] == [read, read]
    assert rows[-1] == {**rows[-1], "employee_no": read, "star_level": 5}


def test_queryset_update_moves_staff_updated_at(clerk_staff):
    before = Staff.objects.get(pk=clerk_staff.pk).updated_at
    Staff.objects.filter(pk=clerk_staff.pk).update(phone="13800000000")
    assert Staff.objects.get(pk=clerk_staff.pk).updated_at > before


# --- scoping and permissions -------------------------------------------------------------


def test_another_halls_staff_are_a_404_for_reads_and_writes(people, api):
    theirs = Staff.objects.get(employee_no="C0002")
    client = api.as_user(people.hall_manager)
    assert client.get(f"{STAFF}{theirs.pk}/").status_code == 404
    assert client.get(f"{STAFF}{theirs.pk}/postings/").status_code == 404
    assert client.patch(f"{STAFF}{theirs.pk}/", {"star_level": 1}).status_code == 404
    foreign = Staff.objects.get(employee_no="F0001")
    branch = api.as_user(people.branch_manager)
    assert (
        branch.post(f"{STAFF}{foreign.pk}/transfer/", {"to_hall": "H001", "on": "2026-12-01"}).status_code
        == 404
    )
    assert Staff.objects.get(pk=theirs.pk).star_level == 3


def test_a_clerk_sees_only_their_own_record(people, clerk_staff, api):
    client = api.as_user(people.clerk)
    assert numbers(client.get(STAFF)) == ["C0001"]
    colleague = Staff.objects.get(employee_no="G0001")
    assert client.get(f"{STAFF}{colleague.pk}/").status_code == 404
    assert client.get(f"{STAFF}{clerk_staff.pk}/").status_code == 200


@pytest.mark.parametrize("who", ["clerk", "inspector"])
def test_clerks_and_inspectors_cannot_write_staff(people, clerk_staff, api, who):
    client = api.as_user(getattr(people, who))
    assert client.post(STAFF, VALID).status_code == 403
    assert client.patch(f"{STAFF}{clerk_staff.pk}/", {"star_level": 5}).status_code == 403
    assert (
        client.post(f"{STAFF}{clerk_staff.pk}/transfer/", {"to_hall": "H002", "on": "2026-12-01"}).status_code
        == 403
    )
    assert Staff.objects.get(pk=clerk_staff.pk).star_level == 3
    assert not Staff.objects.filter(employee_no="E900001").exists()


def test_a_hall_manager_cannot_transfer_and_a_read_only_token_cannot_write(people, clerk_staff, api):
    manager = api.as_user(people.hall_manager)
    assert (
        manager.post(
            f"{STAFF}{clerk_staff.pk}/transfer/", {"to_hall": "H002", "on": "2026-12-01"}
        ).status_code
        == 403
    )
    token = api.as_token(people.hr_client.raw_token)
    assert token.patch(f"{STAFF}{clerk_staff.pk}/", {"star_level": 5}).status_code == 403
    assert StaffPosting.objects.filter(staff=clerk_staff).count() == 1


def test_a_hall_manager_creates_staff_in_their_hall_only(people, api):
    client = api.as_user(people.hall_manager)
    response = client.post(STAFF, VALID)
    assert response.status_code == 201, response.json()
    staff = Staff.objects.get(employee_no="E900001")
    assert list(staff.postings.values_list("hall__code", "started_on", "ended_on")) == [
        ("H001", datetime.date(2026, 10, 8), None)
    ]
    assert AuditEvent.objects.filter(action="staffing.staff.created", subject_id=str(staff.pk)).count() == 1
    response = client.post(STAFF, {**VALID, "employee_no": "E900002", "hall": "H002"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["hall"]


# --- bad payloads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hire_date": "last monday"}, "hire_date"),
        ({"star_level": "five"}, "star_level"),
        ({"star_level": 6}, "star_level"),
        ({"post": "boss"}, "post"),
        ({"employment_type": "volunteer"}, "employment_type"),
        ({"status": "retired"}, "status"),
        ({"name": "名" * 61}, "name"),
        ({"employee_no": "E" * 21}, "employee_no"),
        ({"employee_no": "bad no!"}, "employee_no"),
        ({"phone": "call me"}, "phone"),
        ({"hall": "H999"}, "hall"),
        ({"employee_no": "C0001"}, "employee_no"),
    ],
)
def test_bad_staff_payloads_answer_400_naming_the_field(people, api, change, field):
    response = api.as_user(people.hall_manager).post(STAFF, {**VALID, **change})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"]
    assert list(body["errors"]) == [field]
    assert Staff.objects.count() == 5


def test_a_transfer_dated_before_the_current_posting_is_a_400(people, clerk_staff, api):
    response = api.as_user(people.branch_manager).post(
        f"{STAFF}{clerk_staff.pk}/transfer/", {"to_hall": "H002", "on": "2024-03-01"}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["on"]
    response = api.as_user(people.branch_manager).post(
        f"{STAFF}{clerk_staff.pk}/transfer/", {"to_hall": "H001", "on": "2026-12-01"}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["hall"]


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_employee_number_is_a_400_not_a_500(cast, api):
    client = api.as_user(cast.hall_manager)
    with row_committed_while_blocked(lambda: StaffFactory(hall=cast.other_hall, employee_no="E900001")):
        response = client.post(STAFF, VALID)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["employee_no"]
    assert Staff.objects.filter(employee_no="E900001").count() == 1


# --- query counts ------------------------------------------------------------------------


def list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(STAFF)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("who", ["branch_manager", "hall_manager"])
def test_staff_list_runs_the_same_queries_at_n_and_3n_rows(cast, api, who):
    client = api.as_user(getattr(cast, who))
    StaffFactory.create_batch(4, hall=cast.hall)
    small, rows_small = list_queries(client)
    StaffFactory.create_batch(8, hall=cast.hall)
    large, rows_large = list_queries(client)
    assert (rows_small, rows_large) == (6, 14)
    assert small == large == 6

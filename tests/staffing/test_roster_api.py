import datetime
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from staffing.models import Roster
from tests.staffing.factories import (
    RosterFactory,
    ShiftTypeFactory,
    StaffFactory,
    make_assignment,
    qualify,
    weekly_opening_hours,
)
from tests.staffing.rostering.fixtures import english  # noqa: F401 -- autouse: messages in English

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 2)
NOW = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)


@pytest.fixture
def rosters(cast):
    shift = ShiftTypeFactory(hall=cast.hall, code="D", start=time(9), end=time(17))
    draft = RosterFactory(hall=cast.hall, version=2)
    published = RosterFactory(hall=cast.hall, version=1, status="published", published_at=NOW)
    foreign = RosterFactory(hall=cast.other_hall, version=1)
    people = [StaffFactory(hall=cast.hall) for _ in range(2)]
    for roster in (draft, published):
        for i, person in enumerate(people):
            make_assignment(roster, person, MONDAY + timedelta(days=i), shift)
    make_assignment(
        foreign, StaffFactory(hall=cast.other_hall), MONDAY, ShiftTypeFactory(hall=cast.other_hall)
    )
    return {"draft": draft, "published": published, "foreign": foreign, "shift": shift, "people": people}


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_each_role_sees_the_rosters_of_its_scope(cast, api, rosters):
    draft, published, foreign = rosters["draft"].pk, rosters["published"].pk, rosters["foreign"].pk
    assert ids(api.as_user(cast.hall_manager).get("/api/v1/rosters/")) == {draft, published}
    assert ids(api.as_user(cast.branch_manager).get("/api/v1/rosters/")) == {draft, published, foreign}
    assert ids(api.as_user(cast.clerk).get("/api/v1/rosters/")) == {published}
    assert ids(api.as_token(cast.hr_client.raw_token).get("/api/v1/rosters/")) == {draft, published, foreign}
    assert api.as_user(cast.hall_manager).get(f"/api/v1/rosters/{foreign}/").status_code == 404
    assert api.as_user(cast.clerk).get(f"/api/v1/rosters/{draft}/").status_code == 404


def test_assignments_filter_by_hall_date_range_and_staff(cast, api, rosters):
    client = api.as_user(cast.branch_manager)
    assert len(ids(client.get("/api/v1/assignments/"))) == 5
    assert len(ids(client.get("/api/v1/assignments/?hall=H002"))) == 1
    assert len(ids(client.get("/api/v1/assignments/?hall=H001&date_from=2026-03-03&date_to=2026-03-08"))) == 2
    person = rosters["people"][0]
    rows = client.get(f"/api/v1/assignments/?staff={person.pk}&published=true").json()["results"]
    assert [(r["employee_no"], r["date"], r["shift"], r["roster_status"]) for r in rows] == [
        (person.employee_no, "2026-03-02", "D", "published")
    ]
    clerk_rows = ids(api.as_user(cast.clerk).get("/api/v1/assignments/"))
    assert clerk_rows == set(rosters["published"].assignments.values_list("pk", flat=True))


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_roster_and_assignment_lists_run_the_same_queries_at_n_and_3n_rows(cast, api):
    shift = ShiftTypeFactory(hall=cast.hall, code="D")

    def add(n):
        for _ in range(n):
            roster = RosterFactory(hall=cast.hall)
            make_assignment(roster, StaffFactory(hall=cast.hall), MONDAY, shift)

    client = api.as_user(cast.hall_manager)
    add(4)
    small = [
        count_queries(client, url)
        for url in ("/api/v1/rosters/", "/api/v1/assignments/", "/api/v1/shift-types/")
    ]
    add(8)
    large = [
        count_queries(client, url)
        for url in ("/api/v1/rosters/", "/api/v1/assignments/", "/api/v1/shift-types/")
    ]
    assert small == large
    assert small[1] <= 6


def test_editing_through_the_api_checks_the_rules_and_scope(cast, api, rosters):
    draft, person = rosters["draft"], rosters["people"][0]
    qualify(person)
    client = api.as_user(cast.hall_manager)
    body = {"roster": draft.pk, "staff": person.pk, "date": "2026-03-04", "shift": "D"}
    response = client.post("/api/v1/assignments/", body, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["shift"], response.json()["post"]) == ("D", "window")
    late = ShiftTypeFactory(hall=cast.hall, code="L", start=time(14), end=time(22))
    early = ShiftTypeFactory(hall=cast.hall, code="E", start=time(7), end=time(15))
    assert client.post("/api/v1/assignments/", {**body, "shift": late.code}, format="json").status_code == 200
    broken = client.post(
        "/api/v1/assignments/", {**body, "date": "2026-03-05", "shift": early.code}, format="json"
    )
    assert broken.status_code == 400
    # The API answers in the request's language, zh-hans by default.
    assert (
        broken.json()["detail"]
        == f"{person.name} 在 L 与 2026-03-05 的 E 之间仅休息 9 小时，至少需要 11 小时。"
    )
    cleared = client.post("/api/v1/assignments/", {**body, "shift": None}, format="json")
    assert cleared.status_code == 204
    other = api.as_user(cast.other_hall_manager).post("/api/v1/assignments/", body, format="json")
    assert other.status_code == 404
    clerk = api.as_user(cast.clerk).post("/api/v1/assignments/", body, format="json")
    assert clerk.status_code == 403
    client = api.as_user(cast.hall_manager)  # one test client: log the manager back in
    on_published = client.post(
        "/api/v1/assignments/", {**body, "roster": rosters["published"].pk}, format="json"
    )
    assert on_published.status_code == 400
    assert on_published.json()["detail"] == "只能修改草稿状态的排班表。"


def test_generate_publish_coverage_and_compare_through_the_api(
    cast, api, hall_manager, django_capture_on_commit_callbacks
):
    weekly_opening_hours(cast.hall)
    ShiftTypeFactory(hall=cast.hall, code="D", start=time(9), end=time(17))
    for i in range(6):
        qualify(StaffFactory(hall=cast.hall, star_level=4 if i < 2 else 3))
    client = api.as_user(hall_manager)
    payload = {
        "hall": "H001",
        "period_start": "2026-03-02",
        "period_end": "2026-03-08",
        "time_limit_seconds": 2,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/rosters/generate/", payload, format="json")
    assert response.status_code == 202, response.json()
    roster_id = response.json()["id"]
    body = client.get(f"/api/v1/rosters/{roster_id}/").json()
    assert (body["generation_status"], body["progress"], body["unmet"]) == ("done", 100, [])
    coverage = client.get(f"/api/v1/rosters/{roster_id}/coverage/").json()
    assert len(coverage) == 56 and all(row["gap"] == 0 and row["required"] == 3 for row in coverage)
    published = client.post(f"/api/v1/rosters/{roster_id}/publish/")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published"
    empty = client.post("/api/v1/rosters/", payload, format="json")
    assert empty.status_code == 201 and empty.json()["version"] == 2
    changes = client.get(f"/api/v1/rosters/{empty.json()['id']}/compare/?with={roster_id}").json()
    assert {c["kind"] for c in changes} == {"removed"}
    assert len(changes) == Roster.objects.get(pk=roster_id).assignments.count()


def test_roster_writes_are_refused_to_clerks_hr_tokens_and_other_halls(cast, api, rosters):
    payload = {"hall": "H001", "period_start": "2026-03-02", "period_end": "2026-03-08"}
    assert (
        api.as_user(cast.clerk).post("/api/v1/rosters/generate/", payload, format="json").status_code == 403
    )
    assert (
        api.as_token(cast.hr_client.raw_token).post("/api/v1/rosters/", payload, format="json").status_code
        == 403
    )
    other = api.as_user(cast.other_hall_manager).post("/api/v1/rosters/", payload, format="json")
    assert other.status_code == 400 and "hall" in other.json()["errors"]
    publish = api.as_user(cast.other_hall_manager).post(f"/api/v1/rosters/{rosters['draft'].pk}/publish/")
    assert publish.status_code == 404
    assert not Roster.objects.filter(version__gt=2).exists()


def test_the_openapi_schema_lists_the_rostering_endpoints(cast, api):
    response = api.as_user(cast.branch_manager).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/rosters/generate/", "/api/v1/rosters/{id}/coverage/", "/api/v1/assignments/"} <= set(
        paths
    )

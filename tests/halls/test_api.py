import pgtrigger
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from halls.models import ApiClient, AuditEvent, Hall, OpeningHours
from halls.services import revoke_api_client
from tests.concurrency import row_committed_while_blocked
from tests.halls.factories import HallFactory, make_api_client
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db

HALLS = "/api/v1/halls/"


def codes(response):
    assert response.status_code == 200, response.content
    return sorted(row["code"] for row in response.json()["results"])


def walk(client, url):
    """Follow `next` to the end; the rows of every page in order."""
    rows = []
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


# --- filters ---------------------------------------------------------------------------


def test_region_filter_takes_the_whole_subtree_of_a_branch_or_one_county(cast, api):
    client = api.as_user(cast.branch_manager)
    assert codes(client.get(HALLS, {"region": "BR01"})) == ["H001", "H002"]
    assert codes(client.get(HALLS, {"region": "CT01"})) == ["H001"]
    assert codes(client.get(HALLS, {"region": "NOPE"})) == []


def test_region_filter_never_widens_the_callers_scope(cast, api):
    assert codes(api.as_user(cast.branch_manager).get(HALLS, {"region": "BR90"})) == []
    assert codes(api.as_user(cast.hall_manager).get(HALLS, {"region": "BR01"})) == ["H001"]


def test_class_and_operation_filters(cast, api):
    HallFactory(code="H003", region=cast.hall.region, hall_class="A", operation="partner")
    client = api.as_user(cast.branch_manager)
    assert codes(client.get(HALLS, {"hall_class": "A"})) == ["H001", "H003"]
    assert codes(client.get(HALLS, {"hall_class": "A", "operation": "partner"})) == ["H003"]
    response = client.get(HALLS, {"hall_class": "C"})
    assert response.status_code == 400
    assert "hall_class" in response.json()["errors"]


def test_updated_since_returns_rows_changed_at_or_after_the_instant(cast, api):
    Hall.objects.filter(pk=cast.other_hall.pk).update(window_count=9)
    since = Hall.objects.get(pk=cast.other_hall.pk).updated_at
    client = api.as_user(cast.branch_manager)
    assert codes(client.get(HALLS, {"updated_since": since.isoformat()})) == ["H002"]
    response = client.get(HALLS, {"updated_since": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"updated_since"}


# --- cursor pagination -------------------------------------------------------------------


def test_cursor_pages_never_repeat_or_skip_rows_that_share_an_updated_at(cast, api):
    for n in range(3, 10):
        HallFactory(code=f"H{n:03d}", region=cast.hall.region)
    with pgtrigger.ignore("halls.Hall:touch_updated_at"):
        Hall.objects.update(updated_at=timezone.now())
    assert Hall.objects.values("updated_at").distinct().count() == 1
    rows = walk(api.as_user(cast.branch_manager), f"{HALLS}?page_size=2")
    assert [row["code"] for row in rows] == [f"H{n:03d}" for n in range(1, 10)]


def test_a_row_updated_while_paging_is_seen_again_with_its_new_values_and_nothing_is_skipped(cast, api):
    for n in range(3, 9):
        HallFactory(code=f"H{n:03d}", region=cast.hall.region)
    client = api.as_user(cast.branch_manager)
    first = client.get(f"{HALLS}?page_size=3").json()
    seen = first["results"]
    already_read, not_yet_read = seen[0]["code"], None
    visible = Hall.objects.visible_to(cast.branch_manager)
    unread = visible.exclude(code__in=[row["code"] for row in seen]).order_by("updated_at", "id")
    not_yet_read = unread.first().code
    Hall.objects.filter(code__in=[already_read, not_yet_read]).update(name="改名营业厅")
    rows = seen + walk(client, first["next"])
    all_codes = [row["code"] for row in rows]
    assert sorted(set(all_codes)) == sorted(visible.values_list("code", flat=True))
    assert sorted(c for c in all_codes if all_codes.count(c) > 1) == [already_read, already_read]
    latest = {row["code"]: row["name"] for row in rows}
    assert latest[already_read] == latest[not_yet_read] == "改名营业厅"


def test_an_invalid_cursor_or_page_size_is_a_400(cast, api):
    client = api.as_user(cast.branch_manager)
    response = client.get(HALLS, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]
    response = client.get(HALLS, {"page_size": "0"})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


def test_queryset_update_moves_updated_at_through_the_trigger(hall):
    before = Hall.objects.get(pk=hall.pk).updated_at
    Hall.objects.filter(pk=hall.pk).update(window_count=7)
    after = Hall.objects.get(pk=hall.pk).updated_at
    assert after > before
    Hall.objects.filter(pk=hall.pk).update(updated_at=before)  # the trigger wins over the caller
    assert Hall.objects.get(pk=hall.pk).updated_at > after


# --- scoping and permissions -------------------------------------------------------------


@pytest.mark.parametrize("who", ["hall_manager", "clerk", "other_hall_manager"])
def test_another_halls_detail_is_a_404(cast, api, who):
    user = getattr(cast, who)
    mine = Hall.objects.visible_to(user).get()
    client = api.as_user(user)
    for hall in (cast.hall, cast.other_hall, cast.foreign_hall):
        expected = 200 if hall == mine else 404
        assert client.get(f"{HALLS}{hall.pk}/").status_code == expected


def test_a_foreign_hall_is_a_404_for_readers_and_writers_alike(cast, api):
    client = api.as_user(cast.branch_manager)
    assert client.get(f"{HALLS}{cast.foreign_hall.pk}/").status_code == 404
    assert client.patch(f"{HALLS}{cast.foreign_hall.pk}/", {"name": "x"}).status_code == 404
    token = api.as_token(cast.hr_client.raw_token)
    assert token.get(f"{HALLS}{cast.foreign_hall.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["hall_manager", "inspector", "clerk", "other_hall_manager"])
def test_only_branch_management_writes_halls(cast, api, who):
    client = api.as_user(getattr(cast, who))
    payload = {"code": "H100", "name": "新厅", "hall_class": "B", "operation": "self", "region": "CT01"}
    response = client.post(HALLS, payload)
    assert response.status_code == 403
    assert response.json()["detail"]
    if who != "other_hall_manager":
        assert client.patch(f"{HALLS}{cast.hall.pk}/", {"name": "x"}).status_code == 403
    assert not Hall.objects.filter(code="H100").exists()
    assert Hall.objects.get(pk=cast.hall.pk).name == "人民路营业厅"


def test_a_read_only_hr_token_cannot_write_and_a_writing_one_can(cast, api):
    payload = {"code": "H100", "name": "新厅", "hall_class": "B", "operation": "self", "region": "CT01"}
    assert api.as_token(cast.hr_client.raw_token).post(HALLS, payload).status_code == 403
    writer, raw = make_api_client(regions=[cast.hall.region.parent], can_write=True, name="hr-writer")
    assert api.as_token(raw).post(HALLS, payload).status_code == 403  # hall.create is branch management's


def test_anonymous_requests_are_asked_for_a_token(db, api):
    response = api.get(HALLS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_branch_manager_creates_a_hall_with_class_minimums_and_an_audit_row(cast, api):
    payload = {"code": "H100", "name": "新厅", "hall_class": "A", "operation": "self", "region": "CT01"}
    response = api.as_user(cast.branch_manager).post(HALLS, payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["min_staff_offpeak"], body["min_staff_peak"], body["branch"]) == (3, 4, "BR01")
    event = AuditEvent.objects.get(action="halls.hall.created")
    assert (event.actor, event.hall.code) == (cast.branch_manager, "H100")


# --- bad payloads ------------------------------------------------------------------------

VALID = {"code": "H100", "name": "新厅", "hall_class": "B", "operation": "self", "region": "CT01"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"window_count": "many"}, "window_count"),
        ({"has_vip_zone": "perhaps"}, "has_vip_zone"),
        ({"hall_class": "C"}, "hall_class"),
        ({"operation": "franchise"}, "operation"),
        ({"name": "厅" * 121}, "name"),
        ({"code": "H" * 21}, "code"),
        ({"region": "NOPE"}, "region"),
        ({"window_count": 0}, "window_count"),
        ({"min_staff_offpeak": 4, "min_staff_peak": 3}, "min_staff_peak"),
        ({"code": "H002"}, "code"),
        ({"region": "CT90"}, "region"),
    ],
)
def test_bad_hall_payloads_answer_400_with_the_field_in_error(cast, api, change, field):
    response = api.as_user(cast.branch_manager).post(HALLS, {**VALID, **change})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"]
    assert list(body["errors"]) == [field]
    assert isinstance(body["errors"][field], list)
    assert Hall.objects.count() == 3


def test_a_peak_minimum_below_the_stored_off_peak_minimum_is_a_400(cast, api):
    response = api.as_user(cast.branch_manager).patch(f"{HALLS}{cast.hall.pk}/", {"min_staff_peak": 2})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["min_staff_peak"]
    assert Hall.objects.get(pk=cast.hall.pk).min_staff_peak == 4


def test_a_non_json_body_is_a_400_not_a_500(cast, api):
    client = api.as_user(cast.branch_manager)
    response = client.post(HALLS, "{not json", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_hall_code_is_a_400_not_a_500(cast, api):
    client = api.as_user(cast.branch_manager)

    def other_request():
        HallFactory(code="H100", region=cast.hall.region)

    with row_committed_while_blocked(other_request):
        response = client.post(HALLS, VALID)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["code"]
    assert Hall.objects.filter(code="H100").count() == 1


# --- token authentication ----------------------------------------------------------------


def test_an_unknown_token_is_a_401(cast, api):
    response = api.as_token("hop_nonsense").get(HALLS)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_client_or_a_deactivated_user_is_a_401(cast, api, admin_user):
    client = api.as_token(cast.hr_client.raw_token)
    assert client.get(HALLS).status_code == 200
    revoke_api_client(actor=admin_user, client=cast.hr_client)
    assert client.get(HALLS).status_code == 401
    other, raw = make_api_client(regions=[cast.hall.region], name="other")
    other.user.is_active = False
    other.user.save()
    assert api.as_token(raw).get(HALLS).status_code == 401


def test_a_malformed_authorization_header_is_a_401(db, api):
    api.credentials(HTTP_AUTHORIZATION="Token two parts")
    assert api.get(HALLS).status_code == 401


def test_token_use_records_last_used_at_at_most_once_a_minute(cast, api, time_machine):
    time_machine.move_to("2026-11-02 09:00:00+08:00", tick=False)
    client = api.as_token(cast.hr_client.raw_token)
    assert client.get(HALLS).status_code == 200
    first = ApiClient.objects.get(pk=cast.hr_client.pk).last_used_at
    assert first.isoformat() == "2026-11-02T01:00:00+00:00"
    time_machine.move_to("2026-11-02 09:00:30+08:00", tick=False)
    client.get(HALLS)
    assert ApiClient.objects.get(pk=cast.hr_client.pk).last_used_at == first
    time_machine.move_to("2026-11-02 09:01:01+08:00", tick=False)
    client.get(HALLS)
    assert ApiClient.objects.get(pk=cast.hr_client.pk).last_used_at.isoformat() == "2026-11-02T01:01:01+00:00"


# --- schema and docs ---------------------------------------------------------------------


def test_the_openapi_schema_generates_and_validates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/halls/" in text and "/api/v1/staff/{id}/transfer/" in text
    assert "apiClientToken" in text


def test_api_docs_are_served_with_local_assets_only(cast, api):
    from django.contrib.staticfiles import finders

    response = api.as_user(cast.branch_manager).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    for cdn in ("cdn.", "jsdelivr", "unpkg", "cdnjs"):
        assert cdn not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    schema = api.as_user(cast.branch_manager).get("/api/schema/")
    assert schema.status_code == 200


# --- query counts ------------------------------------------------------------------------


def add_halls(region, count, start):
    for n in range(start, start + count):
        hall = HallFactory(code=f"Q{n:03d}", region=region)
        OpeningHours.objects.create(hall=hall, weekday=0, opens_at="08:30", closes_at="18:00")
        StaffFactory(hall=hall)


def list_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("by", ["session", "token"])
def test_hall_list_runs_the_same_queries_at_n_and_3n_rows(cast, api, by):
    client = api.as_user(cast.branch_manager) if by == "session" else api.as_token(cast.hr_client.raw_token)
    add_halls(cast.hall.region, 3, 0)
    client.get(HALLS)  # a token's first use in a minute also stamps last_used_at
    small, rows_small = list_queries(client, HALLS)
    add_halls(cast.hall.region, 6, 3)
    large, rows_large = list_queries(client, HALLS)
    assert (rows_small, rows_large) == (5, 11)
    # The token path adds its request-log INSERT.
    assert small == large == {"session": 7, "token": 8}[by], (small, large)

"""Who reads which checklist version. The market department (`mystery.manage_templates`) reads every
version — drafts, frozen versions, how many visits used each. Everyone else (the hall's manager and
clerks, other halls, branch managers, HR clients) reads the versions that have been in force — the
one in force and the retired ones (`first_in_force_at`): a draft answers the list page, the detail
page and the API exactly like a version that does not exist, and no visit, covert or not, changes
what they read."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from assessment.mystery_shop import checklist_services as checklists
from assessment.mystery_shop import services
from assessment.mystery_shop.models import ChecklistTemplate, Visit
from tests.assessment.mystery_shop.factories import complete_visit, default_template, published_visit, start
from tests.assessment.mystery_shop.test_checklist_pages import checklist_of
from tests.assessment.mystery_shop.test_secrecy import body_without

pytestmark = pytest.mark.django_db

API = "/api/v1/assessment/inspection-templates/"
OUTSIDE_THE_MARKET_DEPARTMENT = ["hall_manager", "clerk", "branch_manager", "other_hall_manager"]


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def detail_url(pk: int) -> str:
    return reverse("assessment:mystery:template-detail", kwargs={"pk": pk})


LIST_URL = reverse("assessment:mystery:template-list")


def missing_pk() -> int:
    return ChecklistTemplate.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000


def draft(inspector) -> ChecklistTemplate:
    return checklists.create_template_version(actor=inspector, template=default_template())


def retire(inspector, template: ChecklistTemplate) -> ChecklistTemplate:
    """Put a copy of `template` in force, so `template` steps down; returns the copy."""
    copy = checklists.create_template_version(actor=inspector, template=template)
    return checklists.activate_template(actor=inspector, template=copy)


def listed(client) -> dict[str, list[int]]:
    """{checklist name: [version numbers]} as the list page shows them."""
    response = client.get(LIST_URL)
    assert response.status_code == 200
    return {name: [t.version for t in versions] for name, versions in response.context["groups"]}


def api_for(cast, who: str) -> APIClient:
    """The API as one of the cast: the HR client by its token, anyone else by their session."""
    api = APIClient()
    if who == "hr_client":
        api.credentials(HTTP_AUTHORIZATION=f"Token {cast.hr_client.raw_token}")
    else:
        api.force_authenticate(getattr(cast, who))
    return api


def api_ids(api, params: dict | None = None) -> list[int]:
    response = api.get(API, params or {})
    assert response.status_code == 200
    return sorted(row["id"] for row in response.json()["results"])


def assert_page_like_missing(client, pk: int) -> None:
    real_url, absent_url = detail_url(pk), detail_url(missing_pk())
    real, absent = client.get(real_url), client.get(absent_url)
    assert real.status_code == absent.status_code == 404
    assert body_without(real, real_url) == body_without(absent, absent_url)


def assert_api_like_missing(api, pk: int) -> None:
    real, absent = api.get(f"{API}{pk}/"), api.get(f"{API}{missing_pk()}/")
    assert real.status_code == absent.status_code == 404
    assert real.json() == absent.json()


@pytest.mark.parametrize("who", OUTSIDE_THE_MARKET_DEPARTMENT)
def test_a_draft_answers_404_like_a_missing_version_and_is_left_out_of_the_lists(client, cast, who):
    current, new = default_template(), draft(cast.inspector)
    client.force_login(getattr(cast, who))
    assert_page_like_missing(client, new.pk)
    assert listed(client) == {current.name: [1]}
    assert client.get(detail_url(current.pk)).status_code == 200
    api = api_for(cast, who)
    assert_api_like_missing(api, new.pk)
    assert api_ids(api) == [current.pk]
    assert api.get(f"{API}{current.pk}/").status_code == 200


def test_an_hr_client_gets_404_for_a_draft_and_does_not_list_it(cast):
    current, new = default_template(), draft(cast.inspector)
    api = api_for(cast, "hr_client")
    assert_api_like_missing(api, new.pk)
    assert api_ids(api) == [current.pk]


def test_a_checklist_with_no_version_in_force_is_left_out_for_everyone_but_the_market_department(
    client, cast
):
    current = default_template()
    phone = checklists.create_checklist(actor=cast.inspector, name="电话营业厅检查表", source=current)
    for who in ("hall_manager", "clerk"):
        client.force_login(getattr(cast, who))
        body = client.get(LIST_URL).content.decode()
        assert listed(client) == {current.name: [1]}
        assert phone.name not in body and "no version in force yet" not in body
        assert_page_like_missing(client, phone.pk)
    client.force_login(cast.inspector)
    assert listed(client) == {phone.name: [1], current.name: [1]}


@pytest.mark.parametrize("who", ["inspector", "admin_user"])
def test_the_market_department_still_sees_drafts_frozen_versions_and_counts(
    client, cast, admin_user, clerk_staff, who
):
    cast.admin_user = admin_user  # the superuser reads everything too
    published_visit(cast.inspector, cast.hall, clerk_staff)
    current, new = default_template(), draft(cast.inspector)
    client.force_login(getattr(cast, who))
    assert listed(client) == {current.name: [2, 1]}
    body = client.get(LIST_URL).content.decode()
    assert ">draft<" in body and ">frozen<" in body and "used by 1 inspection" in body
    page = client.get(detail_url(new.pk))
    assert page.status_code == 200 and ">draft<" in page.content.decode()
    api = api_for(cast, who)
    assert api_ids(api) == sorted([current.pk, new.pk])
    assert api.get(f"{API}{new.pk}/").json()["is_active"] is False


def test_a_retired_version_stays_readable_to_everyone_who_reads_checklists(client, cast, clerk_staff):
    old = default_template()
    visit = published_visit(cast.inspector, cast.hall, clerk_staff)
    new = retire(cast.inspector, old)
    draft_v3 = checklists.create_template_version(actor=cast.inspector, template=new)
    for who in ("hall_manager", "clerk", "branch_manager", "other_hall_manager"):
        client.force_login(getattr(cast, who))
        assert listed(client) == {old.name: [2, 1]}, who
        page = client.get(detail_url(old.pk))
        assert page.status_code == 200 and "使用迎宾语" in page.content.decode()
        assert_page_like_missing(client, draft_v3.pk)
    for who in ("hall_manager", "clerk", "branch_manager", "hr_client"):
        api = api_for(cast, who)
        assert api_ids(api) == sorted([old.pk, new.pk]), who
        assert api.get(f"{API}{old.pk}/").json()["is_active"] is False
        assert_api_like_missing(api, draft_v3.pk)
    # The visit names its checklist; the checklist it names can be read.
    hall = api_for(cast, "hall_manager")
    assert hall.get(f"/api/v1/assessment/inspection-visits/{visit.pk}/").json()["template"] == old.pk


def test_a_draft_left_behind_by_a_later_version_stays_hidden(client, cast):
    old = default_template()
    abandoned = draft(cast.inspector)  # version 2, never put in force
    newer = retire(cast.inspector, old)  # version 3 replaces version 1
    client.force_login(cast.hall_manager)
    assert (abandoned.version, newer.version) == (2, 3)
    assert listed(client) == {old.name: [3, 1]}
    assert_page_like_missing(client, abandoned.pk)
    assert api_ids(api_for(cast, "hall_manager")) == sorted([old.pk, newer.pk])


def test_the_database_refuses_a_version_in_force_without_its_first_day_in_force():
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError, match="mystery_template_in_force_since"):
        ChecklistTemplate.objects.filter(pk=default_template().pk).update(first_in_force_at=None)


def test_a_reopened_visit_keeps_its_version_visible_to_the_hall(client, cast, clerk_staff):
    """Reopening does not unpublish a visit for the hall (Visit.visible_to: first_published_at)."""
    old = default_template()
    visit = published_visit(cast.inspector, cast.hall, clerk_staff)
    retire(cast.inspector, old)
    visit.refresh_from_db()
    services.reopen_visit(actor=cast.inspector, visit=visit, version=visit.version, reason="复核")
    client.force_login(cast.hall_manager)
    assert client.get(detail_url(old.pk)).status_code == 200


def hall_view(client, api, old: ChecklistTemplate) -> list:
    """Everything the hall reads of the checklists: both pages (old version and a missing one) and
    the API's list and detail."""
    urls = [LIST_URL, detail_url(old.pk), detail_url(missing_pk())]
    pages = [(r.status_code, body_without(r, u)) for u, r in ((u, client.get(u)) for u in urls)]
    calls = [API, f"{API}{old.pk}/", f"{API}?updated_since=2000-01-01T00:00:00Z"]
    return pages + [(r.status_code, r.json()) for r in (api.get(c) for c in calls)]


@pytest.mark.parametrize("who", ["hall_manager", "clerk"])
def test_an_unpublished_covert_visit_changes_nothing_the_hall_reads_of_the_checklists(
    client, cast, clerk_staff, who
):
    old = default_template()
    covert = complete_visit(cast.inspector, cast.hall, clerk_staff, fail_codes=("A01",))
    new = retire(cast.inspector, old)
    client.force_login(getattr(cast, who))
    api = api_for(cast, who)
    assert listed(client) == {old.name: [2, 1]}
    assert api_ids(api) == sorted([old.pk, new.pk])
    with_covert = hall_view(client, api, old)

    # The same world without the covert visit reads exactly the same.
    Visit.objects.filter(pk=covert.pk).delete()
    assert hall_view(client, api, old) == with_covert

    # The market department still sees the version, used once and frozen.
    client.force_login(cast.inspector)
    assert listed(client) == {old.name: [2, 1]}


def test_a_draft_put_in_force_reaches_a_syncing_client_with_the_retirement_of_the_old_version(cast):
    """A draft enters a client's list when it is put in force (activation touches `updated_at`), and
    the version it retires arrives again, no longer active: no tombstones are needed."""
    old = default_template()
    api = api_for(cast, "hr_client")
    first = api.get(API).json()["results"]
    since = max(row["updated_at"] for row in first)
    new = draft(cast.inspector)
    assert api_ids(api, {"updated_since": since}) == [old.pk]  # the draft is not there
    checklists.activate_template(actor=cast.inspector, template=new)
    rows = {row["id"]: row["is_active"] for row in api.get(API, {"updated_since": since}).json()["results"]}
    assert rows == {old.pk: False, new.pk: True}


# --- query counts ----------------------------------------------------------------------------------


def in_force_checklists(inspector, n: int, *, size: int = 3) -> None:
    """`n` more checklist names in force, each with a draft beside it."""
    for _ in range(n):
        created = checklists.create_checklist(
            actor=inspector, name=f"检查表{ChecklistTemplate.objects.count()}", source=None
        )
        checklists.update_template(
            actor=inspector, template=created, revision=created.revision, categories=checklist_of(size)
        )
        checklists.activate_template(actor=inspector, template=created)
        checklists.create_template_version(actor=inspector, template=created)


def test_the_template_api_list_costs_the_same_queries_at_3_and_9_names(cast, clerk_staff):
    start(cast.inspector, cast.hall)  # a covert draft visit: the hall's subquery has a row to skip
    published_visit(cast.inspector, cast.hall, clerk_staff)
    in_force_checklists(cast.inspector, 2)
    callers = ("inspector", "hall_manager", "clerk", "hr_client")

    def count(who) -> tuple[int, int]:
        api = api_for(cast, who)
        with CaptureQueriesContext(connection) as queries:
            n = len(api_ids(api))
        return n, len(queries)

    for who in callers:
        count(who)  # warm the per-user caches
    small = {who: count(who) for who in callers}
    in_force_checklists(cast.inspector, 6)
    large = {who: count(who) for who in callers}
    assert {who: n for who, (n, _q) in small.items()} == {
        "inspector": 5,
        "hall_manager": 3,
        "clerk": 3,
        "hr_client": 3,
    }
    assert {who: n for who, (n, _q) in large.items()} == {
        "inspector": 17,
        "hall_manager": 9,
        "clerk": 9,
        "hr_client": 9,
    }
    assert {who: q for who, (_n, q) in small.items()} == {who: q for who, (_n, q) in large.items()}


def test_the_detail_page_costs_the_same_queries_at_3_and_12_items_for_the_hall(client, cast):
    in_force_checklists(cast.inspector, 1, size=3)
    in_force_checklists(cast.inspector, 1, size=12)
    small, large = (
        ChecklistTemplate.objects.filter(is_active=True).exclude(pk=default_template().pk).order_by("pk")
    )
    client.force_login(cast.hall_manager)
    counts = []
    for template in (small, small, large):  # the first warms the session and content-type caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(detail_url(template.pk))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[1] == counts[2]
    assert "X11" in response.content.decode()

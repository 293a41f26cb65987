"""Covert secrecy: until published, a covert visit does not exist for the inspected hall's manager
and staff. One test per surface: pages, photo, actions, list counts, search, exports, report, API,
notifications, audit history, rectification tasks, score facts. A request for it answers exactly
like a request for a visit that does not exist."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from assessment.models import ScoreFact
from assessment.mystery_shop.models import AnswerPhoto, Rectification, Visit
from halls.exports import read_workbook_rows
from halls.models import Notification
from halls.selectors import hall_audit_trail
from tests.assessment.mystery_shop.factories import complete_visit, published_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def covert(inspector, hall, clerk_staff):
    """A submitted, unpublished covert visit of the cast's hall, with a failed photo item."""
    return complete_visit(inspector, hall, clerk_staff, fail_codes=("A01", "D01"))


@pytest.fixture
def hall_people(hall_manager, clerk):
    return {"hall_manager": hall_manager, "clerk": clerk}


def missing_pk() -> int:
    return (Visit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def body_without(response, url: str) -> bytes:
    """The body with the requested address and the per-response CSRF masks taken out (the only
    parts allowed to differ)."""
    body = response.content.replace(url.encode(), b"URL")
    body = re.sub(rb'(name="csrf-token" content=")[^"]+', rb"\1X", body)
    return re.sub(rb'(name="csrfmiddlewaretoken" value=")[^"]+', rb"\1X", body)


@pytest.mark.parametrize("who", ["hall_manager", "clerk"])
@pytest.mark.parametrize("name", ["visit-detail", "visit-entry"])
def test_pages_of_an_unpublished_covert_visit_answer_like_a_missing_one(
    client, covert, hall_people, who, name
):
    client.force_login(hall_people[who])
    real_url = reverse(f"assessment:mystery:{name}", kwargs={"pk": covert.pk})
    absent_url = reverse(f"assessment:mystery:{name}", kwargs={"pk": missing_pk()})
    real, absent = client.get(real_url), client.get(absent_url)
    assert real.status_code == absent.status_code == 404
    assert body_without(real, real_url) == body_without(absent, absent_url)


@pytest.mark.parametrize(
    "name", ["visit-publish", "visit-submit", "visit-reopen", "visit-close", "visit-add-clerk"]
)
def test_actions_on_an_unpublished_covert_visit_answer_404_not_403(client, covert, hall_manager, name):
    client.force_login(hall_manager)
    response = client.post(
        reverse(f"assessment:mystery:{name}", kwargs={"pk": covert.pk}), {"version": covert.version}
    )
    assert response.status_code == 404


def test_its_photos_answer_404(client, covert, hall_manager, inspector):
    photo = AnswerPhoto.objects.filter(answer__visit=covert).first()
    url = reverse("assessment:mystery:visit-photo", kwargs={"pk": covert.pk, "photo_pk": photo.pk})
    client.force_login(hall_manager)
    assert client.get(url).status_code == 404
    client.force_login(inspector)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"


def test_the_list_its_count_and_search_leave_it_out(client, covert, hall, hall_manager, inspector):
    client.force_login(hall_manager)
    for query in ("", f"?q={hall.name}", f"?q={hall.code}", "?status=submitted", "?mode=covert"):
        response = client.get(reverse("assessment:mystery:visit-list") + query)
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == []
        assert response.context["page"].paginator.count == 0
    client.force_login(inspector)
    response = client.get(reverse("assessment:mystery:visit-list") + f"?q={hall.name}")
    assert [v.pk for v in response.context["page"].object_list] == [covert.pk]


def test_the_excel_export_leaves_it_out(client, covert, hall_manager, inspector):
    client.force_login(hall_manager)
    rows = read_workbook_rows(client.get(reverse("assessment:mystery:visit-export")).content)
    assert len(next(iter(rows.values()))) == 1  # the header only
    client.force_login(inspector)
    rows = read_workbook_rows(client.get(reverse("assessment:mystery:visit-export")).content)
    assert len(next(iter(rows.values()))) == 2


def test_the_report_leaves_it_out_until_published(client, covert, hall_manager, inspector):
    client.force_login(hall_manager)
    month = covert.visited_at.strftime("%Y-%m")
    assert client.get(reverse("assessment:mystery:report") + f"?month={month}").context["report"].visits == 0
    covert.refresh_from_db()
    from assessment.mystery_shop import services

    services.publish_visit(actor=inspector, visit=covert, version=covert.version)
    assert client.get(reverse("assessment:mystery:report") + f"?month={month}").context["report"].visits == 1


def test_the_api_leaves_it_out_and_answers_404_like_a_missing_one(covert, hall_manager, inspector):
    api = APIClient()
    api.force_authenticate(hall_manager)
    listing = api.get("/api/v1/assessment/inspection-visits/")
    assert listing.status_code == 200 and listing.json()["results"] == []
    real = api.get(f"/api/v1/assessment/inspection-visits/{covert.pk}/")
    absent = api.get(f"/api/v1/assessment/inspection-visits/{missing_pk()}/")
    assert real.status_code == absent.status_code == 404
    assert real.json() == absent.json()
    api.force_authenticate(inspector)
    assert [v["id"] for v in api.get("/api/v1/assessment/inspection-visits/").json()["results"]] == [
        covert.pk
    ]


def test_nobody_in_the_hall_is_notified_before_publication(client, covert, hall, hall_manager, clerk):
    assert not Notification.objects.filter(recipient__in=[hall_manager, clerk]).exists()
    assert not Notification.objects.filter(hall=hall).exists()
    client.force_login(hall_manager)
    assert client.get(reverse("dashboard")).context["nav_unread_notifications"] == 0


def test_the_halls_audit_history_shows_nothing_of_it(client, covert, hall, hall_manager):
    assert list(hall_audit_trail(hall=hall)) == []
    client.force_login(hall_manager)
    response = client.get(reverse("hall_detail", kwargs={"pk": hall.pk}))
    assert response.status_code == 200
    assert list(response.context["audit_events"]) == []
    assert "mystery.visit" not in response.content.decode()


def test_no_rectification_tasks_or_score_facts_exist_before_publication(client, covert, hall_manager):
    assert not Rectification.objects.exists()
    assert not ScoreFact.objects.filter(source="mystery_shop").exists()
    client.force_login(hall_manager)
    assert client.get(reverse("assessment:mystery:rectification-list")).context["page"].paginator.count == 0


def test_once_published_the_hall_sees_it_and_its_tasks(
    client, inspector, hall, hall_manager, clerk, clerk_staff
):
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("D01",))
    client.force_login(hall_manager)
    assert client.get(reverse("assessment:mystery:visit-detail", kwargs={"pk": visit.pk})).status_code == 200
    assert client.get(reverse("assessment:mystery:rectification-list")).context["page"].paginator.count == 1
    assert [e.action for e in hall_audit_trail(hall=hall)] == ["mystery.visit.published"]
    client.force_login(clerk)
    assert client.get(reverse("assessment:mystery:visit-detail", kwargs={"pk": visit.pk})).status_code == 200


def test_another_halls_manager_never_sees_it_even_published(
    client, inspector, hall, other_hall_manager, clerk_staff
):
    visit = published_visit(inspector, hall, clerk_staff)
    client.force_login(other_hall_manager)
    assert client.get(reverse("assessment:mystery:visit-detail", kwargs={"pk": visit.pk})).status_code == 404


@pytest.mark.parametrize("who", ["hall_manager", "clerk"])
def test_the_checklist_pages_read_the_same_before_and_after_a_covert_visit(
    client, inspector, hall, clerk_staff, hall_people, who
):
    """The market department sees how many visits used a version (it freezes the version); the
    hall's people see the same checklist pages whether or not a covert visit was started."""
    from tests.assessment.mystery_shop.factories import default_template

    client.force_login(hall_people[who])
    urls = [
        reverse("assessment:mystery:template-list"),
        reverse("assessment:mystery:template-detail", kwargs={"pk": default_template().pk}),
    ]
    before = [body_without(client.get(url), url) for url in urls]
    complete_visit(inspector, hall, clerk_staff, fail_codes=("A01",))
    assert [body_without(client.get(url), url) for url in urls] == before
    client.force_login(inspector)
    assert b"data-visit-count" in client.get(urls[0]).content

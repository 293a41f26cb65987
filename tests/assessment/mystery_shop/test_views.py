"""The pages: phone entry form with per-item autosave (htmx), version conflicts answering 409,
submission listing what is missing, publication, rectification, report, query counts, API."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessment.mystery_shop import services
from assessment.mystery_shop.models import Answer, Rectification, Visit
from assessment.mystery_shop.tasks import remind_rectifications_task
from halls.exports import read_workbook_rows
from tests.assessment.mystery_shop.factories import (
    answer_all,
    default_template,
    jpeg_upload,
    published_visit,
    start,
)
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(client):
    """Pages in English here (the browser test drives them in Chinese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_an_answer_autosaves_and_answers_its_card_and_the_progress(client, inspector, hall, clerk_staff):
    visit = start(inspector, hall)
    services.add_clerk(actor=inspector, visit=visit, employee_no=clerk_staff.employee_no)
    item = default_template().items.get(code="D01")
    client.force_login(inspector)
    url = reverse("assessment:mystery:visit-answer", kwargs={"pk": visit.pk, "item_pk": item.pk})
    response = client.post(
        url, {"result": "fail", "version": 0, "comment": "台席杂物", "photo": jpeg_upload()}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="progress" class="entry-progress" hx-swap-oob="true"' in body
    assert "1 of 15 answered" in body  # 7 hall items + 8 clerk items for one clerk
    answer = Answer.objects.get(visit=visit, item=item)
    assert (answer.result, answer.comment, answer.photos.count()) == ("fail", "台席杂物", 1)
    assert 'name="version" value="1"' in body


def test_a_stale_answer_answers_409_with_the_message_and_saves_nothing(client, inspector, hall):
    visit = start(inspector, hall)
    item = default_template().items.get(code="C02")
    services.save_answer(actor=inspector, visit=visit, item=item, clerk=None, result="pass")
    client.force_login(inspector)
    url = reverse("assessment:mystery:visit-answer", kwargs={"pk": visit.pk, "item_pk": item.pk})
    response = client.post(url, {"result": "fail", "version": 0}, **HTMX)
    assert response.status_code == 409
    assert "after you opened the page. Nothing was saved" in response.content.decode()
    assert Answer.objects.get(visit=visit, item=item).result == "pass"


def test_submitting_an_incomplete_visit_lists_what_is_missing(client, inspector, hall):
    visit = start(inspector, hall)
    client.force_login(inspector)
    response = client.post(
        reverse("assessment:mystery:visit-submit", kwargs={"pk": visit.pk}), {"version": 1}
    )
    assert response.status_code == 400
    problems = response.context["submit_form"].problems
    assert problems[0] == "Add at least one clerk observed."
    assert "Not answered: C01 导向引导分流" in problems


def test_the_header_autosave_refuses_a_stale_version_with_409(client, inspector, hall):
    visit = start(inspector, hall)
    client.force_login(inspector)
    url = reverse("assessment:mystery:visit-entry", kwargs={"pk": visit.pk})
    when = timezone.localtime(visit.visited_at).strftime("%Y-%m-%dT%H:%M")
    data = {"header-version": 1, "header-visited_at": when, "header-mode": "overt", "header-wait_minutes": 12}
    assert client.post(url, data, **HTMX).status_code == 200
    stale = client.post(url, {**data, "header-mode": "covert"}, **HTMX)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    visit.refresh_from_db()
    assert (visit.mode, visit.wait_minutes) == ("overt", 12)


def test_the_inspector_submits_and_publishes_and_the_hall_manager_brings_evidence(
    client, inspector, hall, hall_manager, clerk_staff
):
    visit = start(inspector, hall)
    client.force_login(inspector)
    client.post(
        reverse("assessment:mystery:visit-add-clerk", kwargs={"pk": visit.pk}),
        {"clerk-employee_no": clerk_staff.employee_no},
    )
    answer_all(inspector, visit, fail_codes=("D01",))
    visit.refresh_from_db()
    response = client.post(
        reverse("assessment:mystery:visit-submit", kwargs={"pk": visit.pk}), {"version": visit.version}
    )
    assert response.status_code == 303
    visit.refresh_from_db()
    response = client.post(
        reverse("assessment:mystery:visit-publish", kwargs={"pk": visit.pk}), {"version": visit.version}
    )
    assert response.status_code == 303
    task = Rectification.objects.get(visit=visit)
    client.force_login(hall_manager)
    page = client.get(reverse("assessment:mystery:visit-detail", kwargs={"pk": visit.pk}))
    assert page.context["visit"].hall_score == visit.__class__.objects.get(pk=visit.pk).hall_score
    response = client.post(
        reverse("assessment:mystery:rectification-evidence", kwargs={"pk": task.pk}),
        {"version": task.version, "note": "已清理", "photo": jpeg_upload()},
    )
    assert response.status_code == 303
    photo = client.get(reverse("assessment:mystery:rectification-photo", kwargs={"pk": task.pk}))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"


def test_the_visit_list_costs_the_same_queries_at_n_and_3n(client, inspector, hall):
    client.force_login(inspector)
    url = reverse("assessment:mystery:visit-list")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        start(inspector, hall)
    small = count()
    for _ in range(4):
        start(inspector, hall)
    assert count() == small


def test_the_visit_api_costs_the_same_queries_at_n_and_3n_and_syncs_by_updated_since(
    inspector, hall, clerk_staff, django_assert_max_num_queries
):
    api = APIClient()
    api.force_authenticate(inspector)
    published_visit(inspector, hall, clerk_staff)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/assessment/inspection-visits/").status_code == 200
        return len(queries)

    small = count()
    published_visit(inspector, hall, clerk_staff)
    published_visit(inspector, hall, clerk_staff)
    assert count() == small
    later = (timezone.now() + datetime.timedelta(seconds=1)).isoformat()
    assert api.get("/api/v1/assessment/inspection-visits/", {"updated_since": later}).json()["results"] == []
    rows = api.get("/api/v1/assessment/inspection-visits/").json()["results"]
    assert len(rows) == 3 and len(rows[0]["answers"]) == 15


def test_the_visit_api_filters_by_month_and_refuses_a_malformed_one(inspector, hall, clerk_staff):
    api = APIClient()
    api.force_authenticate(inspector)
    visit = published_visit(inspector, hall, clerk_staff)
    month = timezone.localtime(visit.visited_at).date().replace(day=1)
    before = (month - datetime.timedelta(days=1)).replace(day=1)
    url = "/api/v1/assessment/inspection-visits/"
    assert [v["id"] for v in api.get(url, {"month": f"{month:%Y-%m}"}).json()["results"]] == [visit.pk]
    assert api.get(url, {"month": f"{before:%Y-%m}"}).json()["results"] == []
    refused = api.get(url, {"month": "2026-13"})
    assert refused.status_code == 400 and "month" in refused.json()["errors"]


def test_the_report_shows_average_failed_items_trend_and_on_time_rate(
    client, inspector, hall, branch, clerk_staff
):
    when = timezone.now() - datetime.timedelta(hours=2)
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("D01", "A01"), when=when)
    client.force_login(inspector)
    month = timezone.localtime(when).strftime("%Y-%m")
    response = client.get(reverse("assessment:mystery:report"), {"month": month, "region": branch.code})
    report = response.context["report"]
    assert (report.visits, report.average) == (1, visit.hall_score)
    assert [label for label, _n in report.failed_items] == ["A01 使用迎宾语", "D01 环境卫生"]
    assert report.trend[-1][1] == visit.hall_score
    assert 'id="chart-failed"' in response.content.decode()
    export = client.get(reverse("assessment:mystery:report-export"), {"month": month})
    sheets = read_workbook_rows(export.content)
    assert list(sheets.values())[0][1][:4] == (hall.code, hall.name, 1, float(visit.hall_score))


def test_the_reminder_task_changes_nothing_on_a_second_run(inspector, hall, hall_manager, clerk_staff):
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("D01",))
    deadline = Rectification.objects.get(visit=visit).deadline
    first = remind_rectifications_task(deadline.isoformat())
    second = remind_rectifications_task(deadline.isoformat())
    assert (first["reminded"], second["reminded"]) == (1, 0)


def test_a_clerk_can_be_picked_by_window_through_the_published_roster(inspector, hall):
    from tests.staffing.factories import AssignmentFactory, RosterFactory, ShiftTypeFactory

    staff = StaffFactory(hall=hall)
    when = timezone.now() - datetime.timedelta(minutes=30)
    roster = RosterFactory(hall=hall, status="published", published_at=timezone.now())
    AssignmentFactory(
        roster=roster,
        staff=staff,
        shift_type=ShiftTypeFactory(hall=hall),
        window_no=3,
        starts_at=when - datetime.timedelta(hours=1),
        ends_at=when + datetime.timedelta(hours=2),
    )
    visit = start(inspector, hall, when=when)
    clerk = services.add_clerk(actor=inspector, visit=visit, window_no=3)
    assert (clerk.staff, clerk.window_no) == (staff, 3)
    assert Visit.objects.get(pk=visit.pk).version == 2

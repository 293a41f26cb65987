import datetime
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.models import Measure, ResultRun
from assessment.services import compute_month_results, publish_results
from tests.assessment.factories import OCTOBER, add_facts, clerk_in, fact_input
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db
RESULTS = "/api/v1/assessment/results/"


def published_october(cast, *, extra_hall=0, extra_other=0):
    for _ in range(extra_hall):
        clerk_in(cast.hall)
    for _ in range(extra_other):
        clerk_in(cast.other_hall)
    StaffFactory(hall=cast.foreign_hall)
    run = compute_month_results(branch=cast.hall.region.parent, month=OCTOBER)
    publish_results(run=run, actor=cast.branch_manager)
    compute_month_results(branch=cast.foreign_hall.region.parent, month=OCTOBER)
    return run


def codes(response):
    assert response.status_code == 200, response.content
    return sorted(row["employee_no"] for row in response.json()["results"])


def test_each_role_sees_exactly_its_published_results(cast, api, clerk_staff):
    published_october(cast, extra_hall=1, extra_other=2)
    everyone = codes(api.as_user(cast.branch_manager).get(RESULTS))
    assert len(everyone) == 5  # hall: manager, cast clerk, 1 more; other hall: 2; no foreign staff
    assert codes(api.as_user(cast.inspector).get(RESULTS)) == everyone
    assert codes(api.as_token(cast.hr_client.raw_token).get(RESULTS)) == everyone
    assert len(codes(api.as_user(cast.hall_manager).get(RESULTS))) == 3
    assert len(codes(api.as_user(cast.other_hall_manager).get(RESULTS))) == 2
    assert codes(api.as_user(cast.clerk).get(RESULTS)) == ["C0001"]


def test_drafts_are_invisible_to_everyone_through_the_results_api(cast, api, clerk_staff):
    compute_month_results(branch=cast.hall.region.parent, month=OCTOBER)
    for user in (cast.branch_manager, cast.hall_manager, cast.clerk):
        assert codes(api.as_user(user).get(RESULTS)) == []
    assert codes(api.as_token(cast.hr_client.raw_token).get(RESULTS)) == []


def test_results_filter_by_month_branch_hall_post_and_updated_since(cast, api, clerk_staff):
    published_october(cast, extra_other=1)
    client = api.as_token(cast.hr_client.raw_token)
    assert len(codes(client.get(RESULTS, {"month": "2026-10", "branch": "BR01"}))) == 3
    assert codes(client.get(RESULTS, {"hall": "H002"})) != codes(client.get(RESULTS, {"hall": "H001"}))
    assert codes(client.get(RESULTS, {"post": "hall_manager"})) == ["M0001"]
    assert codes(client.get(RESULTS, {"month": "2026-09"})) == []
    assert codes(client.get(RESULTS, {"updated_since": "2099-01-01T00:00:00Z"})) == []
    assert client.get(RESULTS, {"month": "October"}).status_code == 400


def test_the_results_list_runs_the_same_queries_at_n_and_3n_rows(cast, api, clerk_staff):
    def count(n, month):
        for _ in range(n):
            clerk_in(cast.hall)
        run = compute_month_results(branch=cast.hall.region.parent, month=month)
        publish_results(run=run, actor=cast.branch_manager)
        client = api.as_token(cast.hr_client.raw_token)
        client.get(RESULTS, {"page_size": 1})  # the token's last-used stamp is written once in a while
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(RESULTS, {"month": f"{month:%Y-%m}"})
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    few, rows_few = count(2, datetime.date(2026, 8, 1))
    many, rows_many = count(6, datetime.date(2026, 9, 1))
    assert (rows_few, rows_many) == (4, 10)
    assert few == many


def test_a_result_shows_its_indicators_and_its_card_explains_every_figure(cast, api, clerk_staff):
    add_facts(
        fact_input(clerk_staff, Measure.EVALUATION_SCORE, 100),
        fact_input(clerk_staff, Measure.EVALUATION_SCORE, 80),
    )
    published_october(cast)
    client = api.as_user(cast.clerk)
    result_id = client.get(RESULTS).json()["results"][0]["id"]
    detail = client.get(f"{RESULTS}{result_id}/").json()
    assert [i["code"] for i in detail["indicators"]][:2] == ["evaluation", "transactions"]
    with CaptureQueriesContext(connection) as ctx:
        card = client.get(f"{RESULTS}{result_id}/card/").json()
    evaluation = card["rows"][0]
    assert (evaluation["fact_count"], evaluation["points"], evaluation["score"]) == (2, "85.71", "21.43")
    assert len(evaluation["facts"]) == 2 and evaluation["facts"][0]["evidence_type"] == "customer_evaluation"
    assert "85.71" in evaluation["explanation"] and "21.43" in evaluation["explanation"]
    assert len(ctx.captured_queries) <= 12


def test_another_clerks_result_is_a_404(cast, api, clerk_staff):
    other = clerk_in(cast.hall)
    published_october(cast)
    own_id = (
        api.as_user(cast.branch_manager).get(RESULTS, {"staff": other.employee_no}).json()["results"][0]["id"]
    )
    assert api.as_user(cast.clerk).get(f"{RESULTS}{own_id}/").status_code == 404
    assert api.as_user(cast.clerk).get(f"{RESULTS}{own_id}/card/").status_code == 404
    assert api.as_user(cast.other_hall_manager).get(f"{RESULTS}{own_id}/").status_code == 404


def test_runs_with_progress_are_for_branch_roles_only(cast, api, clerk_staff):
    compute_month_results(branch=cast.hall.region.parent, month=OCTOBER)
    body = api.as_user(cast.branch_manager).get("/api/v1/assessment/runs/").json()
    assert [(r["branch"], r["month"], r["status"], r["progress"]) for r in body["results"]] == [
        ("BR01", "2026-10", "draft", 100)
    ]
    assert len(api.as_user(cast.inspector).get("/api/v1/assessment/runs/").json()["results"]) == 1
    assert api.as_user(cast.hall_manager).get("/api/v1/assessment/runs/").status_code == 403
    assert api.as_user(cast.clerk).get("/api/v1/assessment/runs/").status_code == 403
    # HR systems see published results only, never drafts through their run.
    hr = api.as_token(cast.hr_client.raw_token)
    assert hr.get("/api/v1/assessment/runs/").status_code == 403
    assert hr.get(f"/api/v1/assessment/runs/{body['results'][0]['id']}/results/").status_code == 403


def test_branch_manager_computes_and_publishes_through_the_api(cast, api, clerk_staff):
    client = api.as_user(cast.branch_manager)
    response = client.post("/api/v1/assessment/runs/", {"branch": "BR01", "month": "2026-10"}, format="json")
    assert response.status_code == 202, response.content
    run = ResultRun.objects.get(branch__code="BR01")
    assert response.json()["id"] == run.pk
    assert api.as_user(cast.inspector).post(f"/api/v1/assessment/runs/{run.pk}/publish/").status_code == 403
    published = api.as_user(cast.branch_manager).post(f"/api/v1/assessment/runs/{run.pk}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    again = api.as_user(cast.branch_manager).post(f"/api/v1/assessment/runs/{run.pk}/publish/")
    assert again.status_code == 400 and again.json()["detail"] == "只有草稿可以发布。"


def test_computing_a_published_month_through_the_api_is_a_400_on_the_month(cast, api, clerk_staff):
    publish_results(
        run=compute_month_results(branch=cast.hall.region.parent, month=OCTOBER), actor=cast.branch_manager
    )
    runs = ResultRun.objects.count()
    with mock.patch("assessment.api.compute_month_results_task.delay") as delay:
        response = api.as_user(cast.branch_manager).post(
            "/api/v1/assessment/runs/", {"branch": "BR01", "month": "2026-10"}, format="json"
        )
    assert response.status_code == 400
    assert "2026-10" in response.json()["errors"]["month"][0]
    delay.assert_not_called()
    assert ResultRun.objects.count() == runs


def test_computing_a_month_that_has_not_begun_through_the_api_is_a_400_on_the_month(cast, api):
    next_month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    with mock.patch("assessment.api.compute_month_results_task.delay") as delay:
        response = api.as_user(cast.branch_manager).post(
            "/api/v1/assessment/runs/", {"branch": "BR01", "month": f"{next_month:%Y-%m}"}, format="json"
        )
    assert response.status_code == 400
    assert response.json()["errors"]["month"] == [f"{next_month:%Y-%m} 尚未开始；当月可先试算（预览）。"]
    delay.assert_not_called()


def test_a_draft_can_be_reviewed_by_its_run_before_publication(cast, api, clerk_staff):
    run = compute_month_results(branch=cast.hall.region.parent, month=OCTOBER)
    body = api.as_user(cast.branch_manager).get(f"/api/v1/assessment/runs/{run.pk}/results/").json()
    assert sorted(r["employee_no"] for r in body["results"]) == ["C0001", "M0001"]


def test_computing_another_branch_is_a_404(cast, api):
    response = api.as_user(cast.branch_manager).post(
        "/api/v1/assessment/runs/", {"branch": "BR90", "month": "2026-10"}, format="json"
    )
    assert response.status_code == 404


def test_star_level_history_and_hall_ranking(cast, api, clerk_staff):
    add_facts(fact_input(clerk_staff, Measure.MYSTERY_SHOP_SCORE, 90))
    published_october(cast, extra_other=1)
    history = (
        api.as_token(cast.hr_client.raw_token).get("/api/v1/assessment/star-level-changes/").json()["results"]
    )
    # A month below the lowest band (60) with no earlier months: the level follows the band down at once.
    assert ("C0001", 3, 0) in {(h["employee_no"], h["from_level"], h["to_level"]) for h in history}
    ranking = api.as_user(cast.hall_manager).get(
        "/api/v1/assessment/hall-ranking/", {"branch": "BR01", "month": "2026-10"}
    )
    assert ranking.status_code == 200
    rows = {r["hall_code"]: r for r in ranking.json()}
    assert rows["H001"]["mystery_shop_score"] == "90.00" and rows["H001"]["mystery_shop_rank"] == 1
    assert rows["H002"]["mystery_shop_score"] is None
    assert rows["H001"]["previous_average_score"] is None
    assert (
        api.as_user(cast.hall_manager)
        .get("/api/v1/assessment/hall-ranking/", {"branch": "BR90", "month": "2026-10"})
        .status_code
        == 404
    )


def test_supervisor_rating_endpoint_is_for_the_hall_manager(cast, api, clerk_staff):
    payload = {
        "staff": "C0001",
        "month": "2026-10",
        "attitude": 20,
        "skill": 20,
        "teamwork": 20,
        "appearance": 20,
    }
    assert (
        api.as_user(cast.hall_manager)
        .post("/api/v1/assessment/supervisor-ratings/", payload, format="json")
        .status_code
        == 201
    )
    assert (
        api.as_user(cast.other_hall_manager)
        .post("/api/v1/assessment/supervisor-ratings/", payload, format="json")
        .status_code
        == 404
    )
    assert (
        api.as_user(cast.clerk)
        .post("/api/v1/assessment/supervisor-ratings/", payload, format="json")
        .status_code
        == 403
    )
    bad = api.as_user(cast.hall_manager).post(
        "/api/v1/assessment/supervisor-ratings/", {**payload, "skill": 30}, format="json"
    )
    assert bad.status_code == 400 and "skill" in bad.json()["errors"]


def test_discipline_endpoint_records_an_incident(cast, api, clerk_staff):
    payload = {"staff": "C0001", "occurred_on": "2026-10-08", "kind": "late"}
    response = api.as_user(cast.hall_manager).post(
        "/api/v1/assessment/discipline-records/", payload, format="json"
    )
    assert response.status_code == 201 and response.json()["deduction"] == "1.00"
    assert (
        api.as_user(cast.clerk)
        .post("/api/v1/assessment/discipline-records/", payload, format="json")
        .status_code
        == 403
    )


@time_machine.travel("2026-11-15 10:00 +0800", tick=False)
def test_the_import_endpoint_answers_a_row_by_row_report(cast, api, clerk_staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = b"device_txn_id,employee_no,hall_code,rated_at,rating\nT1,C0001,H001,2026-10-05 09:30,meh\n"
    response = api.as_user(cast.hall_manager).post(
        "/api/v1/assessment/imports/evaluations/",
        {"file": SimpleUploadedFile("e.csv", text)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 2, "column": "rating", "message": response.json()["errors"][0]["message"]}
    ]
    ok = api.as_user(cast.hall_manager).post(
        "/api/v1/assessment/imports/evaluations/",
        {"file": SimpleUploadedFile("e.csv", text.replace(b"meh", b"satisfied"))},
        format="multipart",
    )
    assert ok.status_code == 201 and ok.json() == {"rows": 1, "created": 1, "unchanged": 0}
    assert (
        api.as_user(cast.clerk)
        .post(
            "/api/v1/assessment/imports/evaluations/",
            {"file": SimpleUploadedFile("e.csv", text)},
            format="multipart",
        )
        .status_code
        == 403
    )

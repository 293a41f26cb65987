import datetime
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.exceptions import MonthNotBegun
from assessment.models import Measure, MonthlyResult, ResultRun, StarLevelPolicy, SupervisorRating
from assessment.services import compute_month_results, publish_results
from assessment.views import sparkline_points
from halls.exports import read_workbook_rows
from staffing.models import Staff
from tests.assessment.factories import OCTOBER, add_facts, clerk_in, fact_input

pytestmark = pytest.mark.django_db
SEPTEMBER = datetime.date(2026, 9, 1)
RESULTS = reverse("assessment:results")


@pytest.fixture
def client(client):
    """Pages answer in English here (zh-hans is the default language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def publish(branch, month, actor):
    run = compute_month_results(branch=branch, month=month)
    return publish_results(run=run, actor=actor)


def result_of(staff, month=OCTOBER) -> MonthlyResult:
    return MonthlyResult.objects.filter(staff=staff, month=month).order_by("-run__version").first()


def listed(response) -> list[str]:
    assert response.status_code == 200
    return sorted(result.staff.employee_no for result, _points in response.context["rows"])


def test_each_role_sees_its_published_results_and_branch_roles_also_drafts(cast, client, clerk_staff):
    branch = cast.hall.region.parent
    colleague = clerk_in(cast.hall, employee_no="C0002")
    clerk_in(cast.other_hall, employee_no="C0003")
    publish(branch, SEPTEMBER, cast.branch_manager)
    compute_month_results(branch=branch, month=OCTOBER)  # October stays a draft

    client.force_login(cast.branch_manager)
    response = client.get(RESULTS, {"month": "2026-10"})
    assert listed(response) == ["C0001", "C0002", "C0003", "M0001"]
    assert "draft" in response.content.decode()

    client.force_login(cast.hall_manager)
    assert listed(client.get(RESULTS, {"month": "2026-10"})) == []
    assert listed(client.get(RESULTS, {"month": "2026-09"})) == ["C0001", "C0002", "M0001"]

    client.force_login(cast.clerk)
    assert listed(client.get(RESULTS, {"month": "2026-09"})) == ["C0001"]
    assert listed(client.get(RESULTS, {"month": "2026-10"})) == []
    assert (
        client.get(reverse("assessment:score-card", args=[result_of(colleague, SEPTEMBER).pk])).status_code
        == 404
    )


def test_results_filter_by_hall_and_post_and_default_to_the_latest_month(cast, client, clerk_staff):
    clerk_in(cast.other_hall, employee_no="C0003")
    publish(cast.hall.region.parent, OCTOBER, cast.branch_manager)
    client.force_login(cast.branch_manager)
    response = client.get(RESULTS)
    assert response.context["month"] == OCTOBER
    assert listed(client.get(RESULTS, {"hall": "H002"})) == ["C0003"]
    assert listed(client.get(RESULTS, {"post": "hall_manager"})) == ["M0001"]
    fragment = client.get(RESULTS, {"hall": "H001"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    assert listed(fragment) == ["C0001", "M0001"]


def test_the_sparkline_draws_the_published_months_up_to_the_chosen_one(cast, client, clerk_staff):
    branch = cast.hall.region.parent
    publish(branch, SEPTEMBER, cast.branch_manager)
    publish(branch, OCTOBER, cast.branch_manager)
    client.force_login(cast.clerk)
    response = client.get(RESULTS, {"month": "2026-10"})
    [(result, points)] = response.context["rows"]
    totals = [result_of(clerk_staff, SEPTEMBER).total, result.total]
    assert points == sparkline_points(totals)
    assert f'points="{points}"' in response.content.decode()
    assert sparkline_points([Decimal(50), Decimal(100), Decimal(75)]) == "0.0,18.0 40.0,2.0 80.0,10.0"
    assert sparkline_points([Decimal(90)]) == "0.0,10.0 80.0,10.0"


def results_page_queries(client, user, month: str) -> tuple[int, int]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(RESULTS, {"month": month})
    assert response.status_code == 200
    return len(response.context["rows"]), len(queries)


@pytest.mark.parametrize("role", ["branch_manager", "hall_manager"])
def test_the_results_page_runs_the_same_queries_at_n_and_3n_rows(cast, client, role):
    branch = cast.hall.region.parent
    clerk_in(cast.hall)  # with the cast's hall manager and clerk: 3 people in September
    publish(branch, SEPTEMBER, cast.branch_manager)
    for _ in range(6):
        clerk_in(cast.hall)
    publish(branch, OCTOBER, cast.branch_manager)

    rows_n, queries_n = results_page_queries(client, getattr(cast, role), "2026-09")
    rows_3n, queries_3n = results_page_queries(client, getattr(cast, role), "2026-10")

    assert (rows_n, rows_3n) == (3, 9)
    assert queries_n == queries_3n


def test_the_score_card_shows_each_indicator_with_its_rule_and_evidence(cast, client, clerk_staff):
    add_facts(fact_input(clerk_staff, Measure.EVALUATION_SCORE, "80", evidence_id=4242))
    publish(cast.hall.region.parent, OCTOBER, cast.branch_manager)
    result = result_of(clerk_staff)
    client.force_login(cast.clerk)
    response = client.get(reverse("assessment:score-card", args=[result.pk]))
    assert response.status_code == 200
    card = response.context["card"]
    assert card.result == result
    evaluation = next(row for row in card.rows if row.measure == Measure.EVALUATION_SCORE)
    page = response.content.decode()
    assert evaluation.explanation in page
    assert "test evaluation_score 80" in page
    assert str(evaluation.score) in page


def test_a_clerk_cannot_open_their_draft_card_and_another_halls_card_is_a_404(cast, client, clerk_staff):
    stranger = clerk_in(cast.other_hall)
    run = compute_month_results(branch=cast.hall.region.parent, month=OCTOBER)
    own = MonthlyResult.objects.get(run=run, staff=clerk_staff)
    client.force_login(cast.clerk)
    assert client.get(reverse("assessment:score-card", args=[own.pk])).status_code == 404
    client.force_login(cast.branch_manager)
    assert client.get(reverse("assessment:score-card", args=[own.pk])).status_code == 200
    publish_results(run=run, actor=cast.branch_manager)
    client.force_login(cast.hall_manager)
    other = MonthlyResult.objects.get(run=run, staff=stranger)
    assert client.get(reverse("assessment:score-card", args=[other.pk])).status_code == 404
    client.force_login(cast.clerk)
    assert client.get(reverse("assessment:score-card", args=[own.pk])).status_code == 200


def test_the_hall_ranking_page_hands_both_months_to_the_chart(cast, client):
    clerk_in(cast.hall)
    clerk_in(cast.other_hall)
    branch = cast.hall.region.parent
    publish(branch, SEPTEMBER, cast.branch_manager)
    publish(branch, OCTOBER, cast.branch_manager)
    client.force_login(cast.hall_manager)
    response = client.get(reverse("assessment:ranking"), {"branch": "BR01", "month": "2026-10"})
    assert response.status_code == 200
    chart = response.context["chart"]
    assert chart["stacked"] is False
    assert [d["label"] for d in chart["datasets"]] == ["2026-09", "2026-10"]
    assert sorted(chart["labels"]) == sorted([cast.hall.name, cast.other_hall.name])
    page = response.content.decode()
    assert 'id="chart-hall-ranking"' in page and "<script>" not in page
    assert client.get(reverse("assessment:ranking"), {"branch": "BR90"}).status_code == 404


def test_computing_a_month_queues_the_task_and_the_progress_fragment_polls_while_computing(
    cast, client, branch
):
    client.force_login(cast.branch_manager)
    with mock.patch("assessment.views.compute_month_results_task.delay") as delay:
        response = client.post(reverse("assessment:run-compute"), {"branch": "BR01", "month": "2026-10"})
    assert response.status_code == 303
    delay.assert_called_once_with(branch.pk, "2026-10-01", cast.branch_manager.pk)

    run = ResultRun.objects.create(
        branch=branch,
        month=OCTOBER,
        version=1,
        star_policy=StarLevelPolicy.objects.first(),
        progress=40,
    )
    progress = client.get(reverse("assessment:run-progress", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in progress and 'value="40"' in progress
    assert "every 2s" in client.get(reverse("assessment:runs")).content.decode()
    ResultRun.objects.filter(pk=run.pk).update(status=ResultRun.Status.FAILED, error="boom")
    progress = client.get(reverse("assessment:run-progress", args=[run.pk])).content.decode()
    assert "every 2s" not in progress and "boom" in progress


def test_the_score_card_explains_weighted_scores_that_multiply_out_and_formats_figures(
    cast, client, clerk_staff
):
    add_facts(
        fact_input(clerk_staff, Measure.DISCIPLINE_POINTS, "2"),  # 10 − 2 = 8 of 10 points, weight 10
        fact_input(clerk_staff, Measure.TRANSACTIONS, "990"),
        fact_input(clerk_staff, Measure.SALES, "12345.5"),
        fact_input(clerk_staff, Measure.EVALUATION_SCORE, "100"),
        fact_input(clerk_staff, Measure.EVALUATION_SCORE, "80"),
        fact_input(clerk_staff, Measure.EVALUATION_SCORE, "80"),  # average 86.6667
    )
    publish(cast.hall.region.parent, OCTOBER, cast.branch_manager)
    result = result_of(clerk_staff)
    client.force_login(cast.clerk)
    response = client.get(reverse("assessment:score-card", args=[result.pk]))
    page = response.content.decode()
    rows = {row.measure: row for row in response.context["card"].rows}
    assert sum(row.score for row in rows.values()) == result.total
    for row, score in zip(response.context["card"].rows, result.indicator_weighted_scores, strict=True):
        assert row.score == score  # the stored breakdown, not a recomputation
        assert (row.points * row.weight / row.max_points).quantize(Decimal("0.01")) == row.score
        shown = f"{row.points} ÷ {row.max_points_display} × weight {row.weight_display} → {row.score}"
        assert shown in row.explanation and row.explanation in page
    discipline = rows[Measure.DISCIPLINE_POINTS]
    assert discipline.weight != 100
    assert "= 8.00 points; 8.00 ÷ 10 × weight 10 → 8.00" in discipline.explanation
    assert rows[Measure.TRANSACTIONS].measure_display == "990"
    assert rows[Measure.SALES].measure_display == "12345.50"
    assert rows[Measure.EVALUATION_SCORE].measure_display == "86.67"
    assert rows[Measure.DISCIPLINE_POINTS].measure_display == "2"
    assert ".0000" not in page and ">990<" in page and ">12345.50<" in page


def test_a_foreign_branch_cannot_be_computed(cast, client):
    client.force_login(cast.branch_manager)
    with mock.patch("assessment.views.compute_month_results_task.delay") as delay:
        response = client.post(reverse("assessment:run-compute"), {"branch": "BR90", "month": "2026-10"})
    assert response.status_code == 400
    assert response.context["form"].errors["branch"]
    delay.assert_not_called()


def test_computing_a_published_month_is_refused_beside_the_month_and_creates_no_run(cast, client, branch):
    publish(branch, OCTOBER, cast.branch_manager)
    runs = ResultRun.objects.count()
    client.force_login(cast.branch_manager)
    with mock.patch("assessment.views.compute_month_results_task.delay") as delay:
        response = client.post(reverse("assessment:run-compute"), {"branch": "BR01", "month": "2026-10"})
    assert response.status_code == 400
    message = f"2026-10 is already published for {branch.name}; its results are frozen."
    assert response.context["form"].errors == {"month": [message]}
    assert message in response.content.decode()
    delay.assert_not_called()
    assert ResultRun.objects.count() == runs


def test_a_month_that_has_not_begun_is_refused_beside_the_month_and_the_current_one_is_queued(
    cast, client, branch
):
    client.force_login(cast.branch_manager)
    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + datetime.timedelta(days=32)).replace(day=1)
    with mock.patch("assessment.views.compute_month_results_task.delay") as delay:
        refused = client.post(
            reverse("assessment:run-compute"), {"branch": "BR01", "month": f"{next_month:%Y-%m}"}
        )
        assert refused.status_code == 400
        message = f"{next_month:%Y-%m} has not begun; the current month can be computed as a preview."
        assert refused.context["form"].errors == {"month": [message]}
        delay.assert_not_called()
        queued = client.post(
            reverse("assessment:run-compute"), {"branch": "BR01", "month": f"{this_month:%Y-%m}"}
        )
    assert queued.status_code == 303
    delay.assert_called_once()
    with pytest.raises(MonthNotBegun):
        compute_month_results(branch=branch, month=next_month)


def test_a_refusal_raised_by_the_in_process_job_becomes_a_form_error(cast, client, branch):
    """Without a broker the task runs in the request: a month published between the check and
    the job (here: the check patched away) still shows beside the month, never as a 500."""
    publish(branch, OCTOBER, cast.branch_manager)
    runs = ResultRun.objects.count()
    client.force_login(cast.branch_manager)
    with mock.patch("assessment.services.require_month_computable"):
        response = client.post(reverse("assessment:run-compute"), {"branch": "BR01", "month": "2026-10"})
    assert response.status_code == 400
    assert "already published" in response.context["form"].errors["month"][0]
    assert ResultRun.objects.count() == runs


def test_the_compute_task_fails_loudly_on_a_published_month(cast, branch, caplog):
    from assessment.exceptions import MonthAlreadyPublished
    from assessment.tasks import compute_month_results_task

    publish(branch, OCTOBER, cast.branch_manager)
    with pytest.raises(MonthAlreadyPublished):
        compute_month_results_task.apply(args=(branch.pk, "2026-10-01", cast.branch_manager.pk), throw=True)
    assert any("refused" in record.getMessage() for record in caplog.records)


def test_publishing_from_the_page_publishes_and_shows_refusals(cast, client, clerk_staff):
    run = compute_month_results(branch=cast.hall.region.parent, month=OCTOBER)
    client.force_login(cast.branch_manager)
    url = reverse("assessment:run-publish", args=[run.pk])
    assert "Publish" in client.get(url).content.decode()
    assert client.post(url).status_code == 303
    run.refresh_from_db()
    assert run.status == ResultRun.Status.PUBLISHED
    again = client.post(url)
    assert again.status_code == 200
    assert again.context["error"] == "Only a draft can be published."
    client.force_login(cast.inspector)
    assert client.post(url).status_code == 403


@time_machine.travel(datetime.datetime(2026, 11, 10, 9, 0, tzinfo=datetime.UTC))
def test_the_rating_form_saves_a_rating_and_shows_errors_beside_fields(cast, client, clerk_staff):
    client.force_login(cast.hall_manager)
    url = reverse("assessment:rating")
    body = {
        "staff": clerk_staff.pk,
        "month": "2026-10",
        "attitude": 20,
        "skill": 21,
        "teamwork": 22,
        "appearance": 23,
    }
    assert client.post(url, body).status_code == 303
    assert SupervisorRating.objects.get(staff=clerk_staff, month=OCTOBER).points == 86

    too_high = client.post(url, {**body, "skill": 26})
    assert too_high.context["form"].errors["skill"]
    assert 'id="id_skill_errors"' in too_high.content.decode()

    own = Staff.objects.get(user=cast.hall_manager)
    myself = client.post(url, {**body, "staff": own.pk})
    assert myself.context["form"].errors["staff"] == ["Nobody rates themselves."]

    future = client.post(url, {**body, "month": "2026-12"})
    assert future.context["form"].errors["month"] == ["A month in the future cannot be rated."]

    stranger = clerk_in(cast.other_hall)
    foreign = client.post(url, {**body, "staff": stranger.pk})
    assert foreign.context["form"].errors["staff"]


def test_the_export_opens_and_escapes_a_hostile_staff_name(cast, client):
    clerk_in(cast.hall, name='=HYPERLINK("http://evil")', employee_no="C0666")
    publish(cast.hall.region.parent, OCTOBER, cast.branch_manager)
    client.force_login(cast.hall_manager)
    response = client.get(reverse("assessment:results-export"), {"month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="assessment-results-2026-10.xlsx"'
    rows = read_workbook_rows(response.content)["2026-10"]
    assert rows[0][3] == "Employee number"
    hostile = next(row for row in rows if row[3] == "C0666")
    assert hostile[4] == '\'=HYPERLINK("http://evil")'
    assert len(rows) == 1 + MonthlyResult.objects.filter(hall=cast.hall).count()


def test_the_navbar_links_assessment_for_signed_in_roles(cast, client):
    client.force_login(cast.clerk)
    assert f'href="{RESULTS}"' in client.get(reverse("dashboard")).content.decode()


def test_the_pages_are_translated_to_chinese(cast, client, clerk_staff):
    run = compute_month_results(branch=cast.hall.region.parent, month=OCTOBER)
    client.force_login(cast.branch_manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(RESULTS, {"month": "2026-10"}).content.decode()
    assert "月度考核结果" in page and ">考核</a>" in page and "草稿" in page
    publish_page = client.get(reverse("assessment:run-publish", args=[run.pk])).content.decode()
    assert "发布城区分公司 2026-10 的第 1 版（2 人）？" in publish_page

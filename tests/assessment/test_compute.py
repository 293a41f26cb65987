import datetime
import io
from decimal import Decimal

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DataError, connection
from django.test.utils import CaptureQueriesContext

from assessment.exceptions import NoSchemeInForce
from assessment.models import IndicatorScore, Measure, MonthlyResult, ResultRun
from assessment.services import compute_month_results
from assessment.tasks import compute_month_results_task
from halls.models import AuditEvent
from tests.assessment.factories import OCTOBER, add_facts, clerk_in, fact_input

pytestmark = pytest.mark.django_db


def test_a_clerk_gets_indicator_scores_total_and_ranks(branch, hall):
    a = clerk_in(hall)
    b = clerk_in(hall)
    add_facts(
        fact_input(a, Measure.EVALUATION_SCORE, 100),
        fact_input(a, Measure.EVALUATION_SCORE, 80),
        fact_input(a, Measure.TRANSACTIONS, 300),
        fact_input(a, Measure.SUPERVISOR_POINTS, 90),
        fact_input(b, Measure.DISCIPLINE_POINTS, 2),
    )
    run = compute_month_results(branch=branch, month=OCTOBER)
    assert run.status == ResultRun.Status.DRAFT
    ra = MonthlyResult.objects.get(run=run, staff=a)
    scores = {
        s.indicator.code: s for s in IndicatorScore.objects.filter(result=ra).select_related("indicator")
    }
    # evaluation: avg 90 in band 60..95 -> 100*(30/35) = 85.71 points, weight 25 -> 21.43
    assert scores["evaluation"].measure_value == Decimal("90.0000")
    assert scores["evaluation"].points == Decimal("85.71")
    assert scores["evaluation"].score == Decimal("21.43")
    assert scores["transactions"].points == Decimal("50.00")
    assert scores["supervisor"].score == Decimal("13.50")
    assert scores["mystery_shop"].points == Decimal("100.00")  # no visit: full points
    assert scores["discipline"].score == Decimal("10.00")
    assert ra.total == sum(s.score for s in scores.values())
    rb = MonthlyResult.objects.get(run=run, staff=b)
    assert rb.total == Decimal("18.00")  # mystery shop 10 + discipline (10-2)/10*10 = 8
    assert (ra.rank_in_hall, rb.rank_in_hall, ra.hall_size) == (1, 2, 2)
    assert ra.percentile == Decimal("100.00") and rb.percentile == Decimal("50.00")


def test_a_clerk_who_changed_hall_mid_month_is_ranked_where_they_worked_most_days(branch, hall, other_hall):
    from tests.assessment.factories import move

    mover = clerk_in(hall)
    move(mover, to_hall=other_hall, on=datetime.date(2026, 10, 12))  # 11 days in hall, 20 in other_hall
    add_facts(
        fact_input(mover, Measure.TRANSACTIONS, 300, day=datetime.date(2026, 10, 3), hall=hall),
        fact_input(mover, Measure.TRANSACTIONS, 300, day=datetime.date(2026, 10, 20), hall=other_hall),
    )
    run = compute_month_results(branch=branch, month=OCTOBER)
    result = MonthlyResult.objects.get(run=run, staff=mover)
    assert (result.hall_id, result.posting_days) == (other_hall.pk, 20)
    # Facts keep their own hall, and all of them count.
    tx = IndicatorScore.objects.get(result=result, indicator__code="transactions")
    assert (tx.fact_count, tx.measure_value) == (2, Decimal("600.0000"))


def test_a_clerk_with_no_facts_still_gets_a_result(branch, hall):
    idle = clerk_in(hall)
    run = compute_month_results(branch=branch, month=OCTOBER)
    result = MonthlyResult.objects.get(run=run, staff=idle)
    # mystery shop (no visit: full) 10 + discipline (nothing deducted) 10
    assert result.total == Decimal("20.00")
    assert IndicatorScore.objects.filter(result=result).count() == 7


def test_ties_share_a_rank(branch, hall):
    a, b, c = clerk_in(hall), clerk_in(hall), clerk_in(hall)
    add_facts(fact_input(a, Measure.SALES, 20000), fact_input(b, Measure.SALES, 20000))
    run = compute_month_results(branch=branch, month=OCTOBER)
    ranks = dict(MonthlyResult.objects.filter(run=run).values_list("staff_id", "rank_in_branch"))
    assert (ranks[a.pk], ranks[b.pk], ranks[c.pk]) == (1, 1, 3)


def test_rerunning_with_unchanged_inputs_returns_the_same_draft_and_writes_nothing(branch, hall):
    a = clerk_in(hall)
    add_facts(fact_input(a, Measure.SALES, 1000))
    first = compute_month_results(branch=branch, month=OCTOBER)
    rows = MonthlyResult.objects.count()
    again = compute_month_results(branch=branch, month=OCTOBER)
    assert again.pk == first.pk and again.version == 1
    assert MonthlyResult.objects.count() == rows
    assert ResultRun.objects.filter(branch=branch).count() == 1


def test_a_changed_fact_makes_a_new_version_with_identical_unaffected_numbers(branch, hall):
    a, b = clerk_in(hall), clerk_in(hall)
    add_facts(fact_input(a, Measure.SALES, 1000), fact_input(b, Measure.SALES, 3000))
    first = compute_month_results(branch=branch, month=OCTOBER)
    add_facts(fact_input(a, Measure.SALES, 1000))
    second = compute_month_results(branch=branch, month=OCTOBER)
    first.refresh_from_db()
    assert (second.version, second.status, first.status) == (2, "draft", "superseded")
    totals = lambda run: dict(MonthlyResult.objects.filter(run=run).values_list("staff_id", "total"))  # noqa: E731
    assert totals(first)[b.pk] == totals(second)[b.pk]
    assert totals(second)[a.pk] - totals(first)[a.pk] == Decimal("0.50")
    assert AuditEvent.objects.filter(action="assessment.results.computed").count() == 2


def test_the_task_run_twice_changes_nothing(branch, hall):
    a = clerk_in(hall)
    add_facts(fact_input(a, Measure.SALES, 1000))
    first = compute_month_results_task.delay(branch.pk, "2026-10-01").get()
    snapshot = list(
        MonthlyResult.objects.order_by("id").values_list("id", "total", "rank_in_branch", "updated_at")
    )
    second = compute_month_results_task.delay(branch.pk, "2026-10-01").get()
    assert first == second
    assert (
        list(MonthlyResult.objects.order_by("id").values_list("id", "total", "rank_in_branch", "updated_at"))
        == snapshot
    )


def test_a_run_left_computing_by_a_killed_worker_is_completed_by_the_retry(branch, hall):
    from assessment.models import StarLevelPolicy

    a = clerk_in(hall)
    add_facts(fact_input(a, Measure.SALES, 1000))
    stale = ResultRun.objects.create(
        branch=branch, month=OCTOBER, version=1, status="computing", star_policy=StarLevelPolicy.objects.get()
    )
    run = compute_month_results(branch=branch, month=OCTOBER)
    assert (run.pk, run.status, run.progress) == (stale.pk, "draft", 100)
    assert MonthlyResult.objects.filter(run=run).count() == 1


def test_a_failure_while_writing_leaves_no_rows_and_the_previous_version_intact(branch, hall, monkeypatch):
    from assessment.services import compute as compute_module

    a = clerk_in(hall)
    add_facts(fact_input(a, Measure.SALES, 1000))
    good = compute_month_results(branch=branch, month=OCTOBER)
    add_facts(fact_input(a, Measure.SALES, 500))
    scores_before = IndicatorScore.objects.count()
    monkeypatch.setattr(compute_module, "RESULTS_SQL", "SELECT 1/0")  # after the indicator scores are written
    with pytest.raises(DataError):
        compute_month_results(branch=branch, month=OCTOBER)
    failed = ResultRun.objects.get(branch=branch, version=2)
    good.refresh_from_db()
    assert (failed.status, failed.error) == ("failed", "DataError: division by zero")
    assert not MonthlyResult.objects.filter(run=failed).exists()
    assert IndicatorScore.objects.count() == scores_before
    assert good.status == "draft" and MonthlyResult.objects.filter(run=good).count() == 1


def test_two_computations_of_one_month_never_interleave(branch, hall):
    from assessment.exceptions import MonthBeingComputed
    from assessment.services.compute import _lock_key

    clerk_in(hall)
    params = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k in ("dbname", "user", "password", "host", "port")
    }
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_lock_key(branch.pk, OCTOBER)])
        with pytest.raises(MonthBeingComputed):
            compute_month_results(branch=branch, month=OCTOBER)
        # The other worker finishes (a closed connection's locks go a moment later, asynchronously).
        other.execute("SELECT pg_advisory_unlock_all()")
    assert compute_month_results(branch=branch, month=OCTOBER).status == "draft"


def test_the_job_runs_the_same_number_of_queries_for_3_and_9_clerks(branch, hall, other_hall):
    def queries_for(n, month):
        for i in range(n):
            s = clerk_in(hall if i % 2 else other_hall)
            add_facts(
                fact_input(s, Measure.SALES, 100 * i, day=month.replace(day=3)),
                fact_input(s, Measure.EVALUATION_SCORE, 80, day=month.replace(day=4)),
            )
        with CaptureQueriesContext(connection) as ctx:
            compute_month_results(branch=branch, month=month)
        return len(ctx.captured_queries)

    few = queries_for(3, datetime.date(2026, 8, 1))
    many = queries_for(6, datetime.date(2026, 9, 1))  # 3 + 6 = 9 people in September
    assert few == many
    assert few < 40


def test_a_month_without_schemes_is_refused(branch):
    with pytest.raises(NoSchemeInForce):
        compute_month_results(branch=branch, month=datetime.date(2019, 5, 1))


def test_the_management_command_computes_a_draft(branch, hall):
    clerk_in(hall)
    out = io.StringIO()
    call_command("compute_month", "2026-10", "--branch", "BR01", stdout=out)
    assert "BR01 2026-10 v1 draft: 1 staff" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("compute_month", "2026-13", "--branch", "BR01")

"""The volume tables' foreign keys are checked once per statement by triggers
(halls.triggers.statement_foreign_key_sql) instead of row by row: they must refuse exactly what a
real foreign key refuses, lock the parent rows as a real key does, and cover every such field."""

import datetime
from decimal import Decimal

import psycopg
import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import ProtectedError

from assessment import models as assessment_models
from assessment.models import STATEMENT_FOREIGN_KEYS, IndicatorScore, Measure, MonthlyResult, ScoreFact
from assessment.services import compute_month_results, record_score_facts
from halls.triggers import _fk_name
from staffing.models import Staff
from tests.assessment.factories import OCTOBER, add_facts, clerk_in, fact_input

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_fact_sql(staff_id: int, hall_id: int, evidence_id: int) -> tuple[str, list]:
    return (
        "INSERT INTO assessment_scorefact (staff_id, hall_id, month, occurred_on, source, measure, value, "
        "evidence_type, evidence_id, evidence_label, revision, recorded_at) "
        "VALUES (%s, %s, '2026-10-01', '2026-10-05', 'kpi', 'sales', 1, 'daily_kpi', %s, 'x', 1, now())",
        [staff_id, hall_id, evidence_id],
    )


def test_every_volume_foreign_key_without_a_constraint_is_guarded_by_its_triggers():
    guarded = {(child, column) for child, column, _parent in STATEMENT_FOREIGN_KEYS}
    unguarded = []
    for model in vars(assessment_models).values():
        if not (isinstance(model, type) and issubclass(model, models.Model)) or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            key = (model._meta.db_table, getattr(field, "column", None))
            if field.is_relation and not field.db_constraint and key not in guarded:
                unguarded.append(".".join(key))
    assert unguarded == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        installed = {row[0] for row in cursor.fetchall()}
    for child, column, _parent in STATEMENT_FOREIGN_KEYS:
        name = _fk_name(child, column)
        assert {f"{name}_insert", f"{name}_update", f"{name}_delete"} <= installed, (child, column)


def test_a_fact_pointing_to_no_staff_is_refused_like_a_foreign_key(hall):
    clerk = clerk_in(hall)
    missing = r'Key \(staff_id\)=\(987654321\) is not present in table "staffing_staff"'
    with pytest.raises(IntegrityError, match=missing):
        _raw(*_insert_fact_sql(987654321, hall.pk, 1))
    assert not ScoreFact.objects.exists()
    # The good rows of a statement go with the bad one: the whole statement is refused.
    with pytest.raises(IntegrityError, match="hall_id"), transaction.atomic():
        record_score_facts(
            facts=[
                fact_input(clerk, Measure.SALES, 10),
                _with_hall(fact_input(clerk, Measure.SALES, 30), 987654321),
            ]
        )
    assert not ScoreFact.objects.exists()
    add_facts(fact_input(clerk, Measure.SALES, 10))
    assert ScoreFact.objects.count() == 1


def _with_hall(fact, hall_id):
    from dataclasses import replace

    return replace(fact, hall_id=hall_id)


def test_moving_a_fact_to_no_staff_is_refused(hall):
    clerk = clerk_in(hall)
    add_facts(fact_input(clerk, Measure.SALES, 10))
    with pytest.raises(IntegrityError, match="staff_id"), transaction.atomic():
        ScoreFact.objects.update(staff_id=987654321)
    assert ScoreFact.objects.get().staff_id == clerk.pk


def test_a_referenced_staff_member_or_run_cannot_be_deleted(branch, hall):
    clerk = clerk_in(hall)
    add_facts(fact_input(clerk, Measure.SALES, 10))
    with pytest.raises(ProtectedError):  # the ORM protects first, as before
        clerk.delete()
    with pytest.raises(IntegrityError, match='still referenced from table "assessment_scorefact"'):
        _raw("DELETE FROM staffing_staff WHERE id = %s", [clerk.pk])
    run = compute_month_results(branch=branch, month=OCTOBER)
    with pytest.raises(IntegrityError, match='still referenced from table "assessment_monthlyresult"'):
        _raw("DELETE FROM assessment_resultrun WHERE id = %s", [run.pk])
    assert Staff.objects.filter(pk=clerk.pk).exists() and MonthlyResult.objects.filter(run=run).exists()
    # An unreferenced parent still goes.
    spare = clerk_in(hall)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM staffing_staffposting WHERE staff_id = %s", [spare.pk])
        cursor.execute("DELETE FROM staffing_staff WHERE id = %s", [spare.pk])
    assert not Staff.objects.filter(pk=spare.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_an_uncommitted_fact_locks_its_staff_row_against_a_concurrent_delete(hall):
    clerk = clerk_in(hall)
    params = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k in ("dbname", "user", "password", "host", "port")
    }
    with transaction.atomic():
        add_facts(fact_input(clerk, Measure.SALES, 10))
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM staffing_staff WHERE id = %s", [clerk.pk])
    assert ScoreFact.objects.filter(staff=clerk).count() == 1


def test_the_breakdown_reads_as_indicator_score_rows_and_stays_consistent(branch, hall):
    clerk = clerk_in(hall)
    add_facts(fact_input(clerk, Measure.SALES, 1000), fact_input(clerk, Measure.EVALUATION_SCORE, 80))
    run = compute_month_results(branch=branch, month=OCTOBER)
    result = MonthlyResult.objects.get(run=run)
    rows = list(IndicatorScore.objects.filter(result=result).order_by("indicator_id"))
    assert [r.indicator_id for r in rows] == result.indicator_ids == sorted(result.indicator_ids)
    assert [r.score for r in rows] == result.indicator_weighted_scores
    assert sum(r.score for r in rows) == result.total
    assert len(rows) == result.scheme.indicators.count()
    # Arrays of different lengths, or negative points, are refused by the database.
    with pytest.raises(IntegrityError, match="monthly_result_indicator_breakdown"), transaction.atomic():
        MonthlyResult.objects.filter(pk=result.pk).update(indicator_points=[Decimal("1")])
    with pytest.raises(IntegrityError, match="read-only"), transaction.atomic():
        IndicatorScore.objects.filter(result=result).delete()
    assert IndicatorScore.objects.filter(result=result).count() == len(rows)


def test_a_mid_month_mover_keeps_one_breakdown_per_result(branch, hall, other_hall):
    from tests.assessment.factories import move

    clerk = clerk_in(hall)
    add_facts(fact_input(clerk, Measure.SALES, 500, day=datetime.date(2026, 10, 3)))
    move(clerk, to_hall=other_hall, on=datetime.date(2026, 10, 10))
    add_facts(fact_input(clerk, Measure.SALES, 700, day=datetime.date(2026, 10, 20), hall=other_hall))
    run = compute_month_results(branch=branch, month=OCTOBER)
    result = MonthlyResult.objects.get(run=run, staff=clerk)
    assert result.hall == other_hall
    sales = IndicatorScore.objects.get(result=result, indicator__code="sales")
    assert (sales.fact_count, sales.measure_value) == (2, Decimal("1200.0000"))

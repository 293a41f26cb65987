"""FactTotal is kept by triggers on the fact table: after any insert, update or delete of facts,
through the services or raw SQL, it equals the GROUP BY of the facts, and the monthly job that
reads it gives the numbers the facts give."""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.models import EvidenceType, FactTotal, Measure, ScoreFact
from assessment.services import withdraw_score_facts
from tests.assessment.factories import add_facts, clerk_in, fact_input

pytestmark = pytest.mark.django_db


def facts_grouped() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT staff_id, month, source, measure, count(*), sum(value) FROM assessment_scorefact "
            "GROUP BY staff_id, month, source, measure"
        )
        return {tuple(row[:4]): (row[4], row[5]) for row in cursor.fetchall()}


def totals() -> dict:
    return {
        (t.staff_id, t.month, t.source, t.measure): (t.fact_count, t.total) for t in FactTotal.objects.all()
    }


def test_totals_follow_inserts_changes_moves_and_withdrawals(hall, other_hall):
    a, b = clerk_in(hall), clerk_in(other_hall)
    sales = fact_input(a, Measure.SALES, 100)
    add_facts(sales, fact_input(a, Measure.SALES, 50), fact_input(b, Measure.EVALUATION_SCORE, 80))
    assert totals() == facts_grouped()
    key = (a.pk, datetime.date(2026, 10, 1), "kpi", "sales")
    assert totals()[key] == (2, Decimal("150.00"))
    # A changed value, then a fact moved to another person and another month.
    add_facts(replace(sales, value=Decimal("70")))
    assert totals()[key] == (2, Decimal("120.00"))
    add_facts(replace(sales, value=Decimal("70"), staff_id=b.pk, occurred_on=datetime.date(2026, 11, 3)))
    assert totals()[key] == (1, Decimal("50.00"))
    assert totals()[(b.pk, datetime.date(2026, 11, 1), "kpi", "sales")] == (1, Decimal("70.00"))
    assert totals() == facts_grouped()
    # Withdrawn evidence takes its share with it; an emptied total is removed.
    withdraw_score_facts(evidence_type=EvidenceType.DAILY_KPI, evidence_ids=[sales.evidence_id])
    assert (b.pk, datetime.date(2026, 11, 1), "kpi", "sales") not in totals()
    assert totals() == facts_grouped()


def test_raw_sql_writes_keep_the_totals_too(hall):
    a = clerk_in(hall)
    add_facts(*(fact_input(a, Measure.TRANSACTIONS, n) for n in (10, 20, 30)))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE assessment_scorefact SET value = value * 2 WHERE staff_id = %s", [a.pk])
        assert totals() == facts_grouped()
        cursor.execute("DELETE FROM assessment_scorefact WHERE value = 40")
        assert totals() == facts_grouped()
        cursor.execute("DELETE FROM assessment_scorefact")
    assert totals() == facts_grouped() == {}


def test_the_database_refuses_a_total_that_would_go_below_zero(hall):
    a = clerk_in(hall)
    add_facts(fact_input(a, Measure.SALES, 10))
    FactTotal.objects.all().delete()  # out of step on purpose: a delete must not hide it
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreFact.objects.all().delete()
    assert ScoreFact.objects.count() == 1


operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "change", "move", "withdraw"]),
        st.integers(min_value=0, max_value=5),  # which earlier fact
        st.integers(min_value=0, max_value=500),  # a value
        st.booleans(),  # which person
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_of_fact_writes_leaves_the_totals_equal_to_the_facts(hall, other_hall, steps):
    people = [clerk_in(hall), clerk_in(other_hall)]
    written = []
    try:
        for action, pick, value, second in steps:
            person = people[int(second)]
            if action == "add" or not written:
                measure = (Measure.SALES, Measure.EVALUATION_SCORE)[value % 2]
                fact = fact_input(
                    person, measure, value, day=datetime.date(2026, 10 + value % 2, 1 + value % 28)
                )
                add_facts(fact)
                written.append(fact)
                continue
            fact = written[pick % len(written)]
            if action == "change":
                fact = replace(fact, value=Decimal(value))
            elif action == "move":
                fact = replace(fact, staff_id=person.pk, hall_id=person.hall_id)
            if action == "withdraw":
                withdraw_score_facts(evidence_type=fact.evidence_type, evidence_ids=[fact.evidence_id])
                written = [f for f in written if f.evidence_id != fact.evidence_id]
            else:
                add_facts(fact)
                written = [fact if f.evidence_id == fact.evidence_id else f for f in written]
            assert totals() == facts_grouped()
    finally:
        ScoreFact.objects.all().delete()
        for person in people:
            person.postings.all().delete()
            person.delete()

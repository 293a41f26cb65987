"""Helpers to put assessment inputs in place quickly, through the real services."""

import datetime
import itertools
from decimal import Decimal

import factory

from assessment.models import MEASURE_SOURCE, EvidenceType, FactImport, Measure
from assessment.services import FactInput, record_score_facts
from staffing.models import StaffPosting
from tests.staffing.factories import StaffFactory

EVIDENCE_OF = {
    Measure.EVALUATION_SCORE: EvidenceType.CUSTOMER_EVALUATION,
    Measure.TRANSACTIONS: EvidenceType.DAILY_KPI,
    Measure.RECOMMENDATIONS: EvidenceType.DAILY_KPI,
    Measure.SALES: EvidenceType.DAILY_KPI,
    Measure.SUPERVISOR_POINTS: EvidenceType.SUPERVISOR_RATING,
    Measure.DISCIPLINE_POINTS: EvidenceType.DISCIPLINE_RECORD,
    Measure.MYSTERY_SHOP_SCORE: EvidenceType.VISIT_ITEM,
    Measure.COMPLAINT_ACCOUNTABILITY: EvidenceType.COMPLAINT,
    Measure.TRAINING_ABSENCES: EvidenceType.TRAINING_ATTENDANCE,
    Measure.EXAM_SCORE: EvidenceType.TRAINING_EXAM,
    Measure.TRAINING_SCORE: EvidenceType.TRAINING_RECORD,
}

_evidence_ids = itertools.count(1_000_000)

OCTOBER = datetime.date(2026, 10, 1)


def fact_input(staff, measure, value, *, day=None, hall=None, evidence_id=None) -> FactInput:
    day = day or datetime.date(2026, 10, 15)
    return FactInput(
        staff_id=staff.pk,
        hall_id=(hall or staff.hall).pk,
        occurred_on=day,
        source=MEASURE_SOURCE[measure],
        measure=measure,
        value=Decimal(value),
        evidence_type=EVIDENCE_OF[measure],
        evidence_id=evidence_id if evidence_id is not None else next(_evidence_ids),
        evidence_label=f"test {measure} {value}",
    )


def add_facts(*facts: FactInput):
    return record_score_facts(facts=list(facts))


def clerk_in(hall, *, since=datetime.date(2024, 3, 1), **kwargs):
    return StaffFactory(hall=hall, hire_date=since, **kwargs)


def move(staff, *, to_hall, on: datetime.date):
    """Transfer without the service's permission checks (fixtures only)."""
    StaffPosting.objects.filter(staff=staff, ended_on__isnull=True).update(
        ended_on=on - datetime.timedelta(days=1)
    )
    StaffPosting.objects.create(staff=staff, hall=to_hall, post=staff.post, started_on=on)
    staff.hall = to_hall
    staff.save(update_fields=["hall"])


class FactImportFactory(factory.django.DjangoModelFactory):
    """An accepted import file's record (what the imports page lists), without importing rows."""

    class Meta:
        model = FactImport

    kind = FactImport.Kind.EVALUATIONS
    filename = factory.Sequence(lambda n: f"evaluations-{n}.csv")
    rows = 10
    created_rows = 10

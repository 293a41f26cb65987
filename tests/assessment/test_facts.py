import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from assessment.exceptions import FactInvalid, FactsFrozen, RatingInvalid
from assessment.models import EvidenceType, FactRevision, Measure, ScoreFact, Source, SupervisorRating
from assessment.services import (
    FactInput,
    compute_month_results,
    publish_results,
    rate_staff,
    record_discipline_incident,
    record_score_facts,
)
from halls.models import AuditEvent
from staffing.models import DisciplineRecord
from tests.assessment.factories import OCTOBER, add_facts, fact_input

pytestmark = pytest.mark.django_db


def revision(month=OCTOBER):
    row = FactRevision.objects.filter(month=month).first()
    return row.revision if row else 0


def test_recording_the_same_facts_twice_changes_nothing(clerk_staff):
    facts = [
        fact_input(clerk_staff, Measure.SALES, 100, evidence_id=1),
        fact_input(clerk_staff, Measure.TRANSACTIONS, 5, evidence_id=1),
    ]
    first = record_score_facts(facts=facts)
    rev = revision()
    again = record_score_facts(facts=facts)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.created, again.updated, again.unchanged, again.months) == (0, 0, 2, ())
    assert revision() == rev == 1
    assert ScoreFact.objects.count() == 2


def test_a_changed_fact_is_updated_and_bumps_the_months_revision(clerk_staff):
    add_facts(fact_input(clerk_staff, Measure.SALES, 100, evidence_id=7))
    result = add_facts(fact_input(clerk_staff, Measure.SALES, 150, evidence_id=7))
    assert (result.created, result.updated) == (0, 1)
    fact = ScoreFact.objects.get()
    assert (fact.value, fact.revision, fact.month, fact.hall_id) == (
        Decimal("150.00"),
        2,
        OCTOBER,
        clerk_staff.hall_id,
    )
    assert revision() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": Source.KPI, "measure": Measure.EVALUATION_SCORE}, "does not belong"),
        ({"evidence_type": "rumour"}, "unknown kind of evidence"),
        ({"value": Decimal("-1")}, "negative"),
    ],
)
def test_invalid_facts_are_refused_and_nothing_is_written(clerk_staff, change, message):
    good = fact_input(clerk_staff, Measure.SALES, 1)
    bad = FactInput(**{**good.__dict__, "evidence_id": good.evidence_id + 1, **change})
    with pytest.raises(FactInvalid, match=message):
        record_score_facts(facts=[good, bad])
    assert not ScoreFact.objects.exists() and revision() == 0


def test_the_same_evidence_twice_in_one_batch_is_refused(clerk_staff):
    good = fact_input(clerk_staff, Measure.SALES, 1)
    other = fact_input(clerk_staff, Measure.SALES, 2)
    again = FactInput(**{**good.__dict__, "value": Decimal("7")})
    with pytest.raises(FactInvalid, match="appear twice"):
        record_score_facts(facts=[good, other, again])
    assert not ScoreFact.objects.exists() and revision() == 0


def test_a_fact_behind_published_numbers_cannot_change(branch, clerk_staff, branch_manager):
    add_facts(fact_input(clerk_staff, Measure.SALES, 100, evidence_id=9))
    publish_results(run=compute_month_results(branch=branch, month=OCTOBER), actor=branch_manager)
    with pytest.raises(FactsFrozen):
        add_facts(fact_input(clerk_staff, Measure.SALES, 999, evidence_id=9))
    # New evidence may still arrive; it does not touch the published numbers.
    assert add_facts(fact_input(clerk_staff, Measure.SALES, 5, evidence_id=10)).created == 1


def test_a_batch_of_new_changed_and_unchanged_facts_is_counted_and_stamped_with_one_revision(clerk_staff):
    add_facts(
        fact_input(clerk_staff, Measure.SALES, 100, evidence_id=21),
        fact_input(clerk_staff, Measure.SALES, 200, evidence_id=22),
    )
    result = add_facts(
        fact_input(clerk_staff, Measure.SALES, 100, evidence_id=21),  # unchanged
        fact_input(clerk_staff, Measure.SALES, 250, evidence_id=22),  # changed
        fact_input(clerk_staff, Measure.SALES, 300, evidence_id=23),  # new
    )
    assert (result.created, result.updated, result.unchanged, result.months) == (1, 1, 1, (OCTOBER,))
    stored = {f.evidence_id: (f.value, f.revision) for f in ScoreFact.objects.all()}
    assert stored == {21: (Decimal("100.00"), 1), 22: (Decimal("250.00"), 2), 23: (Decimal("300.00"), 2)}
    assert revision() == 2


def test_a_refused_change_takes_the_new_facts_of_its_batch_back_with_it(branch, clerk_staff, branch_manager):
    from assessment.models import FactTotal

    add_facts(fact_input(clerk_staff, Measure.SALES, 100, evidence_id=31))
    publish_results(run=compute_month_results(branch=branch, month=OCTOBER), actor=branch_manager)
    before = (revision(), list(FactTotal.objects.values_list("fact_count", "total")))
    with pytest.raises(FactsFrozen):
        # The new fact is written before the stored one is found changed: both go.
        add_facts(
            fact_input(clerk_staff, Measure.SALES, 5, evidence_id=32),
            fact_input(clerk_staff, Measure.SALES, 999, evidence_id=31),
        )
    assert list(ScoreFact.objects.values_list("evidence_id", "value")) == [(31, Decimal("100.00"))]
    assert (revision(), list(FactTotal.objects.values_list("fact_count", "total"))) == before


def test_a_long_label_recorded_again_is_unchanged_even_in_a_published_month(
    branch, clerk_staff, branch_manager
):
    from assessment.services.facts import StagedFacts

    f = fact_input(clerk_staff, Measure.SALES, 100, evidence_id=41)
    # A set-based importer's SELECT may produce a label longer than the 200 characters stored.
    staged = StagedFacts(
        "SELECT %s, %s, %s::date, %s, %s, %s, %s, %s, repeat('x', 250)",
        [f.staff_id, f.hall_id, f.occurred_on, f.source, f.measure, f.value, f.evidence_type, f.evidence_id],
    )
    record_score_facts(facts=staged)
    publish_results(run=compute_month_results(branch=branch, month=OCTOBER), actor=branch_manager)
    again = record_score_facts(facts=staged)  # stored cut to 200 characters: the same fact, not a change
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert ScoreFact.objects.get().evidence_label == "x" * 200


def test_a_hall_manager_rates_a_clerk_and_a_correction_replaces_the_fact(clerk_staff, hall_manager):
    rating = rate_staff(
        actor=hall_manager,
        staff=clerk_staff,
        month=OCTOBER,
        attitude=20,
        skill=22,
        teamwork=18,
        appearance=25,
    )
    assert rating.points == 85
    rate_staff(
        actor=hall_manager,
        staff=clerk_staff,
        month=OCTOBER,
        attitude=10,
        skill=22,
        teamwork=18,
        appearance=25,
    )
    fact = ScoreFact.objects.get(source=Source.SUPERVISOR)
    assert (fact.value, fact.evidence_type, fact.evidence_id) == (
        Decimal("75.00"),
        EvidenceType.SUPERVISOR_RATING,
        rating.pk,
    )
    assert SupervisorRating.objects.count() == 1
    assert (
        AuditEvent.objects.filter(action="assessment.supervisor_rating.saved", hall=clerk_staff.hall).count()
        == 2
    )


def test_ratings_are_refused_for_other_halls_future_months_bad_marks_and_published_months(
    branch, clerk_staff, hall_manager, other_hall_manager, branch_manager
):
    from staffing.models import Staff

    with pytest.raises(Staff.DoesNotExist):
        rate_staff(
            actor=other_hall_manager,
            staff=clerk_staff,
            month=OCTOBER,
            attitude=1,
            skill=1,
            teamwork=1,
            appearance=1,
        )
    with pytest.raises(PermissionDenied):
        rate_staff(
            actor=branch_manager,
            staff=clerk_staff,
            month=OCTOBER,
            attitude=1,
            skill=1,
            teamwork=1,
            appearance=1,
        )
    with pytest.raises(RatingInvalid, match="future"):
        rate_staff(
            actor=hall_manager,
            staff=clerk_staff,
            month=datetime.date(2099, 1, 1),
            attitude=1,
            skill=1,
            teamwork=1,
            appearance=1,
        )
    with pytest.raises(RatingInvalid, match="0 to 25"):
        rate_staff(
            actor=hall_manager,
            staff=clerk_staff,
            month=OCTOBER,
            attitude=26,
            skill=1,
            teamwork=1,
            appearance=1,
        )
    publish_results(run=compute_month_results(branch=branch, month=OCTOBER), actor=branch_manager)
    with pytest.raises(RatingInvalid, match="published"):
        rate_staff(
            actor=hall_manager,
            staff=clerk_staff,
            month=OCTOBER,
            attitude=1,
            skill=1,
            teamwork=1,
            appearance=1,
        )


def test_a_discipline_incident_is_recorded_in_staffing_with_its_fact(clerk_staff, hall_manager):
    record = record_discipline_incident(
        actor=hall_manager, staff=clerk_staff, occurred_on=datetime.date(2026, 10, 9), kind="left_post"
    )
    assert (record.deduction, record.hall_id) == (Decimal("2"), clerk_staff.hall_id)
    fact = ScoreFact.objects.get()
    assert (fact.source, fact.measure, fact.value, fact.evidence_id) == (
        "discipline",
        "discipline_points",
        Decimal("2.00"),
        record.pk,
    )
    assert DisciplineRecord.objects.visible_to(clerk_staff.user).get() == record
    assert AuditEvent.objects.filter(action="staffing.discipline.recorded").exists()


def test_facts_are_visible_to_their_clerk_their_hall_manager_and_their_branch(cast, clerk_staff):
    from tests.assessment.factories import clerk_in

    colleague = clerk_in(cast.hall)
    add_facts(fact_input(clerk_staff, Measure.SALES, 1), fact_input(colleague, Measure.SALES, 2))
    assert list(ScoreFact.objects.visible_to(cast.clerk).values_list("staff_id", flat=True)) == [
        clerk_staff.pk
    ]
    assert ScoreFact.objects.visible_to(cast.hall_manager).count() == 2
    assert ScoreFact.objects.visible_to(cast.branch_manager).count() == 2
    assert ScoreFact.objects.visible_to(cast.other_hall_manager).count() == 0


def test_withdrawing_facts_removes_them_bumps_the_month_and_refuses_a_published_month(cast, clerk_staff):
    from assessment.services import compute_month_results, publish_results, withdraw_score_facts

    add_facts(
        fact_input(clerk_staff, Measure.SALES, 100, evidence_id=41),
        fact_input(clerk_staff, Measure.SALES, 200, evidence_id=42),
    )
    evidence = EvidenceType.DAILY_KPI
    before = FactRevision.objects.get(month=OCTOBER).revision
    result = withdraw_score_facts(evidence_type=evidence, evidence_ids=[41])
    assert (result.removed, result.months) == (1, (OCTOBER,))
    assert list(ScoreFact.objects.values_list("evidence_id", flat=True)) == [42]
    assert FactRevision.objects.get(month=OCTOBER).revision == before + 1
    again = withdraw_score_facts(evidence_type=evidence, evidence_ids=[41])
    assert (again.removed, again.months) == (0, ())
    assert FactRevision.objects.get(month=OCTOBER).revision == before + 1
    with pytest.raises(FactInvalid):
        withdraw_score_facts(evidence_type="no_such_evidence", evidence_ids=[42])

    publish_results(
        run=compute_month_results(branch=cast.hall.region.parent, month=OCTOBER), actor=cast.branch_manager
    )
    with pytest.raises(FactsFrozen):
        withdraw_score_facts(evidence_type=evidence, evidence_ids=[42])
    assert ScoreFact.objects.filter(evidence_id=42).exists()


def test_a_fact_moved_to_another_month_changes_both_months(hall):
    from dataclasses import replace

    from tests.assessment.factories import clerk_in

    clerk = clerk_in(hall)
    fact = fact_input(clerk, Measure.SALES, 100, day=datetime.date(2026, 10, 30))
    add_facts(fact)
    october = FactRevision.objects.get(month=datetime.date(2026, 10, 1)).revision
    moved = add_facts(replace(fact, occurred_on=datetime.date(2026, 11, 2)))
    assert moved.months == (datetime.date(2026, 10, 1), datetime.date(2026, 11, 1))
    # October lost a fact: its revision moves, so a draft computed before is stale.
    assert FactRevision.objects.get(month=datetime.date(2026, 10, 1)).revision == october + 1
    assert FactRevision.objects.filter(month=datetime.date(2026, 11, 1), revision__gte=1).exists()

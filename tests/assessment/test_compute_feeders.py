"""From December 2026 the default schemes count complaint accountability and training."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from assessment.models import IndicatorScore, Measure, MonthlyResult
from assessment.services import compute_month_results
from tests.assessment.factories import add_facts, clerk_in, fact_input

pytestmark = pytest.mark.django_db
DECEMBER = datetime.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _after_december():
    """December can only be computed once it has begun; these tests run in January 2027."""
    with time_machine.travel("2027-01-05 10:00 +0800", tick=False):
        yield


def scores_of(run, staff):
    result = MonthlyResult.objects.get(run=run, staff=staff)
    rows = IndicatorScore.objects.filter(result=result).select_related("indicator")
    return result, {s.indicator.code: (s.fact_count, s.measure_value, s.points, s.score) for s in rows}


def test_complaint_and_training_facts_earn_and_cost_points(branch, hall):
    a, b, c = clerk_in(hall), clerk_in(hall), clerk_in(hall)
    day = datetime.date(2026, 12, 8)

    def at(staff, measure, value):
        return fact_input(staff, measure, value, day=day)

    add_facts(
        at(a, Measure.EVALUATION_SCORE, 100),
        at(a, Measure.EVALUATION_SCORE, 80),
        # Two accountable complaints, 1.5 points each.
        at(a, Measure.COMPLAINT_ACCOUNTABILITY, "1.5"),
        at(a, Measure.COMPLAINT_ACCOUNTABILITY, "1.5"),
        # Four sessions: two missed without excuse, one excused, one attended.
        at(a, Measure.TRAINING_ABSENCES, 1),
        at(a, Measure.TRAINING_ABSENCES, 1),
        at(a, Measure.TRAINING_ABSENCES, 0),
        at(a, Measure.TRAINING_ABSENCES, 0),
        # Two exams: 80 % and 65 %.
        at(a, Measure.EXAM_SCORE, 80),
        at(a, Measure.EXAM_SCORE, 65),
        at(c, Measure.COMPLAINT_ACCOUNTABILITY, 12),
        *[at(c, Measure.TRAINING_ABSENCES, 1) for _ in range(7)],
        at(c, Measure.EXAM_SCORE, 100),
    )
    run = compute_month_results(branch=branch, month=DECEMBER)
    assert {s.version for s in run.schemes.all()} == {2}

    ra, sa = scores_of(run, a)
    assert sa["evaluation"] == (2, Decimal("90.0000"), Decimal("85.71"), Decimal("17.14"))  # weight 20
    # 10 points less the 3 points deducted: one for one in the total.
    assert sa["complaints"] == (2, Decimal("3.0000"), Decimal("7.00"), Decimal("7.00"))
    assert sa["training_absences"] == (4, Decimal("2.0000"), Decimal("3.00"), Decimal("3.00"))
    # Average 72.5 % → 72.50 of 100 points, weight 5 → 3.625, rounded half up.
    assert sa["training_exam"] == (2, Decimal("72.5000"), Decimal("72.50"), Decimal("3.63"))
    assert sa["mystery_shop"][3] == Decimal("10.00")
    assert sa["discipline"][3] == Decimal("8.00")
    assert ra.total == Decimal("48.77") == sum(s[3] for s in sa.values())

    # Nothing to hold against b: full complaint and attendance points, and no exam earns full points.
    rb, sb = scores_of(run, b)
    assert sb["complaints"] == (0, Decimal("0.0000"), Decimal("10.00"), Decimal("10.00"))
    assert sb["training_absences"] == (0, Decimal("0.0000"), Decimal("5.00"), Decimal("5.00"))
    assert sb["training_exam"] == (0, None, Decimal("100.00"), Decimal("5.00"))
    assert rb.total == Decimal("38.00")

    # Deductions stop at the floor.
    rc, sc = scores_of(run, c)
    assert (sc["complaints"][2], sc["training_absences"][2]) == (Decimal("0.00"), Decimal("0.00"))
    assert sc["training_exam"][3] == Decimal("5.00")
    assert rc.total == Decimal("23.00")
    assert [r.rank_in_hall for r in (ra, rb, rc)] == [1, 2, 3]


def test_november_is_still_computed_with_the_first_version(branch, hall):
    a = clerk_in(hall)
    add_facts(fact_input(a, Measure.TRAINING_ABSENCES, 1, day=datetime.date(2026, 11, 9)))
    run = compute_month_results(branch=branch, month=datetime.date(2026, 11, 1))
    assert {s.version for s in run.schemes.all()} == {1}
    assert "training_absences" not in scores_of(run, a)[1]

import datetime
from decimal import Decimal

import pytest

from assessment.models import IndicatorScore, Measure, MonthlyResult, ResultRun
from assessment.services import compute_month_results
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
    scores = {s.indicator.code: s for s in IndicatorScore.objects.filter(result=ra).select_related("indicator")}
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

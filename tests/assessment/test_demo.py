import random

import pytest

from assessment.demo import seed_assessment
from assessment.models import (
    CustomerEvaluation,
    DailyKpi,
    MonthlyResult,
    ResultRun,
    ScoreFact,
    SupervisorRating,
)
from tests.assessment.factories import OCTOBER, clerk_in

pytestmark = pytest.mark.django_db


def test_the_demo_step_loads_a_month_for_existing_staff_and_publishes_it(cast, clerk_staff, admin_user):
    clerk_in(cast.other_hall)
    counts = seed_assessment(rng=random.Random(1), scale="small", month=OCTOBER)
    staff = 3  # the hall manager, the cast clerk, one more
    assert counts["kpis"] == DailyKpi.objects.count() == staff * 31
    assert counts["evaluations"] == CustomerEvaluation.objects.count() > staff * 31
    assert SupervisorRating.objects.count() == staff
    expected_facts = counts["evaluations"] + 3 * counts["kpis"] + staff + counts["discipline"]
    assert ScoreFact.objects.count() == expected_facts
    run = ResultRun.objects.get(branch=cast.hall.region.parent, month=OCTOBER)
    assert (run.status, run.staff_count, counts["published_runs"]) == ("published", staff, 1)
    assert MonthlyResult.objects.filter(run=run, total__gt=20).count() == staff

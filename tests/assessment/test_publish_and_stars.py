import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from assessment.exceptions import MonthAlreadyPublished, RunNotPublishable
from assessment.models import IndicatorScore, Measure, MonthlyResult, ResultRun, StarLevelChange
from assessment.services import compute_month_results, publish_results
from halls.models import AuditEvent
from tests.assessment.factories import OCTOBER, add_facts, clerk_in, fact_input

pytestmark = pytest.mark.django_db
SEPTEMBER = datetime.date(2026, 9, 1)


def strong_month(staff, month):
    """Facts that give a clerk a total of 100.00."""
    day = month.replace(day=10)
    return [
        fact_input(staff, Measure.EVALUATION_SCORE, 100, day=day),
        fact_input(staff, Measure.TRANSACTIONS, 600, day=day),
        fact_input(staff, Measure.RECOMMENDATIONS, 120, day=day),
        fact_input(staff, Measure.SALES, 20000, day=day),
        fact_input(staff, Measure.SUPERVISOR_POINTS, 100, day=day),
    ]


def test_publishing_freezes_the_numbers_and_shows_them(branch, hall, branch_manager, clerk_staff):
    add_facts(*strong_month(clerk_staff, OCTOBER))
    run = compute_month_results(branch=branch, month=OCTOBER)
    assert not MonthlyResult.objects.visible_to(clerk_staff.user).exists()
    publish_results(run=run, actor=branch_manager)
    run.refresh_from_db()
    assert (run.status, run.published_by) == ("published", branch_manager)
    assert MonthlyResult.objects.visible_to(clerk_staff.user).get().total == Decimal("100.00")
    audit = AuditEvent.objects.get(action="assessment.results.published")
    assert audit.data["month"] == "2026-10" and audit.actor == branch_manager


def test_the_database_refuses_to_change_published_results(branch, hall, branch_manager, clerk_staff):
    run = compute_month_results(branch=branch, month=OCTOBER)
    publish_results(run=run, actor=branch_manager)
    for attempt in (
        lambda: MonthlyResult.objects.filter(run=run).update(total=Decimal("99")),
        lambda: IndicatorScore.objects.filter(result__run=run).update(points=Decimal("1")),
        lambda: MonthlyResult.objects.filter(run=run).delete(),
        lambda: ResultRun.objects.filter(pk=run.pk).update(status="draft"),
        lambda: ResultRun.objects.filter(pk=run.pk).update(input_hash="x"),
    ):
        with pytest.raises(IntegrityError, match="frozen"), transaction.atomic():
            attempt()
    # The one change allowed: published -> superseded, everything else as it was.
    ResultRun.objects.filter(pk=run.pk).update(status="superseded")


def test_a_published_month_cannot_be_computed_again(branch, hall, branch_manager, clerk_staff):
    publish_results(run=compute_month_results(branch=branch, month=OCTOBER), actor=branch_manager)
    with pytest.raises(MonthAlreadyPublished):
        compute_month_results(branch=branch, month=OCTOBER)


def test_a_draft_whose_inputs_changed_cannot_be_published(branch, hall, branch_manager, clerk_staff):
    run = compute_month_results(branch=branch, month=OCTOBER)
    add_facts(fact_input(clerk_staff, Measure.SALES, 10))
    with pytest.raises(RunNotPublishable, match="inputs changed"):
        publish_results(run=run, actor=branch_manager)
    fresh = compute_month_results(branch=branch, month=OCTOBER)
    with pytest.raises(RunNotPublishable, match="Only a draft"):
        publish_results(run=run, actor=branch_manager)  # superseded now
    publish_results(run=fresh, actor=branch_manager)


def test_only_branch_management_publishes(branch, hall, hall_manager, inspector, clerk_staff):
    run = compute_month_results(branch=branch, month=OCTOBER)
    for user in (hall_manager, inspector, clerk_staff.user):
        with pytest.raises(PermissionDenied):
            publish_results(run=run, actor=user)


def test_a_branch_manager_of_another_branch_cannot_publish(branch, hall, foreign_hall, clerk_staff):
    from halls.models import Role
    from tests.halls.factories import MembershipFactory, UserFactory

    stranger = UserFactory()
    MembershipFactory(user=stranger, role=Role.BRANCH_MANAGER, region=foreign_hall.region.parent)
    run = compute_month_results(branch=branch, month=OCTOBER)
    with pytest.raises(PermissionDenied):
        publish_results(run=run, actor=stranger)


def test_star_level_goes_up_only_after_two_consecutive_strong_months(branch, hall, branch_manager):
    star = clerk_in(hall, star_level=3)
    add_facts(*strong_month(star, SEPTEMBER), *strong_month(star, OCTOBER))
    september = compute_month_results(branch=branch, month=SEPTEMBER)
    sep = MonthlyResult.objects.get(run=september, staff=star)
    assert (sep.band_level, sep.proposed_star_level) == (5, 3)  # one strong month is not enough
    publish_results(run=september, actor=branch_manager)
    star.refresh_from_db()
    assert star.star_level == 3 and not StarLevelChange.objects.exists()

    october = compute_month_results(branch=branch, month=OCTOBER)
    assert MonthlyResult.objects.get(run=october, staff=star).proposed_star_level == 5
    publish_results(run=october, actor=branch_manager)
    star.refresh_from_db()
    change = StarLevelChange.objects.get(staff=star)
    assert (star.star_level, change.from_level, change.to_level, change.month) == (5, 3, 5, OCTOBER)
    assert change.average_total == Decimal("100.00")


def test_a_month_below_the_lowest_band_drops_a_level_at_once(branch, hall, branch_manager):
    weak = clerk_in(hall, star_level=4)
    run = compute_month_results(branch=branch, month=OCTOBER)  # no facts: total 20, below 60
    result = MonthlyResult.objects.get(run=run, staff=weak)
    assert (result.band_level, result.proposed_star_level) == (0, 0)
    publish_results(run=run, actor=branch_manager)
    weak.refresh_from_db()
    assert weak.star_level == 0


def test_a_level_follows_a_lower_average_down(branch, hall, branch_manager):
    s = clerk_in(hall, star_level=5)
    add_facts(*strong_month(s, SEPTEMBER))
    publish_results(run=compute_month_results(branch=branch, month=SEPTEMBER), actor=branch_manager)
    # October: evaluation 100, supervisor 100, transactions 600 -> 25+15+15+10+10 = 75; avg(100, 75) = 87.50 -> band 3
    day = OCTOBER.replace(day=5)
    add_facts(
        fact_input(s, Measure.EVALUATION_SCORE, 100, day=day),
        fact_input(s, Measure.SUPERVISOR_POINTS, 100, day=day),
        fact_input(s, Measure.TRANSACTIONS, 600, day=day),
    )
    october = compute_month_results(branch=branch, month=OCTOBER)
    result = MonthlyResult.objects.get(run=october, staff=s)
    assert (result.total, result.average_total, result.proposed_star_level) == (
        Decimal("75.00"),
        Decimal("87.50"),
        3,
    )


def test_an_earlier_month_cannot_be_published_after_a_later_one(branch, hall, branch_manager, clerk_staff):
    september = compute_month_results(branch=branch, month=SEPTEMBER)
    publish_results(run=compute_month_results(branch=branch, month=OCTOBER), actor=branch_manager)
    with pytest.raises(RunNotPublishable, match="later month"):
        publish_results(run=september, actor=branch_manager)

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessment.exceptions import MonthAlreadyPublished, MonthNotEnded, RunNotPublishable
from assessment.models import (
    EliminationList,
    EliminationRule,
    IndicatorScore,
    Measure,
    MonthlyResult,
    ResultRun,
    StarLevelChange,
    month_has_ended,
)
from assessment.services import compute_month_results, publish_results
from halls.models import AuditEvent
from staffing.models import Staff
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


NOVEMBER = datetime.date(2026, 11, 1)


@time_machine.travel("2026-11-27 10:00 +0800", tick=False)
def test_the_month_in_progress_is_a_preview_that_cannot_be_published(
    branch, hall, branch_manager, clerk_staff, client, django_capture_on_commit_callbacks
):
    EliminationRule.objects.create(branch=branch, bottom_percent=Decimal("50"))
    colleague = clerk_in(hall, employee_no="C0002")
    add_facts(*strong_month(clerk_staff, NOVEMBER))
    levels = dict(Staff.objects.values_list("pk", "star_level"))
    run = compute_month_results(branch=branch, month=NOVEMBER)
    assert run.status == ResultRun.Status.DRAFT and not run.month_has_ended
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(MonthNotEnded, match=r"2026-11 has not ended yet.* from 2026-12-01 on"),
    ):
        publish_results(run=run, actor=branch_manager)
    assert callbacks == []
    run.refresh_from_db()
    assert run.status == ResultRun.Status.DRAFT and run.published_at is None
    assert not StarLevelChange.objects.exists() and not EliminationList.objects.exists()
    assert dict(Staff.objects.values_list("pk", "star_level")) == levels
    assert not AuditEvent.objects.filter(action="assessment.results.published").exists()

    # The page labels the preview, shows the coverage and offers no publish button; a POST is refused.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(branch_manager)
    url = reverse("assessment:run-publish", args=[run.pk])
    page = client.get(url).content.decode()
    assert "Preview: 2026-11 has not ended; it can be published from 2026-12-01 on." in page
    assert "People without any fact this month" in page and "1 of 2 people" in page  # the colleague
    assert f'action="{url}"' not in page
    response = client.post(url)
    assert response.status_code == 200
    assert response.context["error"].startswith("2026-11 has not ended yet")
    assert ResultRun.objects.get(pk=run.pk).status == ResultRun.Status.DRAFT
    assert colleague.pk in levels

    # Last month still publishes, with its elimination list.
    october = compute_month_results(branch=branch, month=OCTOBER)
    with django_capture_on_commit_callbacks(execute=True):
        publish_results(run=october, actor=branch_manager)
    october.refresh_from_db()
    assert october.status == ResultRun.Status.PUBLISHED
    assert EliminationList.objects.filter(run=october).exists()


def test_a_month_is_over_on_the_first_of_the_next_month_in_local_time():
    with time_machine.travel("2026-11-30 23:59 +0800", tick=False):
        assert not month_has_ended(NOVEMBER)
    with time_machine.travel("2026-11-30 16:00 +0000", tick=False):  # 2026-12-01 00:00 in Shanghai
        assert month_has_ended(NOVEMBER) and month_has_ended(OCTOBER)


def test_publishing_through_the_api_refuses_the_month_in_progress(
    branch, hall, branch_manager, clerk_staff, api
):
    with time_machine.travel("2026-11-27 10:00 +0800", tick=False):
        run = compute_month_results(branch=branch, month=NOVEMBER)
        response = api.as_user(branch_manager).post(f"/api/v1/assessment/runs/{run.pk}/publish/")
    assert response.status_code == 400
    message = response.json()["errors"]["run"][0]
    assert "2026-11" in message and "2026-12-01" in message
    assert ResultRun.objects.get(pk=run.pk).status == ResultRun.Status.DRAFT

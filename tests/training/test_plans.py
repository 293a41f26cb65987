from datetime import date
from decimal import Decimal

import pytest

from tests.staffing.factories import StaffFactory
from tests.training.factories import ImprovementPlanFactory
from training import plan_services
from training.exceptions import (
    ImprovementPlanClosed,
    ImprovementPlanInvalid,
    ImprovementStepInvalid,
    TrainingHallNotAllowed,
)
from training.models import ImprovementPlan
from training.plan_services import WeakPoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = date(2026, 11, 25)
ACCURACY = WeakPoint("accuracy", "业务差错", Decimal("3"), Decimal("10"))


def create(actor, staff, **overrides):
    values = {
        "actor": actor,
        "staff": staff,
        "month": date(2026, 10, 1),
        "owner": staff,
        "goal": "提升",
        "weak_points": [ACCURACY],
        "today": TODAY,
    }
    return plan_services.create_improvement_plan(**{**values, **overrides})


def test_a_plan_keeps_the_weak_points_and_the_first_steps(hall_manager, clerk_staff):
    plan = create(
        hall_manager,
        clerk_staff,
        month=date(2026, 10, 17),
        weak_points=[ACCURACY, WeakPoint("recommendations", "多说一句话", Decimal("-2"), Decimal("5"))],
        steps=[(date(2026, 11, 26), "每日复盘")],
    )
    assert plan.month == date(2026, 10, 1)
    assert list(plan.weak_points.values_list("indicator_code", "score", "max_points")) == [
        ("accuracy", Decimal("3.00"), Decimal("10.00")),
        ("recommendations", Decimal("-2.00"), Decimal("5.00")),
    ]
    assert list(plan.steps.values_list("description", flat=True)) == ["每日复盘"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"month": date(2026, 11, 1)}, "Choose a month whose results are published."),
        ({"weak_points": []}, "Give at least one weak indicator."),
        ({"weak_points": [ACCURACY, ACCURACY]}, "Each indicator may appear only once."),
        (
            {"weak_points": [WeakPoint("a", "服务态度", Decimal("11"), Decimal("10"))]},
            "The score of 服务态度 must not exceed its maximum points (above zero).",
        ),
        ({"steps": [(date(2026, 10, 30), "太早")]}, "Steps fall between 2026-11-01 and 2026-12-31."),
    ],
)
def test_a_wrong_plan_is_refused_and_nothing_is_saved(hall_manager, clerk_staff, overrides, message):
    with pytest.raises((ImprovementPlanInvalid, ImprovementStepInvalid)) as caught:
        create(hall_manager, clerk_staff, **overrides)
    assert caught.value.message == message
    assert not ImprovementPlan.objects.exists()


def test_the_owner_works_in_the_same_hall_and_one_plan_per_month(hall_manager, clerk_staff, other_hall):
    with pytest.raises(ImprovementPlanInvalid, match="The owner must work in the same hall."):
        create(hall_manager, clerk_staff, owner=StaffFactory(hall=other_hall))
    create(hall_manager, clerk_staff)
    with pytest.raises(ImprovementPlanInvalid, match="This person already has a plan for that month."):
        create(hall_manager, clerk_staff)


def test_another_halls_manager_cannot_plan_for_this_hall(other_hall_manager, clerk_staff):
    with pytest.raises(TrainingHallNotAllowed):
        create(other_hall_manager, clerk_staff)


def test_a_verdict_waits_for_the_next_months_result_and_closes_the_plan(hall_manager, clerk_staff):
    plan = ImprovementPlanFactory(staff=clerk_staff, month=date(2026, 10, 1))
    with pytest.raises(ImprovementPlanInvalid):
        plan_services.record_plan_verdict(
            actor=hall_manager, plan=plan, verdict="improved", on=date(2026, 11, 30)
        )
    plan_services.record_plan_verdict(actor=hall_manager, plan=plan, verdict="improved", on=date(2026, 12, 1))
    plan.refresh_from_db()
    assert (plan.status, plan.verdict, plan.verdict_on, plan.verdict_by) == (
        "closed",
        "improved",
        date(2026, 12, 1),
        hall_manager,
    )
    with pytest.raises(ImprovementPlanClosed):
        plan_services.add_follow_up(actor=hall_manager, plan=plan, note="晚了")
    with pytest.raises(ImprovementPlanClosed):
        plan_services.add_improvement_step(
            actor=hall_manager, plan=plan, due_on=date(2026, 12, 2), description="x"
        )


def test_the_plan_audit_names_the_indicators_as_the_plan_shows_them_not_by_code(hall_manager, clerk_staff):
    from halls.models import AuditEvent

    plan = create(
        hall_manager,
        clerk_staff,
        weak_points=[ACCURACY, WeakPoint("recommendations", "多说一句话", Decimal("2"), Decimal("5"))],
    )
    event = AuditEvent.objects.get(action="training.plan.created", subject_id=str(plan.pk))
    assert event.data["indicators"] == ["业务差错", "多说一句话"]

"""Writes for weak-point improvement plans (短板提升计划): create a plan from a clerk's weakest
indicators of a published month, add dated steps, tick them off, follow up, give the verdict.

The weak points are plain rows (indicator code, name, score, maximum points): entered by the
hall manager, or filled from the assessment's published results by the caller."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from halls.audit import record_audit
from halls.permissions import has_permission
from staffing.models import Staff
from training.dates import add_months, month_end, month_start
from training.exceptions import (
    ImprovementPlanClosed,
    ImprovementPlanInvalid,
    ImprovementStepInvalid,
    TrainingHallNotAllowed,
)
from training.models import (
    ImprovementFollowUp,
    ImprovementPlan,
    ImprovementStep,
    ImprovementWeakPoint,
    PlanStatus,
    PlanVerdict,
)


@dataclass(frozen=True)
class WeakPoint:
    indicator_code: str
    indicator_name: str
    score: Decimal
    max_points: Decimal


def _check_plan_hall(actor, hall) -> None:
    if not has_permission(actor, "training.plan", hall=hall):
        raise TrainingHallNotAllowed(
            _("You cannot manage improvement plans in %(hall)s.") % {"hall": hall.name}, field="staff"
        )


def _locked_open(plan: ImprovementPlan) -> ImprovementPlan:
    plan = ImprovementPlan.objects.select_for_update().select_related("hall__region").get(pk=plan.pk)
    if plan.status != PlanStatus.OPEN:
        raise ImprovementPlanClosed(_("This plan is closed."))
    return plan


@transaction.atomic
def create_improvement_plan(
    *,
    actor,
    staff: Staff,
    month: date,
    owner: Staff,
    goal: str,
    weak_points: Sequence[WeakPoint],
    steps: Sequence[tuple[date, str]] = (),
    today: date | None = None,
) -> ImprovementPlan:
    """Open a plan for `staff` from the weak points of a finished month (its first day is
    stored). Refuses a month not yet over, a second plan for the same person and month, no weak
    points, a repeated indicator, a score above the maximum, and an owner from another hall
    (ImprovementPlanInvalid). Audited as training.plan.created."""
    _check_plan_hall(actor, staff.hall)
    today = today or timezone.localdate()
    month = month_start(month)
    if month >= month_start(today):
        raise ImprovementPlanInvalid(_("Choose a month whose results are published."), field="month")
    if ImprovementPlan.objects.filter(staff=staff, month=month).exists():
        raise ImprovementPlanInvalid(_("This person already has a plan for that month."), field="month")
    if owner.hall_id != staff.hall_id or owner.status == Staff.Status.LEFT:
        raise ImprovementPlanInvalid(_("The owner must work in the same hall."), field="owner")
    weak_points = list(weak_points)
    if not weak_points:
        raise ImprovementPlanInvalid(_("Give at least one weak indicator."))
    codes = [w.indicator_code for w in weak_points]
    if len(set(codes)) != len(codes):
        raise ImprovementPlanInvalid(_("Each indicator may appear only once."))
    for point in weak_points:
        if point.max_points <= 0 or point.score > point.max_points:
            raise ImprovementPlanInvalid(
                _("The score of %(indicator)s must not exceed its maximum points (above zero).")
                % {"indicator": point.indicator_name}
            )
    plan = ImprovementPlan.objects.create(
        staff=staff,
        hall=staff.hall,
        month=month,
        owner=owner,
        goal=goal,
        created_by=actor if actor.is_authenticated else None,
    )
    ImprovementWeakPoint.objects.bulk_create(
        [
            ImprovementWeakPoint(
                plan=plan,
                indicator_code=w.indicator_code,
                indicator_name=w.indicator_name,
                score=w.score,
                max_points=w.max_points,
            )
            for w in weak_points
        ]
    )
    for due_on, _text in steps:
        _check_step_date(plan, due_on)
    ImprovementStep.objects.bulk_create(
        [ImprovementStep(plan=plan, due_on=due_on, description=text) for due_on, text in steps]
    )
    record_audit(
        actor=actor,
        action="training.plan.created",
        subject=plan,
        hall=staff.hall,
        # The indicators by the names the plan shows (a scheme's codes mean nothing to a reader).
        data={
            "staff": staff.employee_no,
            "month": month.strftime("%Y-%m"),
            "indicators": [w.indicator_name for w in weak_points],
        },
    )
    return plan


def _check_step_date(plan: ImprovementPlan, due_on: date) -> None:
    first = month_end(plan.month) + timedelta(days=1)
    last = month_end(add_months(plan.month, 2))
    if not first <= due_on <= last:
        raise ImprovementStepInvalid(
            _("Steps fall between %(first)s and %(last)s.")
            % {"first": first.isoformat(), "last": last.isoformat()}
        )


@transaction.atomic
def add_improvement_step(*, actor, plan: ImprovementPlan, due_on: date, description: str) -> ImprovementStep:
    """Add a dated step to an open plan; steps fall in the two months after the plan's month
    (ImprovementStepInvalid otherwise); a closed plan is refused (ImprovementPlanClosed)."""
    _check_plan_hall(actor, plan.hall)
    plan = _locked_open(plan)
    _check_step_date(plan, due_on)
    step = ImprovementStep.objects.create(plan=plan, due_on=due_on, description=description)
    record_audit(
        actor=actor,
        action="training.plan.step_added",
        subject=plan,
        data={"due_on": due_on.isoformat(), "step": description},
    )
    return step


@transaction.atomic
def complete_improvement_step(*, actor, step: ImprovementStep, on: date | None = None) -> ImprovementStep:
    """Mark a step of an open plan done on `on` (default today). Doing it again changes nothing."""
    _check_plan_hall(actor, step.plan.hall)
    _locked_open(step.plan)
    on = on or timezone.localdate()
    updated = ImprovementStep.objects.filter(pk=step.pk, done_on__isnull=True).update(done_on=on)
    step.refresh_from_db()
    if updated:
        record_audit(
            actor=actor,
            action="training.plan.step_done",
            subject=step.plan,
            data={"step": step.description, "on": on.isoformat()},
        )
    return step


@transaction.atomic
def add_follow_up(
    *, actor, plan: ImprovementPlan, note: str, written_on: date | None = None
) -> ImprovementFollowUp:
    """The hall manager's follow-up note on an open plan (ImprovementPlanClosed when closed)."""
    _check_plan_hall(actor, plan.hall)
    plan = _locked_open(plan)
    written_on = written_on or timezone.localdate()
    follow_up = ImprovementFollowUp.objects.create(plan=plan, author=actor, written_on=written_on, note=note)
    record_audit(
        actor=actor, action="training.plan.followed_up", subject=plan, data={"on": written_on.isoformat()}
    )
    return follow_up


@transaction.atomic
def record_plan_verdict(
    *, actor, plan: ImprovementPlan, verdict: str, note: str = "", on: date | None = None
) -> ImprovementPlan:
    """Close a plan with its verdict. Improved / not improved judge the next month's result, so
    they are refused before that month is over (ImprovementPlanInvalid); a plan may be ended at
    any time. A closed plan is refused (ImprovementPlanClosed). Audited as training.plan.closed."""
    _check_plan_hall(actor, plan.hall)
    plan = _locked_open(plan)
    on = on or timezone.localdate()
    if verdict not in PlanVerdict.values:
        raise ImprovementPlanInvalid(_("Choose a verdict."), field="verdict")
    judged_after = add_months(plan.month, 2)
    if verdict != PlanVerdict.ENDED and on < judged_after:
        raise ImprovementPlanInvalid(
            _("The next month's result is known from %(day)s; until then the plan can only be ended.")
            % {"day": judged_after.isoformat()},
            field="verdict",
        )
    plan.status, plan.verdict, plan.verdict_note = PlanStatus.CLOSED, verdict, note
    plan.verdict_on, plan.verdict_by = on, actor if actor.is_authenticated else None
    plan.save(update_fields=["status", "verdict", "verdict_note", "verdict_on", "verdict_by", "updated_at"])
    record_audit(actor=actor, action="training.plan.closed", subject=plan, data={"verdict": verdict})
    return plan

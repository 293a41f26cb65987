"""Facts entered by hand: the monthly supervisor rating and labour-discipline incidents."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.exceptions import RatingInvalid
from assessment.models import EvidenceType, Measure, ResultRun, Source, SupervisorRating
from assessment.services.facts import FactInput, record_score_facts
from halls.audit import record_audit
from halls.models import Hall, Region
from halls.permissions import require_permission
from halls.scoping import scope_for
from staffing.models import DisciplineRecord, Staff
from staffing.services import record_discipline


def _branch_of(hall: Hall) -> Region:
    return hall.region if hall.region.parent_id is None else hall.region.parent


def _month_published(hall: Hall, month: date) -> bool:
    return ResultRun.objects.filter(
        branch=_branch_of(hall), month=month, status=ResultRun.Status.PUBLISHED
    ).exists()


@transaction.atomic
def rate_staff(
    *,
    actor,
    staff: Staff,
    month: date,
    attitude: int,
    skill: int,
    teamwork: int,
    appearance: int,
    comment: str = "",
) -> SupervisorRating:
    """Fill (or correct) the monthly supervisor rating of one person of the actor's hall: four
    criteria of 0–25 points, summed into one supervisor_points fact.

    Idempotent per (person, month): a second call replaces the figures. Refuses (RatingInvalid): a
    month in the future, one's own rating, a month already published for the hall's branch, a
    criterion outside 0–25. Needs assessment.rate over the person's hall (the hall manager)."""
    staff = Staff.objects.select_related("hall__region").get(pk=staff.pk)
    if not Hall.objects.visible_to(actor).filter(pk=staff.hall_id).exists():
        raise Staff.DoesNotExist
    require_permission(actor, "assessment.rate", hall=staff.hall)
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise RatingInvalid(_("A month in the future cannot be rated."))
    if scope_for(actor).own_staff_id == staff.pk:
        raise RatingInvalid(_("Nobody rates themselves."), field="staff")
    criteria = {"attitude": attitude, "skill": skill, "teamwork": teamwork, "appearance": appearance}
    for name, value in criteria.items():
        if not 0 <= value <= 25:
            raise RatingInvalid(_("Each criterion is rated from 0 to 25 points."), field=name)
    if _month_published(staff.hall, month):
        raise RatingInvalid(_("The results of this month are published; the rating can no longer change."))
    rating, created = SupervisorRating.objects.update_or_create(
        staff=staff,
        month=month,
        defaults={**criteria, "hall": staff.hall, "comment": comment, "rated_by": actor},
    )
    record_score_facts(
        facts=[
            FactInput(
                staff_id=staff.pk,
                hall_id=staff.hall_id,
                occurred_on=month,
                source=Source.SUPERVISOR,
                measure=Measure.SUPERVISOR_POINTS,
                value=Decimal(rating.points),
                evidence_type=EvidenceType.SUPERVISOR_RATING,
                evidence_id=rating.pk,
                evidence_label=f"{month:%Y-%m} {attitude}+{skill}+{teamwork}+{appearance}",
            )
        ]
    )
    record_audit(
        actor=actor,
        action="assessment.supervisor_rating.saved",
        subject=rating,
        hall=staff.hall,
        data={
            "staff": staff.employee_no,
            "month": f"{month:%Y-%m}",
            "points": rating.points,
            "created": created,
        },
    )
    return rating


@transaction.atomic
def record_discipline_incident(
    *,
    actor,
    staff: Staff,
    occurred_on: date,
    kind: str,
    deduction: Decimal | None = None,
    note: str = "",
) -> DisciplineRecord:
    """Record a labour-discipline incident (staffing.services.record_discipline: permission, hall,
    default deduction, audit) and its discipline_points fact, in one transaction. Refuses an
    incident in a month already published for the hall's branch."""
    record = record_discipline(
        actor=actor, staff=staff, occurred_on=occurred_on, kind=kind, deduction=deduction, note=note
    )
    hall = Hall.objects.select_related("region").get(pk=record.hall_id)
    if _month_published(hall, occurred_on.replace(day=1)):
        raise RatingInvalid(_("The results of this month are published; it can no longer change."))
    record_score_facts(
        facts=[
            FactInput(
                staff_id=staff.pk,
                hall_id=record.hall_id,
                occurred_on=occurred_on,
                source=Source.DISCIPLINE,
                measure=Measure.DISCIPLINE_POINTS,
                value=record.deduction,
                evidence_type=EvidenceType.DISCIPLINE_RECORD,
                evidence_id=record.pk,
                evidence_label=f"{occurred_on:%Y-%m-%d} {kind} −{record.deduction}",
            )
        ]
    )
    return record

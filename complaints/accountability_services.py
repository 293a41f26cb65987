"""The accountability finding (责任认定) of a complaint. Its hand-off to assessment is
complaints.scoring.score_facts_for_accountability."""

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.services import record_score_facts
from complaints.exceptions import AccountabilityAlreadyDecided, AccountabilityInvalid, TransitionNotAllowed
from complaints.models import Accountability, AccountabilityShare, Complaint, ComplaintEvent, Status
from complaints.scoring import score_facts_for_accountability
from complaints.services import add_event, lock_complaint
from halls.audit import record_audit
from halls.permissions import require_permission
from staffing.models import Staff


def current_month(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now()).date().replace(day=1)


@transaction.atomic(durable=True)
def record_accountability(
    *,
    actor,
    complaint: Complaint,
    finding: str,
    reason: str,
    shares: list[tuple[Staff, Decimal]],
    month: date | None = None,
) -> Accountability:
    """Record the accountability finding of a replied or closed complaint: at fault or shared with
    one deduction per responsible clerk (clerks involved in the complaint, each once, 0 < points
    ≤ 100), or not at fault with none. Final: a second finding is refused. `month` (default: this
    month, Asia/Shanghai) is the assessment month the deductions count in; the finding's
    deductions become score facts (assessment.services.record_score_facts) in this transaction;
    a month whose results are already published is refused there (FactsFrozen)."""
    complaint = lock_complaint(complaint, None)
    require_permission(actor, "complaint.decide_accountability", hall=complaint.hall)
    if complaint.status not in (Status.REPLIED, Status.CLOSED):
        raise TransitionNotAllowed(_("Accountability is decided once the customer has had a reply."))
    if Accountability.objects.filter(complaint=complaint).exists():
        raise AccountabilityAlreadyDecided(_("The accountability of this complaint is already decided."))
    if finding not in Accountability.Finding.values:
        raise AccountabilityInvalid(_("Unknown finding."), field="finding")
    if not reason.strip():
        raise AccountabilityInvalid(_("Give the reason for the finding."), field="reason")
    involved = set(complaint.clerks.values_list("pk", flat=True))
    staff_ids = [staff.pk for staff, _points in shares]
    if finding == Accountability.Finding.NOT_AT_FAULT and shares:
        raise AccountabilityInvalid(_("A not-at-fault finding deducts from nobody."))
    if finding != Accountability.Finding.NOT_AT_FAULT and not shares:
        raise AccountabilityInvalid(_("Name the responsible clerks and their deductions."))
    if len(set(staff_ids)) != len(staff_ids):
        raise AccountabilityInvalid(_("Each clerk is named once."))
    if not set(staff_ids) <= involved:
        raise AccountabilityInvalid(_("Responsible clerks must be among the clerks involved."))
    for _staff, points in shares:
        if not Decimal("0") < Decimal(points) <= Decimal("100"):
            raise AccountabilityInvalid(_("A deduction is more than 0 and at most 100 points."))
    month = (month or current_month()).replace(day=1)
    accountability = Accountability.objects.create(
        complaint=complaint, finding=finding, reason=reason.strip(), month=month, decided_by=actor
    )
    AccountabilityShare.objects.bulk_create(
        [
            AccountabilityShare(accountability=accountability, staff=staff, deduction=Decimal(points))
            for staff, points in shares
        ]
    )
    # The deductions count in the month's assessment; a month already published refuses (FactsFrozen).
    record_score_facts(facts=score_facts_for_accountability(accountability))
    data = {
        "finding": finding,
        "month": month.isoformat(),
        "shares": {str(staff.pk): str(Decimal(points)) for staff, points in shares},
    }
    add_event(complaint, ComplaintEvent.Kind.ACCOUNTABILITY, actor=actor, message=reason.strip(), data=data)
    record_audit(
        actor=actor,
        action="complaints.accountability.decided",
        subject=accountability,
        hall=complaint.hall,
        data=data,
    )
    return accountability

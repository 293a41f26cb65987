"""The hand-off from complaints to assessment: score facts for an accountability finding.

`score_facts_for_accountability` is the one place that turns a finding into facts, and
`complaints.accountability_services.record_accountability` hands them to
`assessment.services.record_score_facts` in the finding's own transaction; complaints never
touch assessment's tables.
"""

from django.utils.translation import gettext as _

from assessment.models import EvidenceType, Measure, Source
from assessment.services import FactInput
from complaints.models import Accountability


def score_facts_for_accountability(accountability: Accountability) -> list[FactInput]:
    """One fact per responsible clerk: measure `complaint_accountability` with the clerk's
    deduction as its value, dated the first day of the finding's assessment month, in the
    complaint's hall, with the clerk's share of the finding as evidence (so two clerks of one
    finding are two pieces of evidence). A not-at-fault finding gives no facts. Pure read."""
    if accountability.finding == Accountability.Finding.NOT_AT_FAULT:
        return []
    complaint = accountability.complaint
    shares = sorted(accountability.shares.all(), key=lambda share: share.staff_id)
    label = _("Complaint %(number)s (%(category)s): %(finding)s. %(reason)s") % {
        "number": complaint.number,
        "category": complaint.get_category_display(),
        "finding": accountability.get_finding_display(),
        "reason": accountability.reason,
    }
    return [
        FactInput(
            staff_id=share.staff_id,
            hall_id=complaint.hall_id,
            occurred_on=accountability.month,
            source=Source.COMPLAINT,
            measure=Measure.COMPLAINT_ACCOUNTABILITY,
            value=share.deduction,
            evidence_type=EvidenceType.COMPLAINT_ACCOUNTABILITY,
            evidence_id=share.pk,
            evidence_label=label[:200],
        )
        for share in shares
    ]

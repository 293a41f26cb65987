"""The hand-off from complaints to assessment: score facts for an accountability finding.

`score_facts_for_accountability` is the one place that turns a finding into the payloads that
`assessment.services.record_score_facts(...)` takes; complaints never touch assessment's tables.
"""

from django.utils.translation import gettext as _

from complaints.models import Accountability

SOURCE = "complaint"
INDICATOR_CODE = "complaints"
EVIDENCE_TYPE = "complaint_accountability"


def score_facts_for_accountability(accountability: Accountability) -> list[dict]:
    """One fact per responsible clerk: a deduction in the finding's month, for the complaint's hall,
    with the finding as evidence. A not-at-fault finding gives no facts. Pure read (two queries
    at most: the complaint and the shares, unless already loaded)."""
    if accountability.finding == Accountability.Finding.NOT_AT_FAULT:
        return []
    complaint = accountability.complaint
    shares = sorted(accountability.shares.all(), key=lambda share: share.staff_id)
    description = _("Complaint %(number)s (%(category)s): %(finding)s. %(reason)s") % {
        "number": complaint.number,
        "category": complaint.get_category_display(),
        "finding": accountability.get_finding_display(),
        "reason": accountability.reason,
    }
    return [
        {
            "staff_id": share.staff_id,
            "hall_id": complaint.hall_id,
            "month": accountability.month,
            "source": SOURCE,
            "indicator_code": INDICATOR_CODE,
            "points": -share.deduction,
            "deduction": share.deduction,
            "evidence_type": EVIDENCE_TYPE,
            "evidence_id": accountability.pk,
            "description": description,
        }
        for share in shares
    ]

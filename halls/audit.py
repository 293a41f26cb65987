"""Business-action audit: written by services inside their own transaction."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from halls.models import AuditEvent

# How pages name each audit action: a line for every action any app's services record (plain
# strings, so halls still imports none of those apps). tests/test_audit_labels.py keeps it complete.
ACTION_LABELS = {
    "halls.region.created": _("Region created"),
    "halls.hall.created": _("Hall created"),
    "halls.hall.updated": _("Hall updated"),
    "halls.opening_hours.set": _("Opening hours set"),
    "halls.user.deactivated": _("User deactivated"),
    "halls.api_client.created": _("API client created"),
    "halls.api_client.token_rotated": _("API client token rotated"),
    "halls.api_client.revoked": _("API client revoked"),
    "halls.statutory_calendar.loaded": _("Statutory holiday calendar loaded"),
    "halls.api_client.updated": _("API client changed"),
    "halls.webhook.subscribed": _("Webhook subscribed"),
    "halls.webhook.unsubscribed": _("Webhook stopped"),
    "halls.webhook.redelivered": _("Webhook delivery queued again"),
    "staffing.staff.created": _("Staff member created"),
    "staffing.staff.updated": _("Staff member updated"),
    "staffing.staff.transferred": _("Staff member transferred"),
    "staffing.staff.lent": _("Staff member lent to another hall"),
    "staffing.discipline.recorded": _("Discipline incident recorded"),
    "staffing.leave.recorded": _("Leave recorded"),
    "staffing.qualification.granted": _("Post qualification granted"),
    "staffing.qualification.revoked": _("Post qualification revoked"),
    "staffing.shift_type.created": _("Shift type created"),
    "staffing.traffic.imported": _("Customer traffic imported"),
    "staffing.roster.created": _("Roster draft started"),
    "staffing.roster.generation_requested": _("Roster generation requested"),
    "staffing.roster.generated": _("Roster generated"),
    "staffing.roster.imported": _("Roster imported"),
    "staffing.roster.assignment_changed": _("Roster shift changed"),
    "staffing.roster.published": _("Roster published"),
    "staffing.roster_request.submitted": _("Roster request submitted"),
    "assessment.scheme.created": _("Assessment scheme version created"),
    "assessment.scheme.updated": _("Assessment scheme edited"),
    "assessment.scheme.activated": _("Assessment scheme put in force"),
    "assessment.import.evaluations": _("Customer evaluations imported"),
    "assessment.import.kpis": _("Daily KPI records imported"),
    "assessment.supervisor_rating.saved": _("Supervisor rating saved"),
    "assessment.results.computed": _("Monthly results computed"),
    "assessment.results.published": _("Monthly results published"),
    "assessment.elimination.rule_set": _("Elimination rule set"),
    "assessment.elimination.generated": _("Elimination list generated"),
    "assessment.elimination.review_started": _("Elimination list review started"),
    "assessment.elimination.appeal_filed": _("Elimination appeal filed"),
    "assessment.elimination.appeal_decided": _("Elimination appeal decided"),
    "assessment.elimination.confirmed": _("Elimination list confirmed"),
    "assessment.elimination.outcome_recorded": _("Elimination outcome recorded"),
    "complaints.complaint.received": _("Complaint received"),
    "complaints.complaint.assigned": _("Complaint assigned"),
    "complaints.complaint.handed_over": _("Complaint handed over"),
    "complaints.complaint.started": _("Complaint handling started"),
    "complaints.complaint.paused": _("Complaint paused"),
    "complaints.complaint.resumed": _("Complaint resumed"),
    "complaints.complaint.escalated": _("Complaint escalated"),
    "complaints.complaint.replied": _("Complaint replied to"),
    "complaints.complaint.closed": _("Complaint closed"),
    "complaints.complaint.reopened": _("Complaint reopened"),
    "complaints.complaint.contact_viewed": _("Complainant's contact details viewed"),
    "complaints.complaint.attachment_added": _("Complaint attachment added"),
    "complaints.complaint.attachment_opened": _("Complaint attachment opened"),
    "complaints.accountability.decided": _("Complaint accountability decided"),
    "complaints.calendar_day.set": _("Complaint calendar day set"),
    "training.program.created": _("Training programme created"),
    "training.session.created": _("Training session scheduled"),
    "training.attendance.recorded": _("Training attendance recorded"),
    "training.facts.recorded": _("Training results fed to the assessment"),
    "training.plan.created": _("Improvement plan created"),
    "training.plan.step_added": _("Improvement plan step added"),
    "training.plan.step_done": _("Improvement plan step done"),
    "training.plan.followed_up": _("Improvement plan followed up"),
    "training.plan.closed": _("Improvement plan closed"),
}


def action_label(action: str) -> str:
    """The translated name of an audit action, or its code when none is registered."""
    return str(ACTION_LABELS.get(action, action))


def record_audit(*, actor, action: str, subject, hall=None, data: dict | None = None) -> AuditEvent:
    """Record that `actor` did `action` to `subject`. Call inside the service's transaction,
    so that the audit row exists exactly when the change does."""
    if hall is None:
        hall = getattr(subject, "hall", None)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        hall=hall,
        data=data or {},
    )


def audit_value(value):
    """A JSON-safe rendering of a field value for an audit event (model instances by id)."""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def changed_fields(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value differs, ready for an audit event's data."""
    return {
        name: [audit_value(before[name]), audit_value(value)]
        for name, value in after.items()
        if before[name] != value
    }

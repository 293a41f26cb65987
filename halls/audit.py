"""Business-action audit: written by services inside their own transaction."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from halls.models import AuditEvent, Hall, OpeningHours

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
    "staffing.shift_type.updated": _("Shift type changed"),
    "staffing.shift_type.deactivated": _("Shift type deactivated"),
    "staffing.shift_type.reactivated": _("Shift type reactivated"),
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


# How pages name the keys of an audit event's `data`: a line for every key any app's services put
# there (plain strings, like ACTION_LABELS). tests/halls/test_audit_labels.py reads every
# record_audit(..., data=...) of the apps and fails on a key without a line. Weekday numbers (the
# opening hours) are named by the weekday instead.
DATA_LABELS = {
    "absent": _("absent"),
    "accepted": _("accepted"),
    "added": _("added"),
    "address": _("address"),
    "api_clients_revoked": _("API clients switched off"),
    "approved": _("approved"),
    "assignments": _("shifts"),
    "attachment": _("attachment"),
    "attendance": _("attendance rows"),
    "bottom_per_hall": _("bottom N per hall"),
    "bottom_percent": _("bottom percent of the branch"),
    "branch": _("branch"),
    "break_minutes": _("unpaid break (minutes)"),
    "categories": _("categories"),
    "channel": _("channel"),
    "code": _("code"),
    "colour": _("colour"),
    "consecutive_months": _("consecutive months in the bottom group"),
    "created": _("created"),
    "cycle": _("cycle"),
    "date": _("date"),
    "deduction": _("deduction"),
    "delivery": _("delivery"),
    "due_at": _("due"),
    "due_on": _("due on"),
    "employment_type": _("employment type"),
    "end": _("ends at"),
    "entry": _("entry"),
    "event_id": _("event id"),
    "events": _("events"),
    "exams": _("exam scores"),
    "exams_withdrawn": _("exam results withdrawn"),
    "exclude_probation": _("exclude people on probation"),
    "excused": _("excused"),
    "facts_created": _("score facts created"),
    "file": _("file"),
    "finding": _("finding"),
    "findings": _("findings"),
    "from": pgettext_lazy("audit detail", "from"),
    "grace_minutes": _("grace period (minutes)"),
    "hall_class": _("hall class"),
    "hall_score": _("hall score"),
    "handler": _("handler"),
    "has_vip_zone": _("VIP service zone"),
    "hire_date": _("hire date"),
    "holidays": _("holidays"),
    "indicators": _("indicators"),
    "input_hash": _("input hash"),
    "is_active": _("active"),
    "is_working_day": _("working day"),
    "items": _("checklist items"),
    "kind": _("kind"),
    "level": _("level"),
    "listed": _("people listed"),
    "makeup": _("make-up working days"),
    "max_leave_days": _("leave days that leave a person out"),
    "met_deadline": _("met the deadline"),
    "method": _("method"),
    "min_service_months": _("minimum months of service"),
    "min_staff_offpeak": _("minimum staff off-peak"),
    "min_staff_peak": _("minimum staff at peak"),
    "mode": _("mode"),
    "month": _("month"),
    "name": _("name"),
    "note": _("note"),
    "number": _("number"),
    "old_due_at": _("previous due time"),
    "on": _("effective"),
    "operation": _("operation"),
    "outcome": _("outcome"),
    "paused_from": _("paused since"),
    "phone": _("phone"),
    "points": _("points"),
    "post": _("post"),
    "present": _("present"),
    "purpose": _("purpose"),
    "rate_limit_per_minute": _("requests per minute"),
    "reason": _("reason"),
    "recipients": _("recipients"),
    "rectifications": _("rectification tasks"),
    "region": _("region"),
    "regions": _("regions"),
    "removed": _("removed"),
    "republished": _("published again"),
    "rows": _("rows"),
    "satisfaction": _("satisfaction"),
    "scopes": _("scopes"),
    "sessions_ended": _("sessions ended"),
    "severity": _("severity"),
    "shares": _("deductions per person"),
    "shift": _("shift"),
    "source": _("source"),
    "staff": _("staff member"),
    "star_level": _("star level"),
    "star_level_changes": _("star-level changes"),
    "start": _("starts at"),
    "status": _("status"),
    "step": _("step"),
    "superseded": _("superseded version"),
    "to": pgettext_lazy("audit detail", "to"),
    "topic": _("topic"),
    "total_below": _("total below"),
    "unchanged": _("unchanged"),
    "unmet_hours": _("unmet hours"),
    "until": _("until"),
    "updated": _("updated"),
    "url": _("receiving URL"),
    "user": _("user account"),
    "verdict": _("verdict"),
    "version": _("version"),
    "violations": _("violations"),
    "window_count": _("service windows"),
    "years": _("years"),
}

# Where a key means something particular to one action, that action's own label for it.
ACTION_DATA_LABELS = {
    ("staffing.staff.transferred", "from"): _("transferred from"),
    ("staffing.staff.transferred", "to"): _("transferred to"),
    ("staffing.staff.lent", "to"): _("lent to"),
    ("staffing.discipline.recorded", "on"): _("occurred on"),
    ("staffing.qualification.granted", "from"): _("valid from"),
    ("staffing.qualification.granted", "until"): _("valid until"),
    ("staffing.qualification.revoked", "from"): _("valid from"),
    ("staffing.qualification.revoked", "until"): _("valid until"),
    ("assessment.scheme.activated", "from"): _("in force from"),
    ("assessment.results.computed", "staff"): _("people assessed"),
    ("assessment.results.published", "staff"): _("people assessed"),
    ("mystery.template.created", "from"): _("made from checklist"),
    ("mystery.template.versioned", "from"): _("made from checklist"),
    ("complaints.complaint.handed_over", "from"): _("previous handler"),
    ("complaints.complaint.handed_over", "to"): _("new handler"),
    ("complaints.complaint.reopened", "from"): _("previous status"),
    ("training.plan.step_done", "on"): _("done on"),
    ("training.plan.followed_up", "on"): _("followed up on"),
}

# Actions whose data holds [before, after] per changed field (changed_fields and the like).
CHANGE_ACTIONS = {"halls.hall.updated", "staffing.staff.updated", "halls.api_client.updated"}

# Values that are codes of a choice ("solver", "window"), shown by their translated label:
# {(action, key): {code: label}}. An app registers its own choices from AppConfig.ready() with
# register_value_labels, so halls still imports none of the apps that record events.
VALUE_LABELS: dict[tuple[str, str], dict[str, str]] = {}


def register_value_labels(*, actions: tuple[str, ...] | list[str], key: str, choices) -> None:
    """Show the values of `key` in the data of `actions` by the labels of `choices` (a TextChoices
    class or (code, label) pairs)."""
    pairs = dict(choices.choices if hasattr(choices, "choices") else choices)
    for action in actions:
        VALUE_LABELS.setdefault((action, key), {}).update(pairs)


def value_label(value, key: str, action: str | None = None):
    """The translated label of a choice code recorded under `key` by `action`; any other value
    (a number, a name, a code nobody registered) as it is."""
    labels = VALUE_LABELS.get((action, key))
    if labels and isinstance(value, str) and value in labels:
        return str(labels[value])
    return value


register_value_labels(
    actions=["halls.hall.created", "halls.hall.updated"], key="hall_class", choices=Hall.HallClass
)
register_value_labels(
    actions=["halls.hall.created", "halls.hall.updated"], key="operation", choices=Hall.Operation
)


def action_label(action: str) -> str:
    """The translated name of an audit action, or its code when none is registered."""
    return str(ACTION_LABELS.get(action, action))


def data_label(key: str, action: str | None = None) -> str:
    """The translated name of a key of an audit event's data (the action's own name for it first,
    a weekday for a weekday number), or the key itself when none is registered."""
    if (action, key) in ACTION_DATA_LABELS:
        return str(ACTION_DATA_LABELS[(action, key)])
    if key.isdigit() and int(key) in OpeningHours.Weekday.values:
        return str(OpeningHours.Weekday(int(key)).label)
    return str(DATA_LABELS.get(key, key))


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

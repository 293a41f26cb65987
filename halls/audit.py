"""Business-action audit: written by services inside their own transaction."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from halls.models import AuditEvent

# How pages name each audit action; each app adds lines for the actions its services record.
ACTION_LABELS = {
    "halls.region.created": _("Region created"),
    "halls.hall.created": _("Hall created"),
    "halls.hall.updated": _("Hall updated"),
    "halls.opening_hours.set": _("Opening hours set"),
    "staffing.staff.created": _("Staff member created"),
    "staffing.staff.transferred": _("Staff member transferred"),
    "halls.user.deactivated": _("User deactivated"),
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

"""Business-action audit: written by services inside their own transaction."""

from django.contrib.contenttypes.models import ContentType

from halls.models import AuditEvent


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

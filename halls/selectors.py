"""Reads of halls for pages and the API, with their joins applied."""

from django.db.models import Count, Prefetch, Q

from halls.models import AuditEvent, Hall, OpeningHours


def hall_list(*, user):
    """Visible halls with region and a count of current staff: a fixed number of queries at any size."""
    return (
        Hall.objects.visible_to(user)
        .select_related("region", "region__parent")
        .annotate(staff_count=Count("staff", filter=~Q(staff__status="left")))
        .prefetch_related(Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday")))
    )


def hall_audit_trail(*, hall: Hall, limit: int = 50):
    return AuditEvent.objects.filter(hall=hall).select_related("actor", "subject_type")[:limit]


def field_history(obj, *, limit: int = 50):
    """Trigger-recorded changes of one object, newest first: who (when known), when, before → after."""
    event_model = obj.pgh_event_model
    events = list(
        event_model.objects.filter(pgh_obj=obj)
        .select_related("pgh_context")
        .order_by("-pgh_created_at", "-pgh_id")[: limit + 1]
    )
    tracked = [f.name for f in obj._meta.concrete_fields if f.name not in ("updated_at",)]
    rows = []
    for newer, older in zip(events, events[1:] + [None], strict=False):
        if older is None:
            changes = {"__created__": True}
        else:
            changes = {
                name: (getattr(older, _attname(obj, name)), getattr(newer, _attname(obj, name)))
                for name in tracked
                if getattr(older, _attname(obj, name)) != getattr(newer, _attname(obj, name))
            }
            if not changes:
                continue
        context = newer.pgh_context.metadata if newer.pgh_context_id else {}
        rows.append(
            {
                "at": newer.pgh_created_at,
                "label": newer.pgh_label,
                "user_id": context.get("user"),
                "url": context.get("url"),
                "changes": changes,
            }
        )
    return rows[:limit]


def _attname(obj, name):
    return obj._meta.get_field(name).attname

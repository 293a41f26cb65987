"""Template helpers for the HallOps pages: Bootstrap widgets, status badges, audit labels."""

from django import forms, template
from django.utils.translation import gettext_lazy as _

from halls.audit import action_label
from halls.models import OpeningHours

register = template.Library()


def _widget_class(widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


@register.filter
def bootstrap_widget(bound_field):
    """Render a bound field's widget with Bootstrap classes; invalid fields are marked for
    screen readers and point at their error message (rendered beside the field)."""
    widget = bound_field.field.widget
    classes = [widget.attrs.get("class", ""), _widget_class(widget)]
    attrs = {}
    if bound_field.errors:
        classes.append("is-invalid")
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}_errors"
    attrs["class"] = " ".join(c for c in classes if c)
    return bound_field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(bound_field) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


_STATUS_BADGES = {
    "active": "text-bg-success",
    "probation": "text-bg-info",
    "on_leave": "text-bg-warning",
    "left": "text-bg-secondary",
}


@register.filter
def status_badge(status: str) -> str:
    """Bootstrap badge classes for a staff status."""
    return _STATUS_BADGES.get(status, "text-bg-light")


@register.filter
def audit_action(action: str) -> str:
    return action_label(action)


_AUDIT_DATA_LABELS = {
    "from": _("from"),
    "to": _("to"),
    "on": _("effective"),
    "reason": _("reason"),
}


@register.filter
def audit_details(data: dict) -> list[tuple[str, str]]:
    """An audit event's details as (label, value) pairs; weekday numbers become weekday names."""
    weekdays = dict(OpeningHours.Weekday.choices)
    pairs = []
    for key, value in (data or {}).items():
        if key.isdigit() and int(key) in weekdays:
            label = weekdays[int(key)]
            value = value if value is not None else _("closed")
        else:
            label = _AUDIT_DATA_LABELS.get(key, key)
        pairs.append((str(label), "—" if value in (None, "") else str(value)))
    return pairs

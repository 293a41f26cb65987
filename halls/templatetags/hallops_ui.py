"""Template helpers for the HallOps pages: Bootstrap widgets, status badges, audit labels."""

from django import forms, template
from django.utils.translation import gettext_lazy as _

from halls.audit import CHANGE_ACTIONS, action_label, data_label, value_label

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


def _audit_value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list | tuple):
        return ", ".join(_audit_value(item) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_audit_value(item)}" for key, item in value.items()) or "—"
    return str(value)


@register.filter
def audit_details(data: dict, action: str | None = None) -> list[tuple[str, str]]:
    """An audit event's details as (label, value) pairs, every key named by halls.audit.data_label
    (the action's own name for it first; weekday numbers as weekday names). Yes/no values are
    words, choice codes their labels (halls.audit.value_label), lists are comma-separated and a
    changed field's [before, after] reads "before → after"."""
    pairs = []
    for key, value in (data or {}).items():
        labelled = (
            [value_label(v, key, action) for v in value]
            if isinstance(value, list)
            else value_label(value, key, action)
        )
        if key.isdigit() and value is None:
            shown = str(_("closed"))
        elif action in CHANGE_ACTIONS and isinstance(value, list) and len(value) == 2:
            shown = f"{_audit_value(labelled[0])} → {_audit_value(labelled[1])}"
        else:
            shown = _audit_value(labelled)
        pairs.append((data_label(key, action), shown))
    return pairs

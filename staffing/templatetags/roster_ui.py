"""Template helpers of the rostering pages (see staffing.roster_display)."""

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from staffing import roster_display
from staffing.models import StaffRequest

register = template.Library()

register.filter("weekday_short", roster_display.weekday_short)
register.filter("text_on", roster_display.text_on)
register.filter("heat_class", roster_display.heat_class)
register.filter("penalty_label", roster_display.penalty_label)


@register.filter
def percent(share) -> str:
    """0.4213 → "42.1 %"."""
    try:
        return f"{float(share) * 100:.1f} %"
    except (TypeError, ValueError):
        return "—"


@register.filter
def request_kind(kind: str) -> str:
    return str(dict(StaffRequest.Kind.choices).get(kind, kind))


@register.filter
def request_summary(requests) -> str:
    """The requests of one cell as one line for a tooltip."""
    parts = []
    for r in requests:
        text = r.get_kind_display()
        if r.shift_type_id:
            text += f" {r.shift_type.code}"
        parts.append(f"{text} ({_('weight')} {r.weight})")
    return "; ".join(parts)


@register.filter
def hours(value) -> str:
    """Paid hours without a needless decimal: 7.0 → "7", 7.5 → "7.5"."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return "—"


@register.simple_tag
def cell_title(person, cell) -> str:
    """What a grid cell holds, in words: for its tooltip and its button's accessible name."""
    parts = [person.name, date_format(cell.day, "MONTH_DAY_FORMAT"), roster_display.weekday_short(cell.day)]
    if cell.assignment is not None:
        shift = cell.assignment.shift_type
        parts.append(f"{shift.code} {shift.name} {shift.start:%H:%M}–{shift.end:%H:%M}")
    elif cell.on_leave:
        parts.append(pgettext("roster cell", "On leave"))
    else:
        parts.append(pgettext("roster cell", "Off"))
    if cell.requests:
        parts.append(request_summary(cell.requests))
    parts.extend(v.message for v in cell.violations)
    return " · ".join(parts)

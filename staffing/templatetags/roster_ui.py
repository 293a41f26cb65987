"""Template helpers of the rostering pages (see staffing.roster_display)."""

from datetime import date
from functools import lru_cache

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

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


@lru_cache(maxsize=2048)
def _cell_words(day: date, language: str) -> tuple[str, str, str]:
    """The day's label and the words for off and on leave, once per day and language."""
    return (
        f"{date_format(day, 'MONTH_DAY_FORMAT')} {roster_display.weekday_short(day)}",
        pgettext("roster cell", "Off"),
        pgettext("roster cell", "On leave"),
    )


@register.simple_tag
def cell_title(person, cell) -> str:
    """What a grid cell holds, in words: for its tooltip and its button's accessible name."""
    day_label, off, on_leave = _cell_words(cell.day, get_language())
    parts = [person.name, day_label]
    if cell.assignment is not None:
        shift = cell.assignment.shift_type
        parts.append(f"{shift.code} {shift.name} {shift.start:%H:%M}–{shift.end:%H:%M}")
    else:
        parts.append(on_leave if cell.on_leave else off)
    if cell.requests:
        parts.append(request_summary(cell.requests))
    parts.extend(v.message for v in cell.violations)
    return " · ".join(parts)


OFF_MARK = mark_safe('<span class="off-mark" aria-hidden="true">·</span>')
REQUEST_MARK = mark_safe('<span class="request-mark" aria-hidden="true">★</span>')


SENTINEL_DAY = date(1, 1, 1)  # "0001-01-01": no route part but the day can contain dashes


def _cell_url(context, roster, person, day: date) -> str:
    """The cell editor's URL, reversed once per person and render (reverse costs ~0.5 ms, and a
    grid has hundreds of cells): the day is put into the person's URL in place of a sentinel."""
    cache = context.render_context.setdefault("roster_cell_urls", {})
    key = (roster.pk, person.pk)
    if key not in cache:
        cache[key] = reverse("roster_cell", args=[roster.pk, person.pk, SENTINEL_DAY])
    return cache[key].replace(SENTINEL_DAY.isoformat(), day.isoformat())


@register.simple_tag(takes_context=True)
def roster_cell(context, roster, person, cell, editable) -> str:
    """The content of one grid cell: the shift's code in its colour, leave or a dot, a star for a
    request, a red ring for a broken rule; a button opening the editor when `editable` (the grid
    table sets hx-target and hx-swap once for all of them). Built
    here rather than in an included template because a grid has hundreds of cells (the page
    and the htmx fragment both use this tag)."""
    title = cell_title(person, cell)
    if cell.assignment is not None:
        shift = cell.assignment.shift_type
        content = format_html(
            '<span class="shift-pill {}" data-colour="{}">{}</span>',
            roster_display.text_on(shift.colour),
            shift.colour,
            shift.code,
        )
    elif cell.on_leave:
        content = format_html('<span class="leave-mark">{}</span>', pgettext("roster cell", "Leave"))
    else:
        content = OFF_MARK
    if cell.requests:
        content = format_html("{}{}", content, REQUEST_MARK)
    if editable:
        url = _cell_url(context, roster, person, cell.day)
        inner = format_html(
            '<button type="button" class="cell-button" hx-get="{}" title="{}" aria-label="{}">{}</button>',
            url,
            title,
            title,
            content,
        )
    else:
        inner = format_html('<span class="cell-button" title="{}">{}</span>', title, content)
    return format_html(
        '<div class="roster-cell{}">{}</div>', " has-violation" if cell.violations else "", inner
    )

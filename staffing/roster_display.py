"""How rostering figures are shown, shared by the pages and the Excel export: short weekday
names, readable text on a shift's colour, heatmap levels and the generator's penalty names."""

from datetime import date

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

WEEKDAYS_SHORT = (
    pgettext_lazy("weekday, short", "Mon"),
    pgettext_lazy("weekday, short", "Tue"),
    pgettext_lazy("weekday, short", "Wed"),
    pgettext_lazy("weekday, short", "Thu"),
    pgettext_lazy("weekday, short", "Fri"),
    pgettext_lazy("weekday, short", "Sat"),
    pgettext_lazy("weekday, short", "Sun"),
)

PENALTY_LABELS = {
    "under_cover": _("Staff short of the requirement"),
    "over_cover": _("Staff above the requirement"),
    "missing_senior": _("Hours without a senior"),
    "requests": _("Staff requests not honoured"),
    "fairness_early": _("Uneven early shifts"),
    "fairness_late": _("Uneven late shifts"),
    "fairness_weekend": _("Uneven weekend work"),
    "fairness_holiday": _("Uneven holiday work"),
}

HEAT_LEVELS = 3
AA_CONTRAST = 4.5


def weekday_short(day: date) -> str:
    return str(WEEKDAYS_SHORT[day.weekday()])


def text_on(colour: str) -> str:
    """ "on-dark" when white text reads better on `colour` (#rrggbb), else "on-light" (WCAG
    relative luminance against the contrast of black and white text)."""
    try:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    except (ValueError, AttributeError):
        return "on-light"
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    on_white, on_black = 1.05 / (luminance + 0.05), (luminance + 0.05) / 0.05
    return "on-dark" if on_white >= AA_CONTRAST or on_white > on_black else "on-light"


def heat_class(coverage) -> str:
    """CSS class of a heatmap cell: closed, met, a gap (red) or a surplus (blue), three levels."""
    if coverage is None:
        return "heat-closed"
    if coverage.gap:
        return f"heat-gap-{min(coverage.gap, HEAT_LEVELS)}"
    if coverage.surplus:
        return f"heat-over-{min(coverage.surplus, HEAT_LEVELS)}"
    return "heat-met"


def penalty_label(name: str) -> str:
    return str(PENALTY_LABELS.get(name, name))

"""Excel exports of the mystery-shop pages (every cell through halls.exports.safe_cell)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.mystery_shop.selectors import Report
from halls.exports import Sheet, workbook_bytes


def _number(value):
    """Decimals go into the sheet as numbers (safe_cell would write them as text)."""
    return None if value is None else float(value)


def visits_workbook(visits) -> bytes:
    """The filtered visit list (already scoped: unpublished visits only for the market department)."""
    rows = (
        (
            visit.hall.code,
            visit.hall.name,
            timezone.localtime(visit.visited_at),
            visit.get_mode_display(),
            visit.get_status_display(),
            visit.inspector.get_username(),
            _number(visit.hall_score),
            _("yes") if visit.vetoed else "",
            visit.wait_minutes,
            visit.summary,
        )
        for visit in visits
    )
    headers = [
        _("Hall code"),
        _("Hall"),
        _("Visited at"),
        _("Mode"),
        _("Status"),
        _("Inspector"),
        _("Hall score"),
        _("Vetoed"),
        _("Observed wait (minutes)"),
        _("Summary"),
    ]
    return workbook_bytes([Sheet(title=_("Inspections"), headers=headers, rows=rows)])


def report_workbook(report: Report) -> bytes:
    halls = Sheet(
        title=_("Halls"),
        headers=[
            _("Hall code"),
            _("Hall"),
            _("Visits"),
            _("Average score"),
            _("Tasks due"),
            _("On time"),
            _("On-time rate (%)"),
        ],
        rows=[
            (
                r.hall.code,
                r.hall.name,
                r.visits,
                _number(r.average),
                r.tasks,
                r.on_time,
                _number(r.on_time_rate),
            )
            for r in report.halls
        ],
    )
    failed = Sheet(
        title=_("Items most often failed"), headers=[_("Item"), _("Failures")], rows=report.failed_items
    )
    trend = Sheet(
        title=_("Trend"),
        headers=[_("Month"), _("Average score")],
        rows=[(m.strftime("%Y-%m"), _number(v)) for m, v in report.trend],
    )
    return workbook_bytes([halls, failed, trend])

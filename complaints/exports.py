"""Excel exports of complaints: the monthly summary and a complaint list (customers always masked).
Cells go through halls.exports.safe_cell, so no exported text runs as a formula."""

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from complaints.masking import mask_name, mask_phone
from complaints.models import Category, Channel, Complaint, Severity
from complaints.selectors import MonthlySummary, SummaryRow
from halls.exports import Sheet, workbook_bytes


def _percent(value) -> float | None:
    return None if value is None else float(value * 100)


def summary_workbook(summary: MonthlySummary) -> bytes:
    """One sheet: a row per hall and a total row."""
    headers = [
        _("Hall code"),
        _("Hall"),
        _("Complaints"),
        *[str(label) for label in Category.labels],
        *[str(label) for label in Channel.labels],
        *[str(label) for label in Severity.labels],
        _("Replied in time"),
        _("Late"),
        _("On-time rate (%)"),
        _("Regulator complaints"),
        _("Repeat complainants"),
        _("Transactions"),
        _("Complaints per 10,000 transactions"),
    ]

    def line(row: SummaryRow, code: str, name: str) -> list:
        return [
            code,
            name,
            row.total,
            *[row.by_category.get(c, 0) for c in Category.values],
            *[row.by_channel.get(c, 0) for c in Channel.values],
            *[row.by_severity.get(s, 0) for s in Severity.values],
            row.on_time,
            row.late,
            _percent(row.on_time_rate),
            row.regulator,
            row.repeat_complainants,
            row.transactions,
            None if row.per_10k_transactions is None else float(row.per_10k_transactions),
        ]

    rows = [line(row, row.hall.code, row.hall.name) for row in summary.rows]
    rows.append(line(summary.total, "", _("Total")))
    title = _("Complaints %(month)s") % {"month": summary.month.strftime("%Y-%m")}
    return workbook_bytes([Sheet(title=title, headers=headers, rows=rows)])


def complaint_list_workbook(complaints: Iterable[Complaint]) -> bytes:
    """One row per complaint (pass complaints.selectors.complaint_list rows)."""
    headers = [
        _("Number"),
        _("Received at"),
        _("Channel"),
        _("Hall"),
        pgettext("complaint", "Category"),
        _("Severity"),
        _("Status"),
        _("Subject"),
        _("Customer"),
        _("Phone"),
        _("Clerks involved"),
        _("First receiver"),
        _("Current handler"),
        _("Due at"),
        _("Replied at"),
        _("Replied in time"),
        _("Root cause"),
    ]
    rows = (
        [
            c.number,
            timezone.localtime(c.received_at),
            c.get_channel_display(),
            c.hall.code,
            c.get_category_display(),
            c.get_severity_display(),
            c.get_status_display(),
            c.subject,
            mask_name(c.customer_name),
            mask_phone(c.customer_phone),
            ", ".join(f"{s.name} ({s.employee_no})" for s in c.clerks.all()),
            c.first_receiver.get_username(),
            c.current_handler.get_username() if c.current_handler_id else "",
            timezone.localtime(c.due_at),
            timezone.localtime(c.replied_at) if c.replied_at else None,
            {True: _("Yes"), False: _("No"), None: ""}[c.met_deadline],
            c.root_cause,
        ]
        for c in complaints
    )
    return workbook_bytes([Sheet(title=_("Complaints"), headers=headers, rows=rows)])

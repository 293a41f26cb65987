"""Template helpers of the complaint pages: SLA countdowns (rendered here, kept running by
static/hallops/app.js with the same wording), masked customers, badges and rates."""

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from complaints import sla
from complaints.masking import CustomerContact, masked_contact
from complaints.models import Complaint, Severity, Status

register = template.Library()


def countdown_labels() -> dict[str, str]:
    """The countdown's wording, shared by the server (format_countdown) and app.js."""
    return {
        "day": _("{n}d"),
        "left": _("{time} left"),
        "overdue": _("{time} overdue"),
        "paused": _("Paused, {time} left"),
    }


def format_duration(seconds: int) -> str:
    """|seconds| as "H:MM:SS", or "Nd HH:MM:SS" from one day up (the day unit translated)."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{countdown_labels()['day'].format(n=days)} {clock}" if days else clock


def format_countdown(remaining_seconds: int, *, paused: bool = False) -> str:
    labels = countdown_labels()
    if paused:
        return labels["paused"].format(time=format_duration(max(remaining_seconds, 0)))
    key = "overdue" if remaining_seconds <= 0 else "left"
    return labels[key].format(time=format_duration(remaining_seconds))


@register.simple_tag
def countdown_script_data(now: datetime | None = None) -> dict[str, str]:
    """The labels and the server's clock for app.js (rendered with json_script)."""
    return {**countdown_labels(), "now": (now or timezone.now()).isoformat()}


@register.simple_tag
def countdown(complaint: Complaint, now: datetime):
    """The complaint's deadline: a running countdown (due time and due-soon window in data
    attributes for app.js) while its clock runs, the time left while it waits on the customer,
    and whether the reply met the deadline once replied."""
    if not complaint.is_open:
        if complaint.met_deadline is None:
            return format_html('<span class="countdown" data-state="done">{}</span>', "—")
        label = _("Replied in time") if complaint.met_deadline else _("Replied late")
        state = "done" if complaint.met_deadline else "late"
        return format_html('<span class="countdown" data-state="{}">{}</span>', state, label)
    if complaint.is_paused:
        remaining = int((complaint.due_at - complaint.paused_at).total_seconds())
        return format_html(
            '<span class="countdown" data-state="paused">{}</span>', format_countdown(remaining, paused=True)
        )
    # Whole seconds rounded up, as app.js does: "overdue" exactly when now >= due_at.
    remaining = (complaint.due_at - now).total_seconds()
    state = sla.deadline_state(complaint.due_at, now, due_soon=timedelta(minutes=complaint.due_soon_minutes))
    return format_html(
        '<span class="countdown" role="timer" data-due="{}" data-due-soon="{}" data-state="{}">{}</span>',
        timezone.localtime(complaint.due_at).isoformat(),
        complaint.due_soon_minutes,
        state,
        format_countdown(math.ceil(remaining)),
    )


@register.filter
def masked_customer(complaint: Complaint) -> CustomerContact:
    """The customer's name and phone masked (lists never unmask)."""
    return masked_contact(complaint)


_SEVERITY_BADGES = {
    Severity.NORMAL: "text-bg-light border",
    Severity.SENSITIVE: "text-bg-warning",
    Severity.MAJOR: "text-bg-danger",
}
_STATUS_BADGES = {
    Status.RECEIVED: "text-bg-secondary",
    Status.ASSIGNED: "text-bg-info",
    Status.IN_PROGRESS: "text-bg-primary",
    Status.REPLIED: "text-bg-success",
    Status.CLOSED: "text-bg-dark",
}


@register.filter
def severity_badge(severity: str) -> str:
    return _SEVERITY_BADGES.get(severity, "text-bg-light border")


@register.filter
def complaint_status_badge(status: str) -> str:
    return _STATUS_BADGES.get(status, "text-bg-light border")


@register.filter
def percent(rate: Decimal | None) -> str:
    """A 0–1 rate as a percentage with one decimal ("87.5%"), or "—" when unknown."""
    if rate is None:
        return "—"
    return f"{(Decimal(rate) * 100).quantize(Decimal('0.1'))}%"

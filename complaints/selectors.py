"""Reads of complaints for pages, the API and exports, with their joins applied."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Prefetch, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.escalation import ancestor_paths
from complaints.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    Severity,
    Status,
)
from complaints.services import HAND_OVER_STATUSES, WORKFLOW
from complaints.sla import SHANGHAI
from halls.models import Hall, Region, Role
from halls.permissions import has_permission
from staffing.models import Staff
from staffing.roster_selectors import transactions_by_hall as monthly_transactions


def complaint_list(*, user):
    """Visible complaints with hall, people and clerks loaded: a fixed number of queries per page."""
    return (
        Complaint.objects.visible_to(user)
        .select_related(
            "hall",
            "hall__region",
            "first_receiver",
            "first_receiver__staff",
            "current_handler",
            "current_handler__staff",
        )
        .prefetch_related(
            Prefetch("clerks", queryset=Staff.objects.only("id", "employee_no", "name", "hall_id", "user_id"))
        )
    )


QUEUE_ALL_STATUSES = "all"


def complaint_queue(
    *,
    user,
    mine: bool = False,
    hall: Hall | None = None,
    hall_ids: Iterable[int] | None = None,
    due_soon: bool = False,
    overdue: bool = False,
    severity: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    now: datetime | None = None,
):
    """The queue board, soonest deadline first. Open complaints unless `status` names one status
    (or QUEUE_ALL_STATUSES for every status). `mine` = handled or first received by the user;
    `hall` / `hall_ids` = those halls only (still within the user's scope); `due_soon` = the clock
    runs and the deadline is within the complaint's due-soon window but not yet passed (computed
    from due_at, so it does not wait for the deadline job); `overdue` = the clock runs and the
    deadline has passed."""
    now = now or timezone.now()
    queryset = complaint_list(user=user)
    if not status:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status != QUEUE_ALL_STATUSES:
        queryset = queryset.filter(status=status)
    if mine:
        queryset = queryset.filter(Q(current_handler=user) | Q(first_receiver=user))
    if hall is not None:
        queryset = queryset.filter(hall=hall)
    if hall_ids is not None:
        queryset = queryset.filter(hall_id__in=list(hall_ids))
    if severity:
        queryset = queryset.filter(severity=severity)
    if channel:
        queryset = queryset.filter(channel=channel)
    if overdue:
        queryset = queryset.filter(status__in=OPEN_STATUSES, paused_at__isnull=True, due_at__lt=now)
    if due_soon:
        soon_from = ExpressionWrapper(
            F("due_at") - F("due_soon_minutes") * Value(timedelta(minutes=1)), output_field=DateTimeField()
        )
        queryset = (
            queryset.alias(soon_from=soon_from)
            .filter(status__in=OPEN_STATUSES, paused_at__isnull=True, due_at__gte=now)
            .filter(soon_from__lte=now)
        )
    return queryset.order_by("due_at", "id")


def complaint_detail(*, user, pk: int) -> Complaint:
    """One visible complaint with its timeline, attachments, clerks and accountability loaded.
    Raises Complaint.DoesNotExist for another hall's complaint (a 404)."""
    return (
        complaint_list(user=user)
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ComplaintEvent.objects.select_related("actor", "actor__staff").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch("attachments", queryset=ComplaintAttachment.objects.select_related("uploaded_by")),
        )
        .get(pk=pk)
    )


def complaint_accountability(*, complaint: Complaint):
    """The complaint's finding with its shares and clerks, or None."""
    from complaints.models import Accountability

    return (
        Accountability.objects.filter(complaint=complaint)
        .select_related("decided_by", "decided_by__staff", "complaint")
        .prefetch_related("shares__staff")
        .first()
    )


def handler_candidates(*, hall: Hall, complaint: Complaint | None = None):
    """Users who may be given a complaint of `hall`: its current staff with a login, its hall
    managers and the managers of its branch (those holding complaint.handle over the hall) —
    without the clerks `complaint` is about. Their staff record and its hall are loaded for the
    labels (staffing.people.person_label), ordered by name: one query for any number."""
    user_model = get_user_model()
    branch_paths = ancestor_paths(hall.region.path)
    candidates = (
        user_model.objects.filter(is_active=True)
        .filter(
            Q(staff__hall=hall, staff__status__in=["probation", "active", "on_leave"])
            | Q(memberships__role=Role.HALL_MANAGER, memberships__hall=hall)
            | Q(memberships__role=Role.BRANCH_MANAGER, memberships__region__path__in=branch_paths)
        )
        .select_related("staff", "staff__hall")
        .distinct()
        .order_by(F("staff__name").asc(nulls_last=True), "last_name", "first_name", "username")
    )
    if complaint is not None:
        candidates = candidates.exclude(pk__in=complaint.clerks.filter(user__isnull=False).values("user_id"))
    return candidates


def is_subject(*, user, complaint: Complaint) -> bool:
    """Whether the complaint is about `user` (one of its clerks involved); reads the prefetched
    clerks of complaint_list / complaint_detail without a query."""
    return any(clerk.user_id == user.pk for clerk in complaint.clerks.all())


def may_act(*, user, complaint: Complaint) -> dict[str, bool]:
    """Which action forms a page should offer (the services check again). Nobody is offered the
    handling steps of a complaint about themselves."""
    handle = has_permission(user, "complaint.handle", hall=complaint.hall)
    assign = has_permission(user, "complaint.assign", hall=complaint.hall)
    return {
        "handle": handle
        and (assign or user.pk == complaint.current_handler_id)
        and not is_subject(user=user, complaint=complaint),
        "assign": assign,
        "note": handle,
        "decide_accountability": has_permission(user, "complaint.decide_accountability", hall=complaint.hall),
    }


def allowed_actions(*, user, complaint: Complaint, accountability=None) -> frozenset[str]:
    """The action forms the detail page offers `user` now: the workflow steps open from the
    complaint's status (complaints.services.WORKFLOW) for its current handler or a manager,
    hand-over while assigned or in progress, pause or resume while in progress, notes and
    attachments for those who handle the hall's complaints, and the accountability finding of a
    replied or closed complaint that has none (`accountability`) for those who decide it.
    The services check everything again."""
    may = may_act(user=user, complaint=complaint)
    actions = set()

    def opens(action: str) -> bool:
        return complaint.status in WORKFLOW[action][0]

    if may["assign"] and opens("assign"):
        actions.add("assign")
    if may["handle"]:
        if complaint.status in HAND_OVER_STATUSES:
            actions.add("hand_over")
        if opens("start"):
            actions.add("start")
        if opens("reply"):
            actions |= {"resume"} if complaint.is_paused else {"pause", "reply"}
        if opens("close"):
            actions.add("close")
        if opens("reopen"):
            actions.add("reopen")
    if may["note"]:
        actions |= {"note", "attach"}
    if (
        may["decide_accountability"]
        and complaint.status in (Status.REPLIED, Status.CLOSED)
        and accountability is None
    ):
        actions.add("accountability")
    return frozenset(actions)


# --- Monthly summary ------------------------------------------------------------------------


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[first instant, first instant of next month) of `month` in Asia/Shanghai."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time.min, tzinfo=SHANGHAI),
        datetime.combine(following, time.min, tzinfo=SHANGHAI),
    )


@dataclass
class SummaryRow:
    """Figures of one hall, or of all the halls of a summary (hall None)."""

    hall: Hall | None
    total: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    on_time: int = 0
    late: int = 0
    regulator: int = 0
    repeat_complainants: int = 0
    repeat_complaints: int = 0
    transactions: int | None = None

    @property
    def on_time_rate(self) -> Decimal | None:
        """Share of decided deadlines met (replied in time / replied + overdue), 0–1, or None."""
        decided = self.on_time + self.late
        if not decided:
            return None
        return (Decimal(self.on_time) / Decimal(decided)).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def per_10k_transactions(self) -> Decimal | None:
        """Complaints per 10,000 transactions, or None when the transaction total is unknown or 0."""
        if not self.transactions:
            return None
        return (Decimal(self.total) * 10000 / Decimal(self.transactions)).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )


@dataclass
class MonthlySummary:
    month: date
    region: Region | None
    rows: list[SummaryRow]
    total: SummaryRow


def complaint_monthly_summary(
    *,
    user,
    month: date,
    region: Region | None = None,
    hall: Hall | None = None,
    transactions_by_hall: Mapping[int, int] | None = None,
    now: datetime | None = None,
) -> MonthlySummary:
    """Complaints received in `month` (Asia/Shanghai) in the visible halls of `region`'s subtree
    (or one `hall`, or every visible hall): per hall and in total, counts by category, channel and
    severity, deadlines met vs. missed (a reply after its deadline, or an open complaint past it),
    regulator complaints, repeat complainants (the same phone ≥ 2 times in the month; in the total
    counted across halls), and complaints per 10,000 transactions where `transactions_by_hall`
    gives the hall's total (the total's figure needs every hall's). Three queries at any size."""
    now = now or timezone.now()
    start, end = month_bounds(month)
    halls = Hall.objects.visible_to(user).select_related("region")
    if hall is not None:
        halls = halls.filter(pk=hall.pk)
    elif region is not None:
        halls = halls.filter(region__path__startswith=region.path)
    halls = list(halls.order_by("code"))
    hall_ids = [h.pk for h in halls]
    base = Complaint.objects.filter(hall_id__in=hall_ids, received_at__gte=start, received_at__lt=end)

    counts = {f"category_{c}": Count("id", filter=Q(category=c)) for c in Category.values}
    counts |= {f"channel_{c}": Count("id", filter=Q(channel=c)) for c in Channel.values}
    counts |= {f"severity_{s}": Count("id", filter=Q(severity=s)) for s in Severity.values}
    late = Q(met_deadline=False) | Q(
        met_deadline__isnull=True, status__in=OPEN_STATUSES, paused_at__isnull=True, due_at__lt=now
    )
    aggregates = {
        row["hall_id"]: row
        for row in base.order_by()
        .values("hall_id")
        .annotate(
            total=Count("id"),
            on_time=Count("id", filter=Q(met_deadline=True)),
            late=Count("id", filter=late),
            regulator=Count("id", filter=Q(channel=Channel.REGULATOR)),
            **counts,
        )
    }
    phones: dict[int, dict[str, int]] = defaultdict(dict)
    for hall_id, digest, n in (
        base.order_by()
        .values("hall_id", "phone_hash")
        .annotate(n=Count("id"))
        .values_list("hall_id", "phone_hash", "n")
    ):
        phones[hall_id][digest] = n

    if transactions_by_hall is None:
        transactions_by_hall = monthly_transactions(hall_ids=hall_ids, start=start, end=end)
    rows = []
    for h in halls:
        row = SummaryRow(hall=h, transactions=transactions_by_hall.get(h.pk))
        _fill(row, aggregates.get(h.pk))
        repeats = [n for n in phones.get(h.pk, {}).values() if n >= 2]
        row.repeat_complainants, row.repeat_complaints = len(repeats), sum(repeats)
        rows.append(row)

    total = SummaryRow(hall=None)
    _fill(total, None)
    for row in rows:
        total.total += row.total
        total.on_time += row.on_time
        total.late += row.late
        total.regulator += row.regulator
        for attr in ("by_category", "by_channel", "by_severity"):
            for key, value in getattr(row, attr).items():
                getattr(total, attr)[key] = getattr(total, attr).get(key, 0) + value
    across: dict[str, int] = defaultdict(int)
    for per_hall in phones.values():
        for digest, n in per_hall.items():
            across[digest] += n
    repeats = [n for n in across.values() if n >= 2]
    total.repeat_complainants, total.repeat_complaints = len(repeats), sum(repeats)
    if halls and all(h.pk in transactions_by_hall for h in halls):
        total.transactions = sum(transactions_by_hall[h.pk] for h in halls)
    return MonthlySummary(month=month.replace(day=1), region=region, rows=rows, total=total)


def _fill(row: SummaryRow, aggregate: dict | None) -> None:
    aggregate = aggregate or {}
    row.total = aggregate.get("total", 0)
    row.on_time = aggregate.get("on_time", 0)
    row.late = aggregate.get("late", 0)
    row.regulator = aggregate.get("regulator", 0)
    row.by_category = {c: aggregate.get(f"category_{c}", 0) for c in Category.values}
    row.by_channel = {c: aggregate.get(f"channel_{c}", 0) for c in Channel.values}
    row.by_severity = {s: aggregate.get(f"severity_{s}", 0) for s in Severity.values}


def summary_charts(summary: MonthlySummary) -> dict[str, dict]:
    """Data of the summary page's charts, in the shape static/hallops/app.js draws (labels and
    datasets): the month's complaints by category, by channel, and — when the summary covers more
    than one hall — per hall by severity. No queries."""
    total = summary.total
    charts = {
        "by_category": {
            "labels": [str(label) for label in Category.labels],
            "datasets": [
                {"key": "total", "label": str(_("Complaints")), "data": list(total.by_category.values())}
            ],
        },
        "by_channel": {
            "labels": [str(label) for label in Channel.labels],
            "datasets": [
                {"key": "total", "label": str(_("Complaints")), "data": list(total.by_channel.values())}
            ],
        },
    }
    if len(summary.rows) > 1:
        charts["by_hall"] = {
            "labels": [row.hall.name for row in summary.rows],
            "datasets": [
                {"key": value, "label": str(label), "data": [row.by_severity[value] for row in summary.rows]}
                for value, label in Severity.choices
            ],
        }
    return charts

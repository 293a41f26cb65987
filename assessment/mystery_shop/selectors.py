"""Reads of the mystery-shop pages and API, joins applied (a list costs the same queries at any length).

Every read starts from `Visit.objects.visible_to(user)` (or a queryset built on it), so an
unpublished visit is absent for everyone outside the market department — in lists, counts,
searches, reports and exports alike.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from assessment.mystery_shop.models import (
    Answer,
    AnswerPhoto,
    ChecklistCategory,
    ChecklistItem,
    ChecklistTemplate,
    Rectification,
    Visit,
    VisitClerk,
)
from assessment.mystery_shop.services import Progress, required_answers
from halls.models import Hall, Region

SHANGHAI = ZoneInfo("Asia/Shanghai")


def visible_visits(*, user):
    return Visit.objects.visible_to(user).select_related("hall", "inspector", "template")


def filter_visits(
    *, user, q: str = "", hall=None, status: str = "", mode: str = "", month: date | None = None
):
    """The visit list: searchable by hall name or code and inspector; open-task counts annotated."""
    qs = visible_visits(user=user).annotate(
        clerk_count=Count("clerks", distinct=True),
        open_tasks=Count(
            "rectifications",
            filter=Q(rectifications__status__in=[Rectification.Status.OPEN, Rectification.Status.SUBMITTED]),
            distinct=True,
        ),
    )
    if q:
        qs = qs.filter(
            Q(hall__name__icontains=q)
            | Q(hall__code__iexact=q)
            | Q(inspector__username__icontains=q)
            | Q(summary__icontains=q)
        )
    if hall is not None:
        qs = qs.filter(hall=hall)
    if status:
        qs = qs.filter(status=status)
    if mode:
        qs = qs.filter(mode=mode)
    if month is not None:
        qs = qs.filter(visited_at__date__gte=month, visited_at__date__lt=_next_month(month))
    return qs.order_by("-visited_at", "-id")


def visit_for(*, user, pk: int) -> Visit:
    """A visit the user may see, else 404 — the same 404 as for a visit that does not exist."""
    return get_object_or_404(visible_visits(user=user).select_related("hall__region", "published_by"), pk=pk)


@dataclass
class EntryRow:
    """One answer slot of the entry form: an item, for the hall or for one clerk."""

    item: ChecklistItem
    clerk: VisitClerk | None
    answer: Answer | None

    @property
    def key(self) -> str:
        return f"{self.item.pk}-{self.clerk.pk if self.clerk else 'hall'}"


@dataclass
class EntryCategory:
    name: str
    rows: list[EntryRow] = field(default_factory=list)


def entry_rows(visit: Visit) -> tuple[list[EntryCategory], Progress]:
    """The checklist of a visit as answer slots grouped by category, with progress (four queries)."""
    items = list(visit.template.items.select_related("category").order_by("position"))
    clerks = list(visit.clerks.select_related("staff"))
    answers = {
        (a.item_id, a.clerk_id): a
        for a in visit.answers.select_related("updated_by").prefetch_related(
            Prefetch("photos", queryset=AnswerPhoto.objects.order_by("id"))
        )
    }
    categories: dict[int, EntryCategory] = {}
    answered = total = 0
    for item, clerk in required_answers(visit, items, clerks):
        answer = answers.get((item.pk, clerk.pk if clerk else None))
        categories.setdefault(item.category_id, EntryCategory(name=item.category.name)).rows.append(
            EntryRow(item=item, clerk=clerk, answer=answer)
        )
        total += 1
        answered += answer is not None
    return list(categories.values()), Progress(answered=answered, total=total)


def progress_of(visit: Visit) -> Progress:
    return entry_rows(visit)[1]


def entry_row(visit: Visit, item: ChecklistItem, clerk: VisitClerk | None) -> EntryRow:
    answer = (
        Answer.objects.filter(visit=visit, item=item, clerk=clerk)
        .select_related("updated_by")
        .prefetch_related("photos")
        .first()
    )
    return EntryRow(item=item, clerk=clerk, answer=answer)


def rectification_today() -> date:
    """Today in Asia/Shanghai: the day deadlines are compared with (a deadline is the last day)."""
    return timezone.localdate(timezone.now(), SHANGHAI)


def overdue_rectifications(today: date | None = None) -> Q:
    """Open tasks whose deadline has passed: the hall still owes evidence (a task sent back counts
    again; submitted evidence waits on the inspector, not the hall)."""
    return Q(status=Rectification.Status.OPEN, deadline__lt=today or rectification_today())


def visible_rectifications(*, user, today: date | None = None):
    """Visible tasks (published visits only, Visit.visible_to) with the owner's staff record and
    two figures computed by the database, not per row: `is_overdue` (open past its deadline,
    against Asia/Shanghai's today) and `submitted_late_by` (the local day the latest evidence came
    minus the deadline; positive means late, None without evidence)."""
    today = today or rectification_today()
    return (
        Rectification.objects.visible_to(user)
        .select_related("hall", "visit", "owner", "owner__staff", "answer__item", "answer__clerk__staff")
        .annotate(
            is_overdue=ExpressionWrapper(overdue_rectifications(today), output_field=BooleanField()),
            submitted_late_by=ExpressionWrapper(
                TruncDate("submitted_at", tzinfo=SHANGHAI) - F("deadline"), output_field=DurationField()
            ),
        )
    )


def filter_rectifications(*, user, status: str = "", hall=None, overdue: bool = False, today=None):
    """The task list: by status, hall, and `overdue` (open past the deadline); open work first."""
    today = today or rectification_today()
    qs = visible_rectifications(user=user, today=today)
    if status:
        qs = qs.filter(status=status)
    if hall is not None:
        qs = qs.filter(hall=hall)
    if overdue:
        qs = qs.filter(overdue_rectifications(today))
    return qs.order_by("status", "deadline", "id")


def rectification_for(*, user, pk: int) -> Rectification:
    return get_object_or_404(
        visible_rectifications(user=user).select_related("hall__region", "visit__inspector"), pk=pk
    )


def photo_for(*, user, visit_pk: int, photo_pk: int) -> AnswerPhoto:
    visit = visit_for(user=user, pk=visit_pk)
    return get_object_or_404(AnswerPhoto.objects.select_related("answer"), pk=photo_pk, answer__visit=visit)


def _count_of(queryset):
    """A correlated COUNT of `queryset`'s rows pointing at the outer template (0 when none)."""
    counted = queryset.filter(template=OuterRef("pk")).order_by().values("template").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), 0)


class ChecklistGroup(NamedTuple):
    """One checklist: its name and its versions, newest first."""

    name: str
    versions: list[ChecklistTemplate]

    @property
    def in_force(self) -> ChecklistTemplate | None:
        """The version in force (at most one per name), None while the checklist has none."""
        return next((t for t in self.versions if t.is_active), None)


def template_versions(*, user, with_usage: bool) -> list[ChecklistGroup]:
    """The checklist versions `user` may read (ChecklistTemplate.objects.visible_to: every version
    for the market department; otherwise those in force and those of visits the user sees),
    grouped by name, newest version first — a name with no version the user may read is left
    out — with `item_count` and — for the market department only (`with_usage`) — `visit_count`,
    the visits judged by it, drafts and unpublished ones included (it decides whether the version
    is frozen; for anyone else it would count covert visits). One query at any number of
    versions."""
    qs = ChecklistTemplate.objects.visible_to(user).annotate(
        item_count=_count_of(ChecklistItem.objects),
        category_count=_count_of(ChecklistCategory.objects),
    )
    if with_usage:
        qs = qs.annotate(visit_count=_count_of(Visit.objects))
    groups: dict[str, list[ChecklistTemplate]] = {}
    for template in qs.order_by("name", "-version"):
        groups.setdefault(template.name, []).append(template)
    return [ChecklistGroup(name, versions) for name, versions in groups.items()]


def templates_with_items(*, user):
    """The versions `user` may read with their categories and their items in order (the API's
    list and detail; three queries per page)."""
    return ChecklistTemplate.objects.visible_to(user).prefetch_related(
        Prefetch(
            "categories",
            queryset=ChecklistCategory.objects.order_by("position").prefetch_related(
                Prefetch("items", queryset=ChecklistItem.objects.order_by("position"))
            ),
        )
    )


def template_detail(pk: int, *, user, with_usage: bool = False) -> ChecklistTemplate:
    """One version `user` may read with its categories and their items in order (three queries);
    a version they may not read is the same 404 as one that does not exist. `visit_count`
    annotated for the market department (`with_usage`), as in template_versions."""
    qs = templates_with_items(user=user)
    if with_usage:
        qs = qs.annotate(visit_count=_count_of(Visit.objects))
    return get_object_or_404(qs, pk=pk)


# --- Reports -----------------------------------------------------------------------------------------


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _month_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class HallRow:
    hall: Hall
    visits: int
    average: Decimal | None
    tasks: int
    on_time: int

    @property
    def on_time_rate(self) -> Decimal | None:
        return (Decimal(100) * self.on_time / self.tasks).quantize(Decimal("0.1")) if self.tasks else None


@dataclass
class Report:
    month: date
    visits: int
    average: Decimal | None
    halls: list[HallRow]
    failed_items: list[tuple[str, int]]
    trend: list[tuple[date, Decimal | None]]
    tasks_due: int
    tasks_on_time: int

    @property
    def on_time_rate(self) -> Decimal | None:
        return (
            (Decimal(100) * self.tasks_on_time / self.tasks_due).quantize(Decimal("0.1"))
            if self.tasks_due
            else None
        )


def published_in_scope(*, user, region: Region | None = None, hall: Hall | None = None):
    qs = Visit.objects.visible_to(user).published()
    if hall is not None:
        qs = qs.filter(hall=hall)
    elif region is not None:
        qs = qs.filter(hall__region__path__startswith=region.path)
    return qs


def monthly_report(*, user, month: date, region: Region | None = None, hall: Hall | None = None) -> Report:
    """Published visits of one hall, a region (branch or county) or everything the user sees, in one
    month: average hall score, per hall, the items most often failed, a six-month trend and the
    rectification on-time rate (tasks due in the month: accepted with evidence brought by the
    deadline, over all due). A fixed number of queries (five)."""
    end = _next_month(month)
    scope = published_in_scope(user=user, region=region, hall=hall)
    in_month = scope.filter(visited_at__date__gte=month, visited_at__date__lt=end)
    per_hall = {
        row["hall"]: row
        for row in in_month.values("hall").annotate(n=Count("id"), avg=_avg("hall_score")).order_by()
    }
    tasks = (
        Rectification.objects.filter(visit__in=scope, deadline__gte=month, deadline__lt=end)
        .exclude(status=Rectification.Status.CANCELLED)
        .values("hall")
        .annotate(
            due=Count("id"),
            on_time=Count(
                "id",
                filter=Q(status=Rectification.Status.ACCEPTED, submitted_at__date__lte=_deadline_ref()),
            ),
        )
        .order_by()
    )
    task_rows = {row["hall"]: row for row in tasks}
    hall_ids = set(per_hall) | set(task_rows)
    halls = {h.pk: h for h in Hall.objects.filter(pk__in=hall_ids)}
    rows = [
        HallRow(
            hall=halls[hid],
            visits=per_hall.get(hid, {}).get("n", 0),
            average=_q(per_hall.get(hid, {}).get("avg")),
            tasks=task_rows.get(hid, {}).get("due", 0),
            on_time=task_rows.get(hid, {}).get("on_time", 0),
        )
        for hid in hall_ids
    ]
    rows.sort(key=lambda r: (r.average is None, -(r.average or 0), r.hall.code))
    failed = (
        Answer.objects.filter(visit__in=in_month, result=Answer.Result.FAIL)
        .values("item__code", "item__text")
        .annotate(n=Count("id"))
        .order_by("-n", "item__code")[:10]
    )
    start = _month_back(month, 5)
    trend_rows = {
        timezone.localtime(row["m"]).date().replace(day=1): row["avg"]
        for row in scope.filter(visited_at__date__gte=start, visited_at__date__lt=end)
        .annotate(m=_month_trunc())
        .values("m")
        .annotate(avg=_avg("hall_score"))
        .order_by()
    }
    trend = [(_month_back(month, n), _q(trend_rows.get(_month_back(month, n)))) for n in range(5, -1, -1)]
    totals = in_month.aggregate(n=Count("id"), avg=_avg("hall_score"))
    return Report(
        month=month,
        visits=totals["n"],
        average=_q(totals["avg"]),
        halls=rows,
        failed_items=[(f"{row['item__code']} {row['item__text']}", row["n"]) for row in failed],
        trend=trend,
        tasks_due=sum(r.tasks for r in rows),
        tasks_on_time=sum(r.on_time for r in rows),
    )


def _avg(name):
    return Avg(name)


def _month_trunc():
    return TruncMonth("visited_at", tzinfo=timezone.get_current_timezone())


def _deadline_ref():
    return F("deadline")


def _q(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def report_charts(report: Report) -> dict:
    """Chart data for json_script: items most often failed; the monthly trend."""
    return {
        "failed": {
            "labels": [label[:24] for label, _n in report.failed_items],
            "datasets": [{"label": "failed", "data": [n for _label, n in report.failed_items]}],
        },
        "trend": {
            "stacked": False,
            "labels": [m.strftime("%Y-%m") for m, _v in report.trend],
            "datasets": [
                {"label": "avg", "data": [float(v) if v is not None else None for _m, v in report.trend]}
            ],
        },
    }

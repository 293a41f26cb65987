"""Reads of halls for pages and the API, with their joins applied."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext

from halls.models import AuditEvent, Hall, Notification, OpeningHours, Region
from halls.permissions import has_permission
from halls.scoping import scope_for


def hall_list(*, user):
    """Visible halls with region and a count of current staff: a fixed number of queries at any size."""
    return (
        Hall.objects.visible_to(user)
        .select_related("region", "region__parent")
        .annotate(staff_count=Count("staff", filter=~Q(staff__status="left")))
        .prefetch_related(Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday")))
    )


def hall_audit_trail(*, hall: Hall, limit: int = 50):
    return AuditEvent.objects.filter(hall=hall).select_related("actor", "subject_type")[:limit]


def field_history(obj, *, limit: int = 50):
    """Trigger-recorded changes of one object, newest first: who (when known), when, before → after."""
    event_model = obj.pgh_event_model
    events = list(
        event_model.objects.filter(pgh_obj=obj)
        .select_related("pgh_context")
        .order_by("-pgh_created_at", "-pgh_id")[: limit + 1]
    )
    tracked = [f.name for f in obj._meta.concrete_fields if f.name not in ("updated_at",)]
    rows = []
    for newer, older in zip(events, events[1:] + [None], strict=False):
        if older is None:
            changes = {"__created__": True}
        else:
            changes = {
                name: (getattr(older, _attname(obj, name)), getattr(newer, _attname(obj, name)))
                for name in tracked
                if getattr(older, _attname(obj, name)) != getattr(newer, _attname(obj, name))
            }
            if not changes:
                continue
        context = newer.pgh_context.metadata if newer.pgh_context_id else {}
        rows.append(
            {
                "at": newer.pgh_created_at,
                "label": newer.pgh_label,
                "user_id": context.get("user"),
                "url": context.get("url"),
                "changes": changes,
            }
        )
    return rows[:limit]


def _attname(obj, name):
    return obj._meta.get_field(name).attname


# --- Pages --------------------------------------------------------------------
# halls never imports staffing: staff figures go through Hall's reverse relation `staff`.


def _staff_field(name: str):
    return Hall._meta.get_field("staff").related_model._meta.get_field(name)


def filter_halls(halls, *, region: Region | None = None, hall_class="", operation="", is_active=None, q=""):
    """Narrow a hall queryset for the hall list page: region subtree, class, operation,
    active flag, and a case-insensitive search on name or code. Empty values do not filter."""
    if region is not None:
        halls = halls.filter(region__path__startswith=region.path)
    if hall_class:
        halls = halls.filter(hall_class=hall_class)
    if operation:
        halls = halls.filter(operation=operation)
    if is_active is not None:
        halls = halls.filter(is_active=is_active)
    q = (q or "").strip()
    if q:
        halls = halls.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return halls


def regions_for_filter(*, user):
    """Regions the user may filter by, tree order (branch before its counties)."""
    return Region.objects.visible_to(user).order_by("path")


def halls_where(*, user, action: str):
    """Visible halls over which `user` may perform `action` (choices of a form's hall field)."""
    scope = scope_for(user)
    halls = Hall.objects.visible_to(user)
    if scope.sees_everything:
        return halls.order_by("code")
    allowed = [h.pk for h in halls.select_related("region") if has_permission(user, action, hall=h)]
    return Hall.objects.filter(pk__in=allowed).order_by("code")


def halls_in_regions(*, region_paths: tuple[str, ...] | None):
    """Halls in the given region subtrees; None means every hall (a superuser's view)."""
    if region_paths is None:
        return Hall.objects.all()
    q = Q(pk__in=[])
    for path in region_paths:
        q |= Q(region__path__startswith=path)
    return Hall.objects.filter(q)


def hall_counts(halls) -> dict[str, int]:
    """Counts of halls by class, operation and active flag: one aggregate query."""
    return halls.aggregate(
        total=Count("id"),
        class_a=Count("id", filter=Q(hall_class=Hall.HallClass.A)),
        class_b=Count("id", filter=Q(hall_class=Hall.HallClass.B)),
        self_operated=Count("id", filter=Q(operation=Hall.Operation.SELF)),
        partner_operated=Count("id", filter=Q(operation=Hall.Operation.PARTNER)),
        inactive=Count("id", filter=Q(is_active=False)),
    )


def staff_status_counts(halls) -> list[dict]:
    """Staff of the given halls by status, in the status order of the staff model: one query.
    Each row: {"status", "label", "count"}."""
    choices = _staff_field("status").choices
    totals = halls.aggregate(**{value: Count("staff", filter=Q(staff__status=value)) for value, _ in choices})
    return [{"status": value, "label": label, "count": totals[value]} for value, label in choices]


def halls_per_region_chart(halls) -> dict:
    """Chart data (Chart.js shape) for halls per county office, stacked by class: one query."""
    rows = (
        halls.values("region__name", "region__path")
        .annotate(
            class_a=Count("id", filter=Q(hall_class=Hall.HallClass.A)),
            class_b=Count("id", filter=Q(hall_class=Hall.HallClass.B)),
        )
        .order_by("region__path")
    )
    rows = list(rows)
    return {
        "labels": [row["region__name"] for row in rows],
        "datasets": [
            {"key": "A", "label": str(Hall.HallClass.A.label), "data": [row["class_a"] for row in rows]},
            {"key": "B", "label": str(Hall.HallClass.B.label), "data": [row["class_b"] for row in rows]},
        ],
    }


def staff_post_status_table(hall: Hall) -> dict:
    """Current staff of one hall as a post × status table with totals: one query.
    Returns {"statuses": [(value, label)], "rows": [{"post", "label", "counts": [...], "total"}],
    "totals": [...], "total": n}; posts nobody holds are left out."""
    statuses = [(v, label) for v, label in _staff_field("status").choices if v != "left"]
    posts = _staff_field("post").choices
    counts = {
        (row["post"], row["status"]): row["n"]
        for row in hall.staff.exclude(status="left").values("post", "status").annotate(n=Count("id"))
    }
    rows = []
    for post, label in posts:
        row_counts = [counts.get((post, status), 0) for status, _ in statuses]
        if any(row_counts):
            rows.append({"post": post, "label": label, "counts": row_counts, "total": sum(row_counts)})
    totals = [sum(row["counts"][i] for row in rows) for i in range(len(statuses))]
    return {"statuses": statuses, "rows": rows, "totals": totals, "total": sum(totals)}


def opening_week(hall: Hall) -> list[dict]:
    """Seven rows, Monday first: {"weekday", "label", "hours"} with hours None when closed.
    Uses prefetched opening_hours when present (hall_list prefetches them)."""
    by_day = {row.weekday: row for row in hall.opening_hours.all()}
    return [
        {"weekday": day, "label": label, "hours": by_day.get(day)}
        for day, label in OpeningHours.Weekday.choices
    ]


def labelled_field_history(obj, *, limit: int = 50) -> list[dict]:
    """`field_history` made readable: field labels, choice labels, related objects and user names
    instead of raw column values. A fixed number of queries: the history, then one per related
    model and one for the users."""
    rows = field_history(obj, limit=limit)
    model = type(obj)
    wanted: dict[type, set] = {}
    user_ids = {row["user_id"] for row in rows if row["user_id"]}
    for row in rows:
        for name, values in row["changes"].items():
            if name == "__created__":
                continue
            field = model._meta.get_field(name)
            if field.is_relation:
                wanted.setdefault(field.related_model, set()).update(v for v in values if v is not None)
    related = {m: m._default_manager.in_bulk(ids) for m, ids in wanted.items()}
    users = get_user_model().objects.in_bulk(user_ids) if user_ids else {}

    def show(field, value):
        if value is None or value == "":
            return "—"
        if field.is_relation:
            target = related.get(field.related_model, {}).get(value)
            return str(target) if target is not None else f"#{value}"
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return gettext("yes") if value else gettext("no")
        return str(value)

    result = []
    for row in rows:
        created = "__created__" in row["changes"]
        changes = []
        if not created:
            for name, (old, new) in row["changes"].items():
                field = model._meta.get_field(name)
                changes.append(
                    {"field": field.verbose_name, "old": show(field, old), "new": show(field, new)}
                )
        result.append(
            {"at": row["at"], "user": users.get(row["user_id"]), "created": created, "changes": changes}
        )
    return result


def branch_overview(*, region_paths: tuple[str, ...] | None) -> dict:
    """Dashboard figures for branch management over region subtrees (None = everything):
    hall counts, staff by status and the halls-per-county chart. Four queries."""
    halls = halls_in_regions(region_paths=region_paths)
    return {
        "halls": hall_counts(halls),
        "staff_by_status": staff_status_counts(halls),
        "chart": halls_per_region_chart(halls),
        "regions": list(Region.objects.filter(path__in=region_paths)) if region_paths is not None else [],
    }


def hall_cards(*, user, hall_ids) -> list[dict]:
    """Cards of the halls a hall manager runs: the hall (with region and staff count) and its
    post × status table. Two queries plus one per hall (a manager runs one or two halls)."""
    halls = hall_list(user=user).filter(pk__in=hall_ids).order_by("code")
    return [{"hall": hall, "staff_table": staff_post_status_table(hall)} for hall in halls]


def notification_list(*, user, unread_only: bool = False):
    """The user's own notifications, newest first, with their hall loaded (one query a page)."""
    notifications = Notification.objects.visible_to(user).select_related("hall")
    return notifications.unread() if unread_only else notifications


def unread_notification_count(*, user) -> int:
    """The navbar badge: one COUNT on the partial unread index."""
    return Notification.objects.visible_to(user).unread().count()

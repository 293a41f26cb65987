"""Reads of staff for pages and the API, with joins applied (a fixed number of queries per page)."""

from datetime import timedelta

from django.db.models import Q

from halls.models import AuditEvent
from staffing.models import Staff, StaffPosting

SAME_ACTION_WINDOW = timedelta(seconds=1)


def staff_list(*, user):
    return Staff.objects.visible_to(user).select_related("hall", "hall__region", "hall__region__parent")


def staff_postings(*, staff: Staff):
    return StaffPosting.objects.filter(staff=staff).select_related("hall").order_by("-started_on")


def filter_staff(staff, *, hall=None, post="", status="", employment_type="", q=""):
    """Narrow a staff queryset for the staff list page: hall, post, status, employment type and a
    case-insensitive search on name or employee number. Empty values do not filter."""
    if hall is not None:
        staff = staff.filter(hall=hall)
    if post:
        staff = staff.filter(post=post)
    if status:
        staff = staff.filter(status=status)
    if employment_type:
        staff = staff.filter(employment_type=employment_type)
    q = (q or "").strip()
    if q:
        staff = staff.filter(Q(name__icontains=q) | Q(employee_no__icontains=q))
    return staff


def staff_audit_trail(*, user, staff: Staff, limit: int = 50) -> list[AuditEvent]:
    """Business actions on one staff member that the user may see, newest first. A transfer is
    recorded once for each hall involved (same action, actor and details, moments apart); the
    page shows it once."""
    events = (
        AuditEvent.objects.visible_to(user)
        .for_object(staff)
        .select_related("actor", "hall")
        .order_by("-created_at", "-id")[: limit * 2]
    )
    unique: list[AuditEvent] = []
    for event in events:
        previous = unique[-1] if unique else None
        if (
            previous is not None
            and (previous.action, previous.actor_id, previous.data)
            == (event.action, event.actor_id, event.data)
            and previous.created_at - event.created_at < SAME_ACTION_WINDOW
        ):
            continue
        unique.append(event)
    return unique[:limit]

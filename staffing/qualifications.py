"""Post qualifications (上岗资格): the check rosters use, and the grant the training app calls.

`staffing` owns the records so that rostering never imports `training`; training grants a
qualification through `grant_qualification` when a clerk passes the onboarding exam.
"""

from collections import defaultdict
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from halls.audit import record_audit
from halls.permissions import require_permission
from staffing.exceptions import QualificationInvalid, QualificationOverlap
from staffing.models import DutyPost, Qualification, Staff

__all__ = ["grant_qualification", "is_qualified", "qualified_days"]


def _valid_on(day: date) -> Q:
    return Q(granted_on__lte=day) & (Q(expires_on__isnull=True) | Q(expires_on__gte=day))


def is_qualified(staff: Staff, post: str, *, on: date) -> bool:
    """Does `staff` hold a valid qualification for `post` on `on`? Posts other than a window
    need none, so they are always allowed."""
    if post != DutyPost.WINDOW:
        return True
    return Qualification.objects.filter(_valid_on(on), staff=staff, post=post).exists()


def qualified_days(*, staff_ids, post: str, start: date, end: date) -> dict[int, frozenset[date]]:
    """For each staff id, the dates between `start` and `end` (inclusive) on which they hold a
    valid qualification for `post`: one query for any number of people."""
    rows = Qualification.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=start),
        staff_id__in=list(staff_ids),
        post=post,
        granted_on__lte=end,
    ).values_list("staff_id", "granted_on", "expires_on")
    days: dict[int, set[date]] = defaultdict(set)
    for staff_id, granted, expires in rows:
        day, last = max(granted, start), min(expires or end, end)
        while day <= last:
            days[staff_id].add(day)
            day += timedelta(days=1)
    return {staff_id: frozenset(days.get(staff_id, ())) for staff_id in staff_ids}


@transaction.atomic
def grant_qualification(
    *,
    actor,
    staff: Staff,
    post: str,
    granted_on: date,
    expires_on: date | None,
    source: str = Qualification.Source.TRAINING,
    source_ref: str = "",
) -> Qualification:
    """Record that `staff` is qualified for `post` from `granted_on` through `expires_on`.
    Refuses an expiry before the grant (QualificationInvalid) and a span overlapping another
    qualification of the same person and post (QualificationOverlap); nothing is saved then.
    Audited as staffing.qualification.granted."""
    require_permission(actor, "qualification.grant", hall=staff.hall)
    if post not in DutyPost.values:
        raise QualificationInvalid(_("Unknown post."), field="post")
    if expires_on is not None and expires_on < granted_on:
        raise QualificationInvalid(_("A qualification cannot expire before it is granted."))
    overlap = Qualification.objects.filter(
        staff=staff, post=post, granted_on__lte=expires_on or date.max
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=granted_on))
    if overlap.exists():
        raise QualificationOverlap(
            _("This person already holds a qualification for this post in that period.")
        )
    try:
        with transaction.atomic():
            qualification = Qualification.objects.create(
                staff=staff,
                post=post,
                granted_on=granted_on,
                expires_on=expires_on,
                source=source,
                source_ref=source_ref,
            )
    except IntegrityError as exc:  # a concurrent grant for an overlapping span
        raise QualificationOverlap(
            _("This person already holds a qualification for this post in that period.")
        ) from exc
    record_audit(
        actor=actor,
        action="staffing.qualification.granted",
        subject=qualification,
        hall=staff.hall,
        data={
            "staff": staff.employee_no,
            "post": post,
            "from": granted_on.isoformat(),
            "until": expires_on and expires_on.isoformat(),
        },
    )
    return qualification

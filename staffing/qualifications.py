"""Post qualifications (上岗资格): the check rosters use, and the grant the training app calls.

`staffing` owns the records so that rostering never imports `training`; training grants a
qualification through `grant_qualification` when a clerk passes the onboarding exam.
"""

from collections import defaultdict
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from halls.audit import record_audit
from halls.models import Tombstone, WebhookEvent
from halls.permissions import require_permission
from halls.tombstones import record_tombstones
from halls.webhooks import emit_event, stable_event_id
from staffing.exceptions import QualificationInvalid, QualificationOverlap
from staffing.models import DutyPost, Qualification, Staff

__all__ = [
    "announce_expired_qualifications",
    "grant_qualification",
    "is_qualified",
    "qualified_days",
    "revoke_qualification",
]

# A daily job that missed days still announces expiries up to this many days old.
EXPIRY_ANNOUNCE_DAYS = 7


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


@transaction.atomic
def revoke_qualification(*, actor, qualification: Qualification, reason: str) -> None:
    """Withdraw a qualification granted in error: the row is deleted, a tombstone tells sync
    clients, and the audit row keeps what it was. Refuses an empty reason. Needs
    qualification.grant over the person's hall."""
    qualification = (
        Qualification.objects.select_for_update().select_related("staff__hall").get(pk=qualification.pk)
    )
    staff = qualification.staff
    require_permission(actor, "qualification.grant", hall=staff.hall)
    if not reason.strip():
        raise QualificationInvalid(_("Give the reason for revoking the qualification."), field="reason")
    record_audit(
        actor=actor,
        action="staffing.qualification.revoked",
        subject=qualification,
        hall=staff.hall,
        data={
            "staff": staff.employee_no,
            "post": qualification.post,
            "from": qualification.granted_on.isoformat(),
            "until": qualification.expires_on and qualification.expires_on.isoformat(),
            "reason": reason.strip(),
        },
    )
    record_tombstones(
        resource=Tombstone.Resource.QUALIFICATION,
        rows=[(qualification.pk, staff.hall_id)],
        reason=Tombstone.Reason.REVOKED,
    )
    qualification.delete()


@transaction.atomic
def announce_expired_qualifications(*, today: date) -> int:
    """Emit the qualification.expired webhook for each qualification that ran out in the last
    EXPIRY_ANNOUNCE_DAYS days (expires_on before `today`) and was not renewed, for people still
    employed. Idempotent: each event has a stable id per qualification, so a second run (or a
    run on the next day) queues nothing new. Returns how many deliveries were queued."""
    renewed = Qualification.objects.filter(
        staff_id=OuterRef("staff_id"), post=OuterRef("post"), granted_on__gt=OuterRef("granted_on")
    )
    expired = (
        Qualification.objects.filter(
            expires_on__lt=today, expires_on__gte=today - timedelta(days=EXPIRY_ANNOUNCE_DAYS)
        )
        .exclude(staff__status=Staff.Status.LEFT)
        .exclude(Exists(renewed))
        .select_related("staff__hall__region")
        .order_by("pk")
    )
    queued = 0
    for qualification in expired:
        staff = qualification.staff
        queued += emit_event(
            event=WebhookEvent.QUALIFICATION_EXPIRED,
            hall=staff.hall,
            event_id=stable_event_id(WebhookEvent.QUALIFICATION_EXPIRED, str(qualification.pk)),
            data={
                "qualification": qualification.pk,
                "staff": staff.pk,
                "employee_no": staff.employee_no,
                "post": qualification.post,
                "expired_on": qualification.expires_on.isoformat(),
            },
        )
    return queued

"""Writes for staff: create, edit, transfer between halls. Each use case is one transaction."""

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from halls.audit import changed_fields, record_audit
from halls.exceptions import DomainError
from halls.models import Hall, Tombstone, WebhookEvent
from halls.permissions import has_permission, require_permission
from halls.tombstones import record_tombstones
from halls.webhooks import emit_event
from staffing.exceptions import DisciplineInvalid, EmployeeNumberTaken, StaffHallNotAllowed, TransferInvalid
from staffing.models import DEFAULT_DISCIPLINE_DEDUCTIONS, DisciplineRecord, Staff, StaffPosting

EDITABLE_FIELDS = ("name", "post", "employment_type", "hire_date", "status", "star_level", "user", "phone")


def _check_hall(actor, hall: Hall, action: str) -> None:
    if not Hall.objects.visible_to(actor).filter(pk=hall.pk).exists() or not has_permission(
        actor, action, hall=hall
    ):
        raise StaffHallNotAllowed(_("You cannot manage staff of this hall."))


@transaction.atomic
def create_staff(
    *,
    actor,
    employee_no: str,
    name: str,
    hall: Hall,
    post: str,
    employment_type: str,
    hire_date: date,
    **fields,
) -> Staff:
    """Create a staff record in a hall the actor manages and open its first posting on the hire date."""
    require_permission(actor, "staff.create")
    _check_hall(actor, hall, "staff.create")
    if Staff.objects.filter(employee_no=employee_no).exists():
        raise EmployeeNumberTaken(_("This employee number is already in use."))
    try:
        with transaction.atomic():
            staff = Staff.objects.create(
                employee_no=employee_no,
                name=name,
                hall=hall,
                post=post,
                employment_type=employment_type,
                hire_date=hire_date,
                **fields,
            )
    except IntegrityError as exc:
        raise EmployeeNumberTaken(_("This employee number is already in use.")) from exc
    StaffPosting.objects.create(staff=staff, hall=hall, post=post, started_on=hire_date)
    record_audit(actor=actor, action="staffing.staff.created", subject=staff, hall=hall)
    _staff_changed(staff, hall, "created")
    return staff


def _staff_changed(staff: Staff, hall: Hall, change: str) -> None:
    """The staff.changed webhook (outbox row in this transaction) for HR clients of `hall`."""
    emit_event(
        event=WebhookEvent.STAFF_CHANGED,
        hall=hall,
        data={"staff": staff.pk, "employee_no": staff.employee_no, "change": change, "hall": hall.pk},
    )


@transaction.atomic
def update_staff(*, actor, staff: Staff, **changes) -> Staff:
    """Edit a staff record's attributes (not the hall: use transfer_staff). Row-locked."""
    require_permission(actor, "staff.change", hall=staff.hall)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown or read-only fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    staff = Staff.objects.select_for_update().select_related("hall__region").get(pk=staff.pk)
    old_post, old_status = staff.post, staff.status
    before = {name: getattr(staff, name) for name in changes}
    for name, value in changes.items():
        setattr(staff, name, value)
    staff.save()
    changed = changed_fields(before, changes)
    if changed:
        record_audit(
            actor=actor, action="staffing.staff.updated", subject=staff, hall=staff.hall, data=changed
        )
    if staff.post != old_post:
        # The open posting records the post held there; a change of post starts a new stay.
        _close_and_open_posting(staff=staff, hall=staff.hall, on=date.today())
    left = staff.status == Staff.Status.LEFT and old_status != Staff.Status.LEFT
    if left:
        # After the save, so the tombstone is the later of the two for sync clients.
        record_tombstones(
            resource=Tombstone.Resource.STAFF, rows=[(staff.pk, staff.hall_id)], reason=Tombstone.Reason.LEFT
        )
    _staff_changed(staff, staff.hall, "left" if left else "updated")
    return staff


def _close_and_open_posting(*, staff: Staff, hall: Hall, on: date) -> None:
    current = StaffPosting.objects.select_for_update().filter(staff=staff, ended_on__isnull=True).first()
    if current is not None:
        if current.started_on >= on:
            current.hall, current.post = hall, staff.post
            current.save(update_fields=["hall", "post"])
            return
        current.ended_on = on - timedelta(days=1)
        current.save(update_fields=["ended_on"])
    StaffPosting.objects.create(staff=staff, hall=hall, post=staff.post, started_on=on)


@transaction.atomic
def transfer_staff(*, actor, staff: Staff, to_hall: Hall, on: date, reason: str = "") -> Staff:
    """Move a person to another hall from `on`. The history of where they worked when is kept.
    Refuses a transfer to the same hall, a date before the current posting began, or a hall
    outside the actor's scope."""
    require_permission(actor, "staff.transfer", hall=staff.hall)
    _check_hall(actor, to_hall, "staff.transfer")
    staff = Staff.objects.select_for_update().select_related("hall").get(pk=staff.pk)
    if staff.hall_id == to_hall.pk:
        raise StaffHallNotAllowed(_("This person already works in that hall."))
    current = StaffPosting.objects.filter(staff=staff, ended_on__isnull=True).first()
    if current is not None and on <= current.started_on:
        raise TransferInvalid(
            _("The transfer date must be after the current posting began (%(d)s).")
            % {"d": current.started_on.isoformat()}
        )
    from_hall = staff.hall
    # Before the save: clients of the old hall drop the person; the live row in the new hall is later.
    record_tombstones(
        resource=Tombstone.Resource.STAFF, rows=[(staff.pk, from_hall.pk)], reason=Tombstone.Reason.MOVED
    )
    staff.hall = to_hall
    staff.save(update_fields=["hall", "updated_at"])
    _close_and_open_posting(staff=staff, hall=to_hall, on=on)
    data = {"from": from_hall.code, "to": to_hall.code, "on": on.isoformat(), "reason": reason}
    record_audit(actor=actor, action="staffing.staff.transferred", subject=staff, hall=from_hall, data=data)
    record_audit(actor=actor, action="staffing.staff.transferred", subject=staff, hall=to_hall, data=data)
    _staff_changed(staff, from_hall, "transferred_out")
    _staff_changed(staff, to_hall, "transferred_in")
    return staff


@transaction.atomic
def record_discipline(
    *,
    actor,
    staff: Staff,
    occurred_on: date,
    kind: str,
    deduction: Decimal | None = None,
    note: str = "",
) -> DisciplineRecord:
    """Record a labour-discipline incident in the hall where the person works that day.

    The deduction defaults by kind (late 1, left the post 2, absent 5). Refuses a hall the actor
    cannot manage, a day before the person's hire date or in the future, and a kind not known.
    Counting it in assessment is assessment's job (assessment.services.record_discipline_incident
    calls this and then records the score fact in the same transaction).
    """
    require_permission(actor, "staff.discipline")
    posting = StaffPosting.objects.filter(staff=staff).on(occurred_on).select_related("hall__region").first()
    hall = posting.hall if posting is not None else staff.hall
    _check_hall(actor, hall, "staff.discipline")
    if kind not in DisciplineRecord.Kind.values:
        raise DisciplineInvalid(_("Unknown kind of discipline incident."), field="kind")
    if posting is None or occurred_on > timezone.localdate():
        raise DisciplineInvalid(_("The person did not work in a hall on that day."))
    if deduction is None:
        deduction = DEFAULT_DISCIPLINE_DEDUCTIONS[kind]
    if not Decimal(0) < deduction <= Decimal(100):
        raise DisciplineInvalid(_("A deduction is between 0 and 100 points."), field="deduction")
    record = DisciplineRecord.objects.create(
        staff=staff,
        hall=hall,
        occurred_on=occurred_on,
        kind=kind,
        deduction=deduction,
        note=note,
        recorded_by=actor,
    )
    record_audit(
        actor=actor,
        action="staffing.discipline.recorded",
        subject=record,
        hall=hall,
        data={
            "staff": staff.employee_no,
            "kind": kind,
            "deduction": str(deduction),
            "on": occurred_on.isoformat(),
        },
    )
    return record


def apply_star_levels(*, actor, levels: Mapping[int, int]) -> int:
    """Set the star level of many people at once (one UPDATE), as decided by the assessment
    publish step, which records the history and the audit row. Runs inside the caller's
    transaction; returns the number of staff changed. Levels must be 0–5."""
    if not levels:
        return 0
    if any(not 0 <= level <= 5 for level in levels.values()):
        raise DomainError(_("A star level is between 0 and 5."), field="star_level")
    from django.db import connection

    ids = list(levels)
    values = [levels[i] for i in ids]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE staffing_staff s SET star_level = v.level
            FROM unnest(%s::bigint[], %s::smallint[]) AS v(id, level)
            WHERE s.id = v.id AND s.star_level <> v.level
            """,
            [ids, values],
        )
        return cursor.rowcount

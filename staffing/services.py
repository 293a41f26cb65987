"""Writes for staff: create, edit, transfer between halls. Each use case is one transaction."""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from halls.audit import record_audit
from halls.exceptions import DomainError
from halls.models import Hall
from halls.permissions import has_permission, require_permission
from staffing.exceptions import EmployeeNumberTaken, StaffHallNotAllowed, TransferInvalid
from staffing.models import Staff, StaffPosting

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
    return staff


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
    old_post = staff.post
    for name, value in changes.items():
        setattr(staff, name, value)
    staff.save()
    if staff.post != old_post:
        # The open posting records the post held there; a change of post starts a new stay.
        _close_and_open_posting(staff=staff, hall=staff.hall, on=date.today())
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
    staff.hall = to_hall
    staff.save(update_fields=["hall", "updated_at"])
    _close_and_open_posting(staff=staff, hall=to_hall, on=on)
    data = {"from": from_hall.code, "to": to_hall.code, "on": on.isoformat(), "reason": reason}
    record_audit(actor=actor, action="staffing.staff.transferred", subject=staff, hall=from_hall, data=data)
    record_audit(actor=actor, action="staffing.staff.transferred", subject=staff, hall=to_hall, data=data)
    return staff

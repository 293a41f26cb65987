import datetime

import pghistory
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from halls.models import AuditEvent
from halls.selectors import field_history
from staffing import services
from staffing.exceptions import EmployeeNumberTaken, StaffHallNotAllowed, TransferInvalid
from staffing.models import Staff, StaffPosting
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def postings(staff):
    return list(
        StaffPosting.objects.filter(staff=staff)
        .order_by("started_on")
        .values_list("hall__code", "post", "started_on", "ended_on")
    )


def test_create_staff_opens_a_posting_on_the_hire_date_and_audits(cast):
    staff = services.create_staff(
        actor=cast.hall_manager,
        employee_no="E1",
        name="周一",
        hall=cast.hall,
        post="clerk",
        employment_type="formal",
        hire_date=D(2026, 9, 1),
    )
    assert postings(staff) == [("H001", "clerk", D(2026, 9, 1), None)]
    event = AuditEvent.objects.get(action="staffing.staff.created")
    assert (event.actor, event.hall, event.subject_id) == (cast.hall_manager, cast.hall, str(staff.pk))


def test_create_staff_refuses_a_taken_number_and_another_hall(cast, clerk_staff):
    fields = {"name": "x", "post": "clerk", "employment_type": "formal", "hire_date": D(2026, 9, 1)}
    with pytest.raises(EmployeeNumberTaken):
        services.create_staff(actor=cast.hall_manager, employee_no="C0001", hall=cast.hall, **fields)
    with pytest.raises(StaffHallNotAllowed):
        services.create_staff(actor=cast.hall_manager, employee_no="E2", hall=cast.other_hall, **fields)
    with pytest.raises(PermissionDenied):
        services.create_staff(actor=cast.clerk, employee_no="E3", hall=cast.hall, **fields)


def test_transfers_keep_the_history_without_gaps_or_overlaps(cast, clerk_staff):
    services.transfer_staff(
        actor=cast.branch_manager, staff=clerk_staff, to_hall=cast.other_hall, on=D(2026, 6, 1)
    )
    services.transfer_staff(
        actor=cast.branch_manager, staff=clerk_staff, to_hall=cast.hall, on=D(2026, 9, 15), reason="回原厅"
    )
    assert postings(clerk_staff) == [
        ("H001", "clerk", D(2024, 3, 1), D(2026, 5, 31)),
        ("H002", "clerk", D(2026, 6, 1), D(2026, 9, 14)),
        ("H001", "clerk", D(2026, 9, 15), None),
    ]
    assert Staff.objects.get(pk=clerk_staff.pk).hall == cast.hall
    assert list(
        StaffPosting.objects.on(D(2026, 7, 1)).filter(staff=clerk_staff).values_list("hall__code", flat=True)
    ) == ["H002"]
    events = AuditEvent.objects.filter(action="staffing.staff.transferred").order_by("id")
    assert [(e.hall.code, e.data["from"], e.data["to"]) for e in events] == [
        ("H001", "H001", "H002"),
        ("H002", "H001", "H002"),
        ("H002", "H002", "H001"),
        ("H001", "H002", "H001"),
    ]
    assert events.last().data["reason"] == "回原厅"


def test_a_transfer_must_move_forward_in_time_and_to_another_hall(cast, clerk_staff):
    with pytest.raises(TransferInvalid):
        services.transfer_staff(
            actor=cast.branch_manager, staff=clerk_staff, to_hall=cast.other_hall, on=D(2024, 3, 1)
        )
    with pytest.raises(StaffHallNotAllowed):
        services.transfer_staff(
            actor=cast.branch_manager, staff=clerk_staff, to_hall=cast.hall, on=D(2026, 6, 1)
        )
    with pytest.raises(StaffHallNotAllowed):
        services.transfer_staff(
            actor=cast.branch_manager, staff=clerk_staff, to_hall=cast.foreign_hall, on=D(2026, 6, 1)
        )
    with pytest.raises(PermissionDenied):
        services.transfer_staff(
            actor=cast.hall_manager, staff=clerk_staff, to_hall=cast.other_hall, on=D(2026, 6, 1)
        )
    assert postings(clerk_staff) == [("H001", "clerk", D(2024, 3, 1), None)]
    assert not AuditEvent.objects.exists()


def test_a_change_of_post_starts_a_new_posting(cast, clerk_staff, time_machine):
    time_machine.move_to("2026-11-02 10:00+08:00", tick=False)
    services.update_staff(actor=cast.hall_manager, staff=clerk_staff, post="guide")
    assert postings(clerk_staff) == [
        ("H001", "clerk", D(2024, 3, 1), D(2026, 11, 1)),
        ("H001", "guide", D(2026, 11, 2), None),
    ]


def test_an_edit_is_audited_with_what_changed_and_a_no_op_edit_is_not(cast, clerk_staff):
    services.update_staff(actor=cast.hall_manager, staff=clerk_staff, post="guide", name=clerk_staff.name)
    services.update_staff(actor=cast.hall_manager, staff=clerk_staff, post="guide")
    (event,) = AuditEvent.objects.filter(action="staffing.staff.updated")
    assert (event.actor, event.hall_id, event.data) == (
        cast.hall_manager,
        clerk_staff.hall_id,
        {"post": ["clerk", "guide"]},
    )


# --- constraints -------------------------------------------------------------------------


def _violate(constraint, make):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        make()


def test_the_exclusion_constraint_rejects_overlapping_postings_of_one_person(cast, clerk_staff):
    StaffPosting.objects.filter(staff=clerk_staff).update(ended_on=D(2026, 5, 31))
    for start, end in [
        (D(2026, 5, 31), D(2026, 7, 1)),
        (D(2023, 1, 1), D(2024, 3, 1)),
        (D(2025, 1, 1), D(2025, 2, 1)),
    ]:
        _violate(
            "staff_posting_no_overlap",
            lambda s=start, e=end: StaffPosting.objects.create(
                staff=clerk_staff, hall=cast.other_hall, post="clerk", started_on=s, ended_on=e
            ),
        )
    StaffPosting.objects.create(
        staff=clerk_staff, hall=cast.other_hall, post="clerk", started_on=D(2026, 6, 1)
    )
    other = StaffFactory(hall=cast.other_hall, employee_no="E77")
    StaffPosting.objects.create(
        staff=other, hall=cast.hall, post="clerk", started_on=D(2020, 1, 1), ended_on=D(2020, 2, 1)
    )


def test_staff_and_posting_constraints_reject_bad_rows_by_name(cast, clerk_staff):
    base = {
        "name": "x",
        "hall": cast.hall,
        "post": "clerk",
        "employment_type": "formal",
        "hire_date": D(2026, 1, 1),
    }
    _violate("staff_employee_no_unique", lambda: Staff.objects.create(employee_no="C0001", **base))
    _violate("staff_star_level_0_to_5", lambda: Staff.objects.create(employee_no="E1", star_level=6, **base))
    _violate("staff_post_valid", lambda: Staff.objects.create(employee_no="E2", **{**base, "post": "boss"}))
    _violate("staff_status_valid", lambda: Staff.objects.create(employee_no="E3", status="retired", **base))
    _violate(
        "staff_employment_type_valid",
        lambda: Staff.objects.create(employee_no="E4", **{**base, "employment_type": "volunteer"}),
    )
    _violate(
        "staff_posting_ends_after_start",
        lambda: StaffPosting.objects.create(
            staff=clerk_staff, hall=cast.hall, post="clerk", started_on=D(2020, 5, 2), ended_on=D(2020, 5, 1)
        ),
    )
    StaffPosting.objects.filter(staff=clerk_staff).update(ended_on=D(2026, 1, 31))
    StaffPosting.objects.create(staff=clerk_staff, hall=cast.hall, post="clerk", started_on=D(2026, 3, 1))
    _violate(
        "staff_posting_one_open_per_staff",
        lambda: StaffPosting.objects.create(
            staff=clerk_staff, hall=cast.hall, post="clerk", started_on=D(2026, 2, 1)
        ),
    )


# --- field history -----------------------------------------------------------------------


def test_pghistory_records_a_bulk_queryset_update_with_before_and_after(cast, clerk_staff):
    colleague = StaffFactory(hall=cast.hall, employee_no="E55", star_level=2)
    with pghistory.context(command="nightly-star-levels"):
        changed = Staff.objects.filter(hall=cast.hall, post="clerk").update(star_level=5)
    assert changed == 2
    history = field_history(colleague)
    assert history[0]["label"] == "update"
    assert history[0]["changes"] == {"star_level": (2, 5)}
    assert history[-1]["changes"] == {"__created__": True}
    events = Staff.pgh_event_model.objects.filter(pgh_label="update", pgh_obj__in=[clerk_staff, colleague])
    assert sorted(events.values_list("pgh_obj__employee_no", "star_level")) == [("C0001", 5), ("E55", 5)]
    assert {e.pgh_context.metadata["command"] for e in events.select_related("pgh_context")} == {
        "nightly-star-levels"
    }

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from halls import services
from halls.exceptions import ApiClientNameTaken, DomainError, HallCodeTaken, RegionParentInvalid
from halls.models import (
    ALL_READ_SCOPES,
    ApiClient,
    AuditEvent,
    Hall,
    Membership,
    OpeningHours,
    Region,
    Role,
    hash_token,
)
from tests.halls.factories import HallFactory, UserFactory

pytestmark = pytest.mark.django_db


def new_hall(actor, region, **fields):
    defaults = {"code": "H100", "name": "新厅", "hall_class": "B", "operation": "self", "region": region}
    return services.create_hall(actor=actor, **{**defaults, **fields})


@pytest.mark.parametrize(("hall_class", "minimums"), [("A", (3, 4)), ("B", (2, 3))])
def test_a_new_hall_takes_its_class_minimum_staff_on_duty(cast, hall_class, minimums):
    hall = new_hall(cast.branch_manager, cast.hall.region, hall_class=hall_class)
    assert (hall.min_staff_offpeak, hall.min_staff_peak) == minimums
    assert services.class_default_minimums(hall_class) == minimums


def test_explicit_minimums_override_the_class_default_but_peak_never_below_off_peak(cast):
    hall = new_hall(cast.branch_manager, cast.hall.region, min_staff_offpeak=5, min_staff_peak=6)
    assert (hall.min_staff_offpeak, hall.min_staff_peak) == (5, 6)
    with pytest.raises(DomainError) as error:
        new_hall(cast.branch_manager, cast.hall.region, code="H101", min_staff_offpeak=5, min_staff_peak=4)
    assert error.value.field == "min_staff_peak"


def test_create_hall_refuses_a_taken_code_a_foreign_region_and_non_branch_users(cast):
    with pytest.raises(HallCodeTaken):
        new_hall(cast.branch_manager, cast.hall.region, code="H001")
    with pytest.raises(DomainError) as error:
        new_hall(cast.branch_manager, cast.foreign_hall.region)
    assert error.value.field == "region"
    with pytest.raises(PermissionDenied):
        new_hall(cast.hall_manager, cast.hall.region)
    assert not Hall.objects.filter(code="H100").exists()


def test_create_hall_writes_an_audit_row_in_the_same_transaction(cast):
    hall = new_hall(cast.branch_manager, cast.hall.region)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.hall, event.subject_id) == (
        "halls.hall.created",
        cast.branch_manager,
        hall,
        str(hall.pk),
    )


def test_update_hall_refuses_unknown_fields_and_a_peak_below_the_stored_off_peak(cast):
    with pytest.raises(DomainError):
        services.update_hall(actor=cast.branch_manager, hall=cast.hall, colour="red")
    with pytest.raises(DomainError) as error:
        services.update_hall(actor=cast.branch_manager, hall=cast.hall, min_staff_peak=2)
    assert error.value.field == "min_staff_peak"
    hall = services.update_hall(actor=cast.branch_manager, hall=cast.hall, window_count=12)
    assert Hall.objects.get(pk=hall.pk).window_count == 12


def test_update_hall_audits_what_changed_and_nothing_when_nothing_did(cast):
    old_count = cast.hall.window_count
    services.update_hall(
        actor=cast.branch_manager, hall=cast.hall, window_count=old_count + 3, name=cast.hall.name
    )
    services.update_hall(actor=cast.branch_manager, hall=cast.hall, window_count=old_count + 3)
    events = list(AuditEvent.objects.filter(action="halls.hall.updated"))
    assert len(events) == 1
    assert events[0].data == {"window_count": [old_count, old_count + 3]}
    assert events[0].hall_id == cast.hall.pk


def test_set_opening_hours_replaces_the_given_days_and_is_audited(cast):
    nine, six = datetime.time(9), datetime.time(18)
    services.set_opening_hours(
        actor=cast.branch_manager, hall=cast.hall, hours={0: (nine, six), 6: (nine, six)}
    )
    services.set_opening_hours(actor=cast.branch_manager, hall=cast.hall, hours={6: None})
    assert list(OpeningHours.objects.filter(hall=cast.hall).values_list("weekday", flat=True)) == [0]
    events = AuditEvent.objects.filter(action="halls.opening_hours.set").order_by("id")
    assert [e.data for e in events] == [{"0": "09:00-18:00", "6": "09:00-18:00"}, {"6": None}]
    with pytest.raises(DomainError):
        services.set_opening_hours(actor=cast.branch_manager, hall=cast.hall, hours={1: (six, nine)})


# --- regions -----------------------------------------------------------------------------


def test_create_region_sets_the_materialized_path_and_subtree_queries_follow_it(db):
    branch = services.create_region(code="BR07", name="七分公司", kind="branch")
    east = services.create_region(code="CT71", name="东县公司", kind="county", parent=branch)
    services.create_region(code="CT72", name="西县公司", kind="county", parent=branch)
    other = services.create_region(code="BR08", name="八分公司", kind="branch")
    assert (branch.path, east.path) == ("/BR07/", "/BR07/CT71/")
    assert list(Region.objects.subtree_of(branch).values_list("code", flat=True)) == ["BR07", "CT71", "CT72"]
    assert list(Region.objects.subtree_of(east).values_list("code", flat=True)) == ["CT71"]
    assert list(Region.objects.subtree_of(other).values_list("code", flat=True)) == ["BR08"]
    assert east.branch == branch and branch.branch == branch


def test_create_region_refuses_a_branch_with_a_parent_and_a_county_without(db):
    branch = services.create_region(code="BR07", name="七分公司", kind="branch")
    with pytest.raises(RegionParentInvalid):
        services.create_region(code="BR09", name="x", kind="branch", parent=branch)
    with pytest.raises(RegionParentInvalid):
        services.create_region(code="CT99", name="x", kind="county")


def test_a_region_code_that_prefixes_another_does_not_leak_into_its_subtree(db, django_user_model):
    b1 = services.create_region(code="BR1", name="一", kind="branch")
    b10 = services.create_region(code="BR10", name="十", kind="branch")
    HallFactory(code="H1", region=services.create_region(code="C1", name="c", kind="county", parent=b1))
    HallFactory(code="H10", region=services.create_region(code="C10", name="c", kind="county", parent=b10))
    user = UserFactory()
    Membership.objects.create(user=user, role=Role.BRANCH_MANAGER, region=b1)
    assert list(Hall.objects.visible_to(user).values_list("code", flat=True)) == ["H1"]


# --- named constraints -------------------------------------------------------------------


def _violate(constraint, make):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        make()


@pytest.mark.parametrize(
    ("constraint", "change"),
    [
        ("hall_class_valid", {"hall_class": "C"}),
        ("hall_operation_valid", {"operation": "franchise"}),
        ("hall_window_count_positive", {"window_count": 0}),
        ("hall_min_staff_offpeak_positive", {"min_staff_offpeak": 0, "min_staff_peak": 0}),
        ("hall_min_staff_peak_at_least_offpeak", {"min_staff_offpeak": 4, "min_staff_peak": 3}),
        ("hall_code_unique", {"code": "H001"}),
    ],
)
def test_hall_constraints_reject_bad_rows_by_name(hall, constraint, change):
    fields = {"code": "H100", "name": "x", "hall_class": "B", "operation": "self", "region": hall.region}
    fields |= {"window_count": 4, "min_staff_offpeak": 2, "min_staff_peak": 3} | change
    _violate(constraint, lambda: Hall.objects.create(**fields))


def test_region_constraints_reject_bad_rows_by_name(branch):
    _violate(
        "region_branch_is_root_county_has_parent",
        lambda: Region.objects.create(code="X1", name="x", kind="county", path="/X1/"),
    )
    _violate(
        "region_branch_is_root_county_has_parent",
        lambda: Region.objects.create(code="X2", name="x", kind="branch", parent=branch, path="/BR01/X2/"),
    )
    _violate(
        "region_path_ends_with_slash",
        lambda: Region.objects.create(code="X3", name="x", kind="branch", path="/X3"),
    )
    _violate(
        "region_code_unique", lambda: Region.objects.create(code="BR01", name="x", kind="branch", path="/Y/")
    )
    _violate(
        "region_path_unique", lambda: Region.objects.create(code="X4", name="x", kind="branch", path="/BR01/")
    )


def test_opening_hours_and_membership_constraints_reject_bad_rows_by_name(hall, branch):
    nine, six = datetime.time(9), datetime.time(18)
    OpeningHours.objects.create(hall=hall, weekday=0, opens_at=nine, closes_at=six)
    _violate(
        "opening_hours_one_per_weekday",
        lambda: OpeningHours.objects.create(hall=hall, weekday=0, opens_at=nine, closes_at=six),
    )
    _violate(
        "opening_hours_open_before_close",
        lambda: OpeningHours.objects.create(hall=hall, weekday=1, opens_at=six, closes_at=nine),
    )
    _violate(
        "opening_hours_weekday_valid",
        lambda: OpeningHours.objects.create(hall=hall, weekday=7, opens_at=nine, closes_at=six),
    )
    user = UserFactory()
    _violate(
        "membership_scope_matches_role",
        lambda: Membership.objects.create(user=user, role=Role.HALL_MANAGER, region=branch),
    )
    _violate(
        "membership_scope_matches_role",
        lambda: Membership.objects.create(user=user, role=Role.BRANCH_MANAGER, region=branch, hall=hall),
    )
    Membership.objects.create(user=user, role=Role.INSPECTOR, region=branch)
    _violate(
        "membership_region_unique",
        lambda: Membership.objects.create(user=user, role=Role.INSPECTOR, region=branch),
    )


# --- API clients -------------------------------------------------------------------------


def test_create_api_client_stores_only_the_tokens_hash_and_audits(branch, admin_user):
    user = UserFactory(username="hr")
    client, raw = services.create_api_client(actor=admin_user, name="HR", user=user, regions=[branch])
    assert raw.startswith("hop_") and len(raw) > 40
    stored = ApiClient.objects.get(pk=client.pk)
    assert (stored.token_hash, stored.token_prefix) == (hash_token(raw), raw[:8])
    assert raw not in str(ApiClient.objects.filter(pk=client.pk).values().get())
    event = AuditEvent.objects.get(action="halls.api_client.created")
    assert event.data == {
        "name": "HR",
        "regions": ["BR01"],
        "scopes": sorted(ALL_READ_SCOPES),
        "rate_limit_per_minute": 120,
    }
    with pytest.raises(ApiClientNameTaken):
        services.create_api_client(actor=admin_user, name="HR", user=UserFactory(), regions=[branch])


def test_rotating_a_token_replaces_its_hash_and_revoking_is_idempotent(branch, admin_user):
    client, old = services.create_api_client(
        actor=admin_user, name="HR", user=UserFactory(), regions=[branch]
    )
    new = services.rotate_api_client_token(actor=admin_user, client=client)
    assert new != old
    assert ApiClient.objects.get(pk=client.pk).token_hash == hash_token(new)
    services.revoke_api_client(actor=admin_user, client=client)
    services.revoke_api_client(actor=admin_user, client=client)
    assert not ApiClient.objects.get(pk=client.pk).is_active
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "halls.api_client.created",
        "halls.api_client.token_rotated",
        "halls.api_client.revoked",
    ]

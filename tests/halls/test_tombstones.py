"""Tombstones: removals reach sync clients through /api/v1/<resource>/deleted/, scoped, paged
on (updated_at, id) like the live lists, and ordered against the live rows on one clock."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.services.elimination import decide_appeal
from halls.models import AuditEvent, Tombstone
from halls.tombstones import record_tombstones
from staffing.exceptions import QualificationInvalid
from staffing.models import Assignment, Qualification, Roster, Staff
from staffing.qualifications import revoke_qualification
from staffing.roster_services import edit_assignment
from staffing.services import transfer_staff, update_staff
from tests.halls.factories import make_api_client
from tests.staffing.factories import AssignmentFactory, RosterFactory, ShiftTypeFactory, StaffFactory, qualify
from tests.test_access_matrix import elimination_entry

pytestmark = pytest.mark.django_db

STAFF_DELETED = "/api/v1/staff/deleted/"


def walk(client, url):
    rows, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
        pages += 1
    return rows, pages


def test_a_person_who_leaves_appears_as_a_tombstone_after_the_live_change(cast, api):
    staff = StaffFactory(hall=cast.hall)
    update_staff(actor=cast.hall_manager, staff=staff, status=Staff.Status.LEFT)
    rows, _pages = walk(api.as_token(cast.hr_client.raw_token), STAFF_DELETED)
    assert [(r["id"], r["hall"], r["reason"]) for r in rows] == [(staff.pk, cast.hall.pk, "left")]
    tombstone = Tombstone.objects.get()
    assert tombstone.updated_at > Staff.objects.get(pk=staff.pk).updated_at  # the tombstone wins
    # Leaving twice leaves one tombstone.
    update_staff(actor=cast.hall_manager, staff=staff, status=Staff.Status.LEFT)
    assert Tombstone.objects.count() == 1


def test_a_transfer_leaves_a_tombstone_in_the_old_hall_older_than_the_live_row(cast, api):
    staff = StaffFactory(hall=cast.hall, hire_date=datetime.date(2024, 1, 1))
    transfer_staff(
        actor=cast.branch_manager, staff=staff, to_hall=cast.other_hall, on=datetime.date(2026, 1, 1)
    )
    tombstone = Tombstone.objects.get(resource="staff")
    assert (tombstone.object_id, tombstone.hall_id, tombstone.reason) == (staff.pk, cast.hall.pk, "moved")
    assert tombstone.updated_at < Staff.objects.get(pk=staff.pk).updated_at  # the live row wins


def test_tombstones_are_scoped_like_the_rows_they_replace(cast, api):
    record_tombstones(resource="staff", rows=[(1, cast.hall.pk), (2, cast.foreign_hall.pk)], reason="deleted")
    rows, _pages = walk(api.as_token(cast.hr_client.raw_token), STAFF_DELETED)
    assert [r["id"] for r in rows] == [1]
    rows, _pages = walk(api.as_user(cast.other_hall_manager), STAFF_DELETED)
    assert rows == []


def test_a_clerk_sees_only_their_own_staff_tombstone_and_no_one_elses_removals(cast, api):
    own = Staff.objects.get(user=cast.clerk).pk
    record_tombstones(
        resource="staff", rows=[(own, cast.hall.pk), (own + 1000, cast.hall.pk)], reason="moved"
    )
    record_tombstones(resource="elimination_entry", rows=[(5, cast.hall.pk)], reason="removed_on_appeal")
    record_tombstones(resource="assignment", rows=[(7, cast.hall.pk)], reason="deleted")
    clerk = api.as_user(cast.clerk)
    assert [r["id"] for r in walk(clerk, STAFF_DELETED)[0]] == [own]
    assert [r["id"] for r in walk(clerk, "/api/v1/assignments/deleted/")[0]] == [7]
    manager = api.as_user(cast.hall_manager)
    assert sorted(r["id"] for r in walk(manager, STAFF_DELETED)[0]) == [own, own + 1000]


def test_tombstones_need_the_resources_scope(cast, api):
    _client, raw = make_api_client(
        regions=[cast.hall.region.parent], name="halls-only", scopes=["halls:read"]
    )
    response = api.as_token(raw).get(STAFF_DELETED)
    assert response.status_code == 403 and "staff:read" in response.json()["detail"]


def test_tombstones_page_without_skips_or_repeats_and_filter_by_updated_since(cast, api):
    record_tombstones(resource="staff", rows=[(pk, cast.hall.pk) for pk in range(1, 8)], reason="deleted")
    record_tombstones(resource="assignment", rows=[(99, cast.hall.pk)], reason="deleted")
    client = api.as_token(cast.hr_client.raw_token)
    rows, pages = walk(client, STAFF_DELETED + "?page_size=3")
    assert [r["id"] for r in rows] == list(range(1, 8)) and pages == 3
    # A removal while paging comes after the cursor, not lost.
    first = client.get(STAFF_DELETED + "?page_size=3").json()
    record_tombstones(resource="staff", rows=[(50, cast.hall.pk)], reason="deleted")
    rest, _pages = walk(client, first["next"])
    assert [r["id"] for r in first["results"] + rest] == [*range(1, 8), 50]
    cut = Tombstone.objects.get(resource="staff", object_id=50).updated_at
    since = client.get(STAFF_DELETED, {"updated_since": cut.isoformat()}).json()["results"]
    assert [r["id"] for r in since] == [50]
    bad = client.get(STAFF_DELETED, {"updated_since": "yesterday"})
    assert bad.status_code == 400 and "updated_since" in bad.json()["errors"]


def test_tombstone_list_runs_the_same_queries_at_n_and_3n_rows(cast, api):
    client = api.as_token(cast.hr_client.raw_token)
    client.get(STAFF_DELETED)  # the first use in a minute stamps last_used_at

    def count(n):
        record_tombstones(resource="staff", rows=[(pk, cast.hall.pk) for pk in range(n)], reason="deleted")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(STAFF_DELETED).status_code == 200
        return len(queries)

    assert count(4) == count(8)


def test_an_assignment_cleared_from_a_roster_leaves_a_tombstone(cast, api):
    roster = RosterFactory(hall=cast.hall, requirement={})
    staff = StaffFactory(hall=cast.hall)
    shift = ShiftTypeFactory(hall=cast.hall)
    assignment = AssignmentFactory(roster=roster, staff=staff, shift_type=shift, date=roster.period_start)
    edit_assignment(
        actor=cast.hall_manager, roster=roster, staff=staff, day=roster.period_start, shift_type=None
    )
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    rows, _pages = walk(api.as_token(cast.hr_client.raw_token), "/api/v1/assignments/deleted/")
    assert [(r["id"], r["hall"], r["reason"]) for r in rows] == [(assignment.pk, cast.hall.pk, "deleted")]
    assert Roster.objects.filter(pk=roster.pk).exists()


def test_an_elimination_entry_removed_on_appeal_leaves_a_tombstone(cast, api, admin_user):
    cast.admin_user = admin_user
    entry, appeal = elimination_entry(cast, cast.hall, "under_review", appeal=True)
    decide_appeal(appeal=appeal, actor=admin_user, upheld=True, decision_reason="同意")
    rows, _pages = walk(
        api.as_token(cast.hr_client.raw_token), "/api/v1/assessment/elimination-entries/deleted/"
    )
    assert [(r["id"], r["reason"]) for r in rows] == [(entry.pk, "removed_on_appeal")]


def test_a_revoked_qualification_is_deleted_audited_and_tombstoned(cast, api):
    staff = StaffFactory(hall=cast.hall)
    qualification = qualify(staff, expires_on=datetime.date(2027, 1, 1))
    with pytest.raises(QualificationInvalid) as refused:
        revoke_qualification(actor=cast.hall_manager, qualification=qualification, reason=" ")
    assert refused.value.field == "reason" and Qualification.objects.filter(pk=qualification.pk).exists()
    revoke_qualification(actor=cast.hall_manager, qualification=qualification, reason="录入错误")
    assert not Qualification.objects.filter(pk=qualification.pk).exists()
    audit = AuditEvent.objects.get(action="staffing.qualification.revoked")
    assert audit.data["reason"] == "录入错误" and audit.hall_id == cast.hall.pk
    rows, _pages = walk(api.as_token(cast.hr_client.raw_token), "/api/v1/qualifications/deleted/")
    assert [(r["id"], r["reason"]) for r in rows] == [(qualification.pk, "revoked")]

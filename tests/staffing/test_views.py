import datetime

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from halls.models import AuditEvent
from staffing import services
from staffing.models import Staff, StaffPosting
from tests.pages import error_is_beside_field, field_error
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db


def new_staff_data(hall, **overrides):
    data = {
        "employee_no": "C0100",
        "name": "张晓",
        "hall": hall.pk,
        "post": "clerk",
        "employment_type": "contract",
        "hire_date": "2026-03-01",
        "status": "probation",
        "star_level": "1",
        "phone": "138 0000 0000",
    }
    data.update(overrides)
    return data


# --- List -------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx-fragment"])
def test_staff_list_runs_the_same_queries_at_n_and_3n_staff(cast, client, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    client.force_login(cast.branch_manager)
    url = reverse("staff_list")

    for _ in range(4):
        StaffFactory(hall=cast.other_hall)
    with CaptureQueriesContext(connection) as at_n:
        first = client.get(url, **headers)
    for _ in range(12):
        StaffFactory(hall=cast.other_hall)
    with CaptureQueriesContext(connection) as at_3n:
        second = client.get(url, **headers)

    assert len(first.context["page_obj"].object_list) == 6  # 4 + the hall manager + the clerk
    assert len(second.context["page_obj"].object_list) == 18
    # The full page also counts the navbar unread-notification badge.
    assert len(at_n.captured_queries) == len(at_3n.captured_queries) == (7 if htmx else 9)


def test_staff_list_searches_name_or_employee_number_and_filters(cast, client):
    StaffFactory(hall=cast.hall, name="赵敏", employee_no="G0001", post="guide", employment_type="temporary")
    client.force_login(cast.hall_manager)

    def codes(**params):
        return [s.employee_no for s in client.get(reverse("staff_list"), params).context["page_obj"]]

    assert codes(q="赵") == ["G0001"]
    assert codes(q="c000") == ["C0001"]
    assert codes(post="guide") == ["G0001"]
    assert codes(employment_type="temporary") == ["G0001"]
    assert codes(hall=cast.hall.pk) == ["C0001", "G0001", "M0001"]


def test_staff_list_of_a_hall_manager_holds_only_own_hall(cast, client):
    StaffFactory(hall=cast.other_hall, employee_no="X1")
    client.force_login(cast.hall_manager)

    response = client.get(reverse("staff_list"))

    assert {s.hall_id for s in response.context["page_obj"]} == {cast.hall.pk}
    assert "X1" not in response.content.decode()


def test_staff_list_answers_htmx_with_the_results_fragment_only(cast, client):
    client.force_login(cast.hall_manager)

    response = client.get(reverse("staff_list"), {"q": "李"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body
    assert "李营业员" in body and "王经理" not in body


# --- Detail -----------------------------------------------------------------------


def test_another_halls_staff_member_is_not_found(cast, client):
    stranger = StaffFactory(hall=cast.other_hall)
    client.force_login(cast.hall_manager)

    for name in ("staff_detail", "staff_edit", "staff_transfer"):
        assert client.get(reverse(name, args=[stranger.pk])).status_code == 404, name


def test_staff_detail_shows_postings_history_and_audit_after_a_transfer(cast, client):
    person = StaffFactory(hall=cast.hall, name="周洁")
    client.force_login(cast.branch_manager)
    client.post(
        reverse("staff_transfer", args=[person.pk]), {"to_hall": cast.other_hall.pk, "on": "2026-06-01"}
    )

    response = client.get(reverse("staff_detail", args=[person.pk]))

    assert [(p.hall.code, p.ended_on) for p in response.context["postings"]] == [
        ("H002", None),
        ("H001", datetime.date(2026, 5, 31)),
    ]
    [event] = response.context["audit_events"]  # recorded for both halls, shown once
    assert event.action == "staffing.staff.transferred"
    assert "人员已调动" in response.content.decode()
    hall_change = response.context["history"][0]["changes"]
    assert hall_change == [{"field": "营业厅", "old": "人民路营业厅 (H001)", "new": "解放路营业厅 (H002)"}]


def test_clerk_sees_own_record_without_history_or_actions(cast, client, clerk_staff):
    client.force_login(cast.clerk)

    response = client.get(reverse("staff_detail", args=[clerk_staff.pk]))

    assert response.status_code == 200
    assert response.context["can_edit"] is False and response.context["can_view_audit"] is False
    assert reverse("staff_edit", args=[clerk_staff.pk]) not in response.content.decode()


# --- Create -----------------------------------------------------------------------


def test_hall_manager_creates_a_staff_member_after_fixing_the_form(cast, client):
    client.force_login(cast.hall_manager)
    url = reverse("staff_create")

    invalid = client.post(url, new_staff_data(cast.hall, employee_no="no spaces!", star_level="7", name=""))
    valid = client.post(url, new_staff_data(cast.hall))

    assert invalid.status_code == 200
    assert field_error(invalid, "employee_no") == "请使用 1–20 个字母、数字、连字符或下划线。"
    assert field_error(invalid, "name") == "该字段是必填项。"
    assert field_error(invalid, "star_level") == "确保该值小于或等于5。"
    assert all(error_is_beside_field(invalid, name) for name in ("employee_no", "name", "star_level"))
    assert field_error(invalid, "post") is None
    person = Staff.objects.get(employee_no="C0100")
    assert valid.status_code == 302 and valid["Location"] == reverse("staff_detail", args=[person.pk])
    assert (person.hall, person.status, person.star_level) == (cast.hall, "probation", 1)
    assert list(StaffPosting.objects.filter(staff=person).values_list("started_on", flat=True)) == [
        datetime.date(2026, 3, 1)
    ]
    assert AuditEvent.objects.get(action="staffing.staff.created").actor == cast.hall_manager


def test_a_taken_employee_number_is_reported_beside_the_field(cast, client):
    client.force_login(cast.hall_manager)

    response = client.post(reverse("staff_create"), new_staff_data(cast.hall, employee_no="C0001"))

    assert response.status_code == 200
    assert field_error(response, "employee_no") == "此工号已被使用。"
    assert error_is_beside_field(response, "employee_no")
    assert Staff.objects.filter(employee_no="C0001").count() == 1


def test_hall_manager_cannot_create_staff_in_another_hall(cast, client):
    client.force_login(cast.hall_manager)

    response = client.post(reverse("staff_create"), new_staff_data(cast.other_hall))

    assert response.status_code == 200
    assert field_error(response, "hall") is not None  # not among the choices
    assert not Staff.objects.filter(employee_no="C0100").exists()


def test_a_constraint_violation_becomes_a_form_error_not_a_server_error(cast, client, monkeypatch):
    def racing_create(**kwargs):
        raise IntegrityError('duplicate key value violates unique constraint "staff_employee_no_unique"')

    monkeypatch.setattr(services, "create_staff", racing_create)
    client.force_login(cast.hall_manager)

    response = client.post(reverse("staff_create"), new_staff_data(cast.hall))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["此更改与现有数据冲突，未保存任何内容。"]
    assert "此更改与现有数据冲突" in response.content.decode()


def test_clerk_may_not_create_or_edit_staff(cast, client, clerk_staff):
    client.force_login(cast.clerk)

    assert client.get(reverse("staff_create")).status_code == 403
    assert client.get(reverse("staff_edit", args=[clerk_staff.pk])).status_code == 403
    assert client.post(reverse("staff_edit", args=[clerk_staff.pk]), {"name": "改名"}).status_code == 403
    clerk_staff.refresh_from_db()
    assert clerk_staff.name == "李营业员"


# --- Edit and transfer ------------------------------------------------------------


def test_hall_manager_edits_a_staff_member(cast, client, clerk_staff):
    client.force_login(cast.hall_manager)
    data = {
        "name": "李营业员",
        "post": "clerk",
        "employment_type": "formal",
        "hire_date": "2024-03-01",
        "status": "on_leave",
        "star_level": "4",
        "phone": "",
    }

    response = client.post(reverse("staff_edit", args=[clerk_staff.pk]), data)

    assert response.status_code == 302
    clerk_staff.refresh_from_db()
    assert (clerk_staff.status, clerk_staff.star_level) == ("on_leave", 4)


def test_transfer_date_before_the_current_posting_is_reported_beside_the_date(cast, client):
    person = StaffFactory(hall=cast.hall)
    client.force_login(cast.branch_manager)

    response = client.post(
        reverse("staff_transfer", args=[person.pk]), {"to_hall": cast.other_hall.pk, "on": "2024-01-01"}
    )

    assert response.status_code == 200
    assert field_error(response, "on") == "调动日期必须晚于当前任职的开始日期（2024-03-01）。"
    assert error_is_beside_field(response, "on")
    person.refresh_from_db()
    assert person.hall == cast.hall


def test_hall_manager_may_not_transfer_staff(cast, client, clerk_staff):
    client.force_login(cast.hall_manager)

    response = client.post(
        reverse("staff_transfer", args=[clerk_staff.pk]), {"to_hall": cast.other_hall.pk, "on": "2026-06-01"}
    )

    assert response.status_code == 403
    clerk_staff.refresh_from_db()
    assert clerk_staff.hall == cast.hall

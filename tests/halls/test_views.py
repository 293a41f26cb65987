import json
import re
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from halls.models import AuditEvent, Hall, OpeningHours
from tests.halls.factories import HallFactory, UserFactory
from tests.pages import error_is_beside_field, field_error
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db


def hall_form_data(hall, **overrides):
    data = {
        "code": hall.code,
        "name": hall.name,
        "hall_class": hall.hall_class,
        "operation": hall.operation,
        "region": hall.region_id,
        "address": hall.address,
        "window_count": hall.window_count,
        "min_staff_offpeak": hall.min_staff_offpeak,
        "min_staff_peak": hall.min_staff_peak,
        "is_active": "on" if hall.is_active else "",
    }
    for day in range(7):
        data[f"weekday_{day}_opens"] = ""
        data[f"weekday_{day}_closes"] = ""
    data.update(overrides)
    return {k: v for k, v in data.items() if v not in (None, False)}


# --- Dashboard ------------------------------------------------------------------


def test_branch_manager_dashboard_counts_the_branchs_halls_and_staff_and_feeds_the_chart(cast, client):
    HallFactory(region=cast.hall.region, hall_class="B", operation="partner")
    StaffFactory(hall=cast.other_hall, status="probation")
    StaffFactory(hall=cast.foreign_hall, status="probation")  # another branch: not counted
    client.force_login(cast.branch_manager)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview["halls"] == {
        "total": 3,
        "class_a": 1,
        "class_b": 2,
        "self_operated": 2,
        "partner_operated": 1,
        "inactive": 0,
    }
    by_status = {row["status"]: row["count"] for row in overview["staff_by_status"]}
    assert by_status == {
        "probation": 1,
        "active": 2,
        "on_leave": 0,
        "left": 0,
    }  # manager and clerk are active
    chart = json.loads(
        re.search(
            r'id="halls-per-region" type="application/json">(.*?)</script>', response.content.decode()
        ).group(1)
    )
    assert chart["labels"] == ["东区", "西区"]
    assert [ds["data"] for ds in chart["datasets"]] == [[1, 0], [1, 1]]
    assert b'data-chart="halls-per-region"' in response.content
    assert b"chart.umd.min.js" in response.content


def test_hall_manager_dashboard_shows_own_hall_with_staff_by_post_and_status(cast, client):
    StaffFactory(hall=cast.hall, post="guide", status="probation")
    StaffFactory(hall=cast.hall, status="left")  # not on the books any more
    StaffFactory(hall=cast.other_hall)
    client.force_login(cast.hall_manager)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert "overview" not in response.context
    [card] = response.context["hall_cards"]
    assert card["hall"] == cast.hall
    table = card["staff_table"]
    assert [(row["post"], row["counts"]) for row in table["rows"]] == [
        ("clerk", [0, 1, 0]),
        ("guide", [1, 0, 0]),
        ("hall_manager", [0, 1, 0]),
    ]
    assert table["total"] == 3
    assert reverse("hall_detail", args=[cast.hall.pk]).encode() in response.content
    assert b"chart.umd.min.js" not in response.content


def test_inspector_dashboard_lists_the_halls_of_the_region(cast, client):
    client.force_login(cast.inspector)

    response = client.get(reverse("dashboard"))

    assert [h.code for h in response.context["inspected_halls"]] == ["H001", "H002"]
    assert response.context["inspected_total"] == 2
    assert "overview" not in response.context


def test_clerk_dashboard_shows_own_record_and_hall(cast, client, clerk_staff):
    client.force_login(cast.clerk)

    response = client.get(reverse("dashboard"))

    assert response.context["own_staff"] == clerk_staff
    assert response.context["own_hall"] == cast.hall
    assert "hall_cards" not in response.context and "overview" not in response.context
    assert "李营业员" in response.content.decode()


def test_superuser_dashboard_covers_every_branch(cast, client, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("dashboard"))

    assert response.context["overview"]["halls"]["total"] == 3
    assert "全部分公司" in response.content.decode()


def test_user_without_a_role_is_told_there_is_no_access_yet(db, client):
    client.force_login(UserFactory(username="newcomer"))

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "halls/dashboard_no_access.html"
    assert "您暂时没有访问权限" in response.content.decode()


# --- Hall list ------------------------------------------------------------------


def hall_list_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx-fragment"])
def test_hall_list_runs_the_same_queries_at_n_and_3n_halls(cast, client, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    client.force_login(cast.branch_manager)
    url = reverse("hall_list")

    for _ in range(4):
        StaffFactory(hall=HallFactory(region=cast.hall.region))
    with CaptureQueriesContext(connection) as at_n:
        first = client.get(url, **headers)
    for _ in range(12):
        StaffFactory(hall=HallFactory(region=cast.hall.region))
    with CaptureQueriesContext(connection) as at_3n:
        second = client.get(url, **headers)

    assert len(first.context["page_obj"].object_list) == 6
    assert len(second.context["page_obj"].object_list) == 18
    # The full page also counts the navbar unread-notification badge.
    assert len(at_n.captured_queries) == len(at_3n.captured_queries) == (8 if htmx else 10)


def test_hall_list_filters_by_class_and_searches_name_or_code(cast, client):
    HallFactory(code="H777", name="北街营业厅", region=cast.hall.region, hall_class="A")
    client.force_login(cast.branch_manager)

    by_class = client.get(reverse("hall_list"), {"hall_class": "A"})
    by_name = client.get(reverse("hall_list"), {"q": "北街"})
    by_code = client.get(reverse("hall_list"), {"q": "h00"})
    by_region = client.get(reverse("hall_list"), {"region": cast.other_hall.region_id})

    assert [h.code for h in by_class.context["page_obj"]] == ["H001", "H777"]
    assert [h.code for h in by_name.context["page_obj"]] == ["H777"]
    assert [h.code for h in by_code.context["page_obj"]] == ["H001", "H002"]
    assert [h.code for h in by_region.context["page_obj"]] == ["H002"]


def test_hall_list_answers_htmx_with_the_results_fragment_only(cast, client):
    client.force_login(cast.branch_manager)

    response = client.get(reverse("hall_list"), {"q": "人民"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body and '<nav class="navbar' not in body
    assert "人民路营业厅" in body and "解放路营业厅" not in body
    assert "HX-Request" in response["Vary"]


def test_hall_list_pages_through_many_halls(cast, client):
    for _ in range(30):
        HallFactory(region=cast.hall.region)
    client.force_login(cast.branch_manager)

    second = client.get(reverse("hall_list"), {"page": 2})

    assert second.context["page_obj"].number == 2
    assert len(second.context["page_obj"].object_list) == 7  # 32 halls, 25 a page
    assert 'hx-get="?page=1"' in second.content.decode()


# --- Hall detail ----------------------------------------------------------------


def test_hall_detail_of_a_hall_in_another_branch_is_not_found(cast, client):
    client.force_login(cast.branch_manager)

    assert client.get(reverse("hall_detail", args=[cast.foreign_hall.pk])).status_code == 404


def test_hall_detail_shows_opening_hours_and_history_to_those_who_may_see_the_audit(cast, client):
    OpeningHours.objects.create(hall=cast.hall, weekday=0, opens_at=time(9), closes_at=time(18))
    client.force_login(cast.branch_manager)
    client.post(
        reverse("hall_edit", args=[cast.hall.pk]),
        hall_form_data(cast.hall, name="人民路旗舰营业厅", weekday_0_opens="09:00", weekday_0_closes="18:00"),
    )

    manager_view = client.get(reverse("hall_detail", args=[cast.hall.pk]))
    client.force_login(cast.clerk)
    clerk_view = client.get(reverse("hall_detail", args=[cast.hall.pk]))

    history = manager_view.context["history"]
    assert history[0]["changes"] == [{"field": "名称", "old": "人民路营业厅", "new": "人民路旗舰营业厅"}]
    assert history[0]["user"] == cast.branch_manager
    assert "09:00–18:00" in manager_view.content.decode()
    assert manager_view.context["can_view_audit"] is True
    assert clerk_view.status_code == 200
    assert clerk_view.context["can_view_audit"] is False
    assert "history" not in clerk_view.context and "staff_table" not in clerk_view.context
    assert "变更历史" not in clerk_view.content.decode()


# --- Hall edit ------------------------------------------------------------------


def test_branch_manager_edits_a_hall_and_its_opening_hours(cast, client):
    client.force_login(cast.branch_manager)

    response = client.post(
        reverse("hall_edit", args=[cast.hall.pk]),
        hall_form_data(
            cast.hall, window_count=8, has_vip_zone="on", weekday_5_opens="10:00", weekday_5_closes="16:00"
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("hall_detail", args=[cast.hall.pk])
    hall = Hall.objects.get(pk=cast.hall.pk)
    assert (hall.window_count, hall.has_vip_zone) == (8, True)
    assert list(hall.opening_hours.values_list("weekday", "opens_at", "closes_at")) == [
        (5, time(10), time(16))
    ]
    event = AuditEvent.objects.get(action="halls.opening_hours.set")
    assert event.actor == cast.branch_manager and event.data["5"] == "10:00-16:00"


def test_hall_edit_shows_errors_beside_the_fields_and_saves_nothing(cast, client):
    client.force_login(cast.branch_manager)

    response = client.post(
        reverse("hall_edit", args=[cast.hall.pk]),
        hall_form_data(
            cast.hall,
            min_staff_offpeak=4,
            min_staff_peak=3,
            weekday_2_opens="18:00",
            weekday_2_closes="09:00",
        ),
    )

    assert response.status_code == 200
    assert field_error(response, "min_staff_peak") == "高峰期最少在岗人数不能低于非高峰期。"
    assert field_error(response, "weekday_2_closes") == "开门时间必须早于关门时间。"
    assert error_is_beside_field(response, "min_staff_peak")
    assert error_is_beside_field(response, "weekday_2_closes")
    assert Hall.objects.get(pk=cast.hall.pk).min_staff_offpeak == 3
    assert not OpeningHours.objects.filter(hall=cast.hall).exists()


def test_hall_edit_puts_a_service_refusal_beside_the_field_it_names(cast, client):
    client.force_login(cast.branch_manager)

    response = client.post(reverse("hall_edit", args=[cast.hall.pk]), hall_form_data(cast.hall, code="H002"))

    assert response.status_code == 200
    assert field_error(response, "code") == "已存在使用此编码的营业厅。"
    assert error_is_beside_field(response, "code")
    assert Hall.objects.get(pk=cast.hall.pk).code == "H001"


def test_hall_manager_may_not_edit_the_hall(cast, client):
    client.force_login(cast.hall_manager)

    response = client.get(reverse("hall_edit", args=[cast.hall.pk]))

    assert response.status_code == 403
    assert "您无权执行此操作" in response.content.decode()


# --- Languages ------------------------------------------------------------------


def test_pages_are_chinese_by_default_and_english_after_switching(cast, client):
    client.force_login(cast.hall_manager)

    chinese = client.get(reverse("hall_list"))
    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("hall_list")})
    english = client.get(reverse("hall_list"))

    assert '<html lang="zh-hans">' in chinese.content.decode()
    assert "<h1>营业厅管理</h1>" in chinese.content.decode()
    assert "A类（旗舰厅）" in chinese.content.decode()
    assert switched.status_code == 302 and switched["Location"] == reverse("hall_list")
    assert '<html lang="en">' in english.content.decode()
    assert "<h1>Service halls</h1>" in english.content.decode()
    assert "Class A (flagship)" in english.content.decode()


def test_login_page_is_styled_and_translated(db, client):
    response = client.get(reverse("login"))

    body = response.content.decode()
    assert "登录 HallOps" in body
    assert 'class="form-control"' in body or "form-control" in body
    assert "/static/vendor/bootstrap/bootstrap.min.css" in body
    assert "<script>" not in body  # no inline scripts: the CSP will forbid them


def test_hall_form_lays_out_every_attribute_the_service_accepts():
    from halls.forms import HallForm
    from halls.services import HALL_FIELDS

    assert sorted(name for name, _width in HallForm.ATTRIBUTE_LAYOUT) == sorted(HALL_FIELDS)

"""A hall manager on a phone records a session's attendance for the whole hall, mistypes an exam
score, sees the error beside that person's row, corrects it and saves.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser import PHONE, assert_no_horizontal_overflow
from tests.training.factories import TrainingSessionFactory
from training.models import Attendance, ExamResult

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    """A phone whose browser asks for Chinese, like the halls' own phones."""
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def test_hall_manager_records_attendance_and_sees_a_row_error_on_a_phone(
    live_server, page, hall_manager, hall, clerk_staff
):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    TrainingSessionFactory(
        halls=[hall],
        topic="情景模拟：客户投诉处理",
        kind="simulation",
        date=timezone.localdate(),
        exam_kind="interactive",
        exam_max_score=Decimal("100"),
        exam_pass_mark=Decimal("60"),
    )
    manager_staff = hall_manager.staff
    page.goto(live_server.url + "/")
    page.fill("#id_username", "hall-manager")
    page.fill("#id_password", "pass-word-123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")

    page.get_by_role("button", name="展开或收起导航").click()
    page.get_by_role("link", name="培训", exact=True).click()
    page.wait_for_url(live_server.url + "/training/")
    assert page.get_by_role("heading", name="培训日历").is_visible()
    assert_no_horizontal_overflow(page)

    page.get_by_role("link", name="情景模拟：客户投诉处理").click()
    page.wait_for_url(f"{live_server.url}/training/sessions/*/?hall=H001")
    assert page.get_by_role("heading", name="情景模拟：客户投诉处理").is_visible()
    assert_no_horizontal_overflow(page)

    page.select_option(f"#id_status_{manager_staff.pk}", "excused")
    page.fill(f"#id_score_{clerk_staff.pk}", "120")
    page.get_by_role("button", name="保存出勤").click()

    error = page.locator(f"#id_score_{clerk_staff.pk}_errors")
    error.wait_for()
    assert error.inner_text() == "请输入 0 至 100 之间的成绩。"
    assert page.locator(f"#id_score_{clerk_staff.pk}").get_attribute("aria-invalid") == "true"
    assert page.get_by_role("alert").first.inner_text().startswith("有 1 行需要更正；未保存任何内容。")
    assert Attendance.objects.count() == 0
    assert page.locator(f"#id_status_{manager_staff.pk}").input_value() == "excused"
    assert_no_horizontal_overflow(page)

    page.fill(f"#id_score_{clerk_staff.pk}", "95")
    page.get_by_role("button", name="保存出勤").click()
    page.wait_for_url(f"{live_server.url}/training/sessions/*/?hall=H001")
    page.get_by_text("已保存 2 人的出勤和 1 个考试成绩。").wait_for()
    assert dict(Attendance.objects.values_list("staff__employee_no", "status")) == {
        "C0001": "present",
        "M0001": "excused",
    }
    assert ExamResult.objects.get().score == Decimal("95.0")
    assert page.locator(f"#id_score_{clerk_staff.pk}").input_value() == "95"
    assert problems == []

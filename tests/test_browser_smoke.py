"""A hall manager on a phone: log in, dashboard, staff list, add a person (wrong, then right).

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

import pytest

from staffing.models import Staff
from tests.browser import PHONE, assert_no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    """A phone whose browser asks for Chinese, like the halls' own phones."""
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def test_hall_manager_adds_a_staff_member_on_a_phone(live_server, page, hall_manager, hall, clerk_staff):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(live_server.url + "/")
    page.fill("#id_username", "hall-manager")
    page.fill("#id_password", "pass-word-123")
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("heading", name="首页").is_visible()
    assert page.get_by_text("人民路营业厅").first.is_visible()
    assert_no_horizontal_overflow(page)

    page.get_by_role("button", name="展开或收起导航").click()
    page.get_by_role("link", name="人员", exact=True).click()
    page.wait_for_url(live_server.url + "/staff/")
    assert page.get_by_role("link", name="王经理").is_visible()
    assert_no_horizontal_overflow(page)

    # Typing in the search box refreshes the results in place (htmx) and keeps the URL in step.
    page.fill("#id_q", "李")
    page.wait_for_url(f"{live_server.url}/staff/?*q=*")
    page.get_by_role("link", name="王经理").wait_for(state="detached")
    assert page.get_by_role("link", name="李营业员").is_visible()
    page.fill("#id_q", "")
    page.get_by_role("link", name="王经理").wait_for()

    page.get_by_role("link", name="新增人员").click()
    page.wait_for_url(live_server.url + "/staff/new/")
    page.fill("#id_employee_no", "bad no!")
    page.fill("#id_name", "张晓")
    page.get_by_role("button", name="保存").click()

    error = page.locator("#id_employee_no_errors")
    error.wait_for()
    assert error.inner_text() == "请使用 1–20 个字母、数字、连字符或下划线。"
    assert page.locator("#id_employee_no").get_attribute("aria-describedby") == "id_employee_no_errors"
    assert_no_horizontal_overflow(page)

    page.fill("#id_employee_no", "C0200")
    page.get_by_role("button", name="保存").click()

    page.wait_for_url(f"{live_server.url}/staff/*/")
    assert page.get_by_role("alert").inner_text().startswith("已添加 张晓。")
    assert page.get_by_role("heading", name="张晓").is_visible()
    assert_no_horizontal_overflow(page)
    assert Staff.objects.get(employee_no="C0200").hall == hall
    assert problems == []

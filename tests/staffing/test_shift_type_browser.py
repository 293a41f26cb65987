"""A hall manager on a phone finds the new-roster page without shift types, follows its link,
adds a shift type and sees it offered on the new-roster page. No page scrolls sideways.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

import pytest

from staffing.models import ShiftType
from tests.browser import PHONE, assert_no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def test_hall_manager_adds_a_shift_type_on_a_phone_and_it_is_offered(live_server, page, hall, hall_manager):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "hall-manager")
    page.fill("#id_password", "pass-word-123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(f"{live_server.url}/staff/rosters/hall/{hall.pk}/new/")
    assert page.get_by_text("本营业厅还没有班次。").is_visible()
    assert page.get_by_text("管理后台").count() == 0
    assert_no_horizontal_overflow(page)
    page.get_by_role("link", name="添加班次").first.click()
    page.wait_for_url(f"{live_server.url}/staff/rosters/hall/{hall.pk}/shift-types/new/")
    assert_no_horizontal_overflow(page)

    # A break of five hours is refused beside its field; nothing is saved.
    page.fill("#id_code", "D")
    page.fill("#id_name", "早班")
    page.fill("#id_start", "08:30")
    page.fill("#id_end", "17:00")
    page.fill("#id_break_minutes", "300")
    page.get_by_role("button", name="保存").click()
    page.locator("#id_break_minutes_errors").wait_for()
    assert not ShiftType.objects.exists()
    assert_no_horizontal_overflow(page)

    page.fill("#id_break_minutes", "60")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/staff/rosters/hall/{hall.pk}/shift-types/")
    row = page.locator('[data-shift-type="D"]')
    assert "早班" in row.inner_text() and "08:30–17:00" in row.inner_text()
    assert_no_horizontal_overflow(page)

    page.get_by_role("link", name="新建排班").click()
    page.wait_for_url(f"{live_server.url}/staff/rosters/hall/{hall.pk}/new/")
    offered = page.locator(".list-group-item").filter(has_text="早班")
    assert offered.locator(".shift-pill").inner_text() == "D"
    assert page.get_by_text("本营业厅还没有班次。").count() == 0
    assert_no_horizontal_overflow(page)
    assert problems == []

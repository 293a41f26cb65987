"""On phones: a clerk takes in a complaint at the counter; the hall manager finds it on the queue
board with its deadline counting down, opens it, assigns it, starts and replies.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

import re

import pytest

from complaints.models import Complaint
from halls.models import AuditEvent
from tests.browser import PHONE, assert_no_horizontal_overflow, log_in
from tests.pages import wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    """A phone whose browser asks for Chinese, like the halls' own phones."""
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def watch_console(page, problems: list):
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))


def test_a_clerk_takes_in_a_complaint_and_the_hall_manager_replies_on_a_phone(
    live_server, page, browser, browser_context_args, hall, hall_manager, clerk_staff
):
    problems: list[str] = []
    watch_console(page, problems)

    # The clerk at the counter: the navbar's Complaints link, then the intake form.
    log_in(page, live_server.url, "clerk")
    page.get_by_role("button", name="展开或收起导航").click()
    page.get_by_role("link", name="投诉", exact=True).click()
    page.wait_for_url(live_server.url + "/complaints/")
    assert_no_horizontal_overflow(page)
    page.get_by_role("link", name="受理投诉").click()
    page.wait_for_url(live_server.url + "/complaints/new/")
    page.fill("#id_customer_name", "刘女士")
    page.fill("#id_customer_phone", "12")
    page.select_option("#id_category", "waiting_time")
    page.select_option("#id_severity", "sensitive")
    page.fill("#id_subject", "排队一小时无人处理")
    page.get_by_role("button", name="受理投诉").click()
    error = page.locator("#id_customer_phone_errors")
    error.wait_for()
    assert error.inner_text() == "请输入 5 至 20 位数字的电话号码。"
    assert_no_horizontal_overflow(page)
    page.fill("#id_customer_phone", "13700001111")
    page.get_by_role("button", name="受理投诉").click()
    page.wait_for_url(re.compile(r".*/complaints/\d+/$"))
    complaint = Complaint.objects.get()
    assert page.get_by_role("alert").first.inner_text().startswith(f"投诉 {complaint.number} 已受理。")
    assert complaint.first_receiver == clerk_staff.user
    assert_no_horizontal_overflow(page)

    # The hall manager, on another phone.
    manager_context = browser.new_context(**browser_context_args)
    manager = manager_context.new_page()
    watch_console(manager, problems)
    log_in(manager, live_server.url, "hall-manager")
    manager.goto(live_server.url + "/complaints/")
    row = manager.get_by_role("row").filter(has_text="排队一小时无人处理")
    countdown = row.locator(".countdown[data-due]")
    first = countdown.inner_text()
    assert re.fullmatch(r"剩余 (1天 23:59:\d\d|2天 00:00:00)", first), first
    assert countdown.get_attribute("data-state") == "on_track"
    manager.wait_for_timeout(2100)
    assert countdown.inner_text() != first  # app.js keeps the countdown running
    assert_no_horizontal_overflow(manager)

    # Filters swap the results in place and keep the URL in step. Each swap is let settle before
    # the next act: a filter changed while htmx is still swapping, or a link in the new results
    # clicked before htmx has processed them, may be lost on a loaded machine.
    manager.get_by_label("已超时").check()
    manager.wait_for_url(re.compile(r".*/complaints/\?.*overdue=on"))
    manager.get_by_text("没有符合筛选条件的投诉。").wait_for()
    wait_for_htmx(manager)
    manager.get_by_label("已超时").uncheck()
    manager.get_by_role("link", name="排队一小时无人处理").wait_for()
    wait_for_htmx(manager)

    manager.get_by_role("link", name="排队一小时无人处理").click()
    manager.wait_for_url(f"{live_server.url}/complaints/{complaint.pk}/")
    # Masked until the hall's manager asks for the customer (an explicit, audited act).
    assert manager.get_by_text("137****1111").is_visible()
    assert manager.get_by_text("13700001111").count() == 0
    manager.get_by_role("button", name="显示客户联系方式").click()
    manager.get_by_text("13700001111").wait_for()
    wait_for_htmx(manager)
    assert manager.get_by_role("button", name="显示客户联系方式").count() == 0
    manager.select_option("#id_assign-handler", label="王经理 · 厅经理 · 人民路营业厅")
    manager.get_by_role("button", name="派单", exact=True).click()
    manager.get_by_role("button", name="开始处理").click()
    manager.get_by_text("已开始处理。").wait_for()
    manager.fill("#id_reply-reply", "已为客户增开窗口并致歉")
    manager.fill("#id_reply-root_cause", "周六高峰排班不足")
    manager.get_by_role("button", name="记录答复").click()
    manager.get_by_text("对客户的答复已记录。").wait_for()
    assert manager.locator(".page-header .badge").first.inner_text() == "已答复客户"
    assert_no_horizontal_overflow(manager)
    manager_context.close()

    complaint.refresh_from_db()
    assert (complaint.status, complaint.current_handler, complaint.first_receiver) == (
        "replied",
        hall_manager,
        clerk_staff.user,
    )
    assert complaint.met_deadline is True
    assert AuditEvent.objects.filter(action="complaints.complaint.contact_viewed").count() == 1
    assert problems == []

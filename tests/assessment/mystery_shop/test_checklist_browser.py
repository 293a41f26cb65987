"""On a phone (375 px): the market department copies the checklist in force into a draft, meets an
error beside a field, fixes it, saves the draft and puts it in force behind the confirmation page;
it also starts a new checklist (a taken name refused beside the field), adds its first category and
item in the empty draft's editor and puts it in force beside the first one. No page is wider than
the screen and the browser reports no error (CSP included). The checklist pages are plain forms (no
htmx swaps): the test waits for each navigation and for the error element.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

import os

import pytest

from assessment.mystery_shop.models import ChecklistTemplate
from tests.assessment.mystery_shop.factories import ensure_default_checklist
from tests.browser import PHONE, assert_no_horizontal_overflow, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


@pytest.fixture(autouse=True)
def english():
    """The pages are driven in Chinese (overrides the package's fixture)."""
    yield


def shot(page, name: str) -> None:
    """Screenshots for a person to look at, when CHECKLIST_SCREENSHOTS names a folder."""
    folder = os.environ.get("CHECKLIST_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_the_market_department_edits_and_activates_a_checklist_on_a_phone(
    live_server, page, inspector, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    current = ensure_default_checklist()
    problems: list[str] = []
    expected = "the server responded with a status of 400"  # the refused save, answered 400 on purpose
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type == "error" and expected not in msg.text else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    base = live_server.url

    log_in(page, base, "inspector")
    page.goto(base + "/assessment/inspections/")
    page.get_by_role("link", name="检查表").first.click()
    page.wait_for_url(base + "/assessment/inspections/checklists/")
    assert_no_horizontal_overflow(page)
    shot(page, "list")
    page.get_by_role("link", name="第 1 版").click()
    page.get_by_role("button", name="以此为基础新建版本").click()
    draft = ChecklistTemplate.objects.get(name=current.name, version=2)
    page.wait_for_url(base + f"/assessment/inspections/checklists/{draft.pk}/edit/")
    assert_no_horizontal_overflow(page)
    shot(page, "edit")

    page.fill("#id_items-0-deduction", "-2")
    page.get_by_role("button", name="保存草稿").click()
    page.locator("#id_items-0-deduction_errors").wait_for()
    assert "0" in page.locator("#id_items-0-deduction_errors").inner_text()
    assert_no_horizontal_overflow(page)
    shot(page, "edit-error")

    page.fill("#id_items-0-deduction", "4")
    page.fill("#id_items-15-code", "E01")
    page.fill("#id_items-15-text", "自助终端可用")
    page.select_option("#id_items-15-category", "3")
    page.fill("#id_items-15-deduction", "2")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(base + f"/assessment/inspections/checklists/{draft.pk}/")
    assert "草稿已保存" in page.get_by_role("alert").first.inner_text()
    assert draft.items.get(code="E01").category.name == "环境与安全"

    page.get_by_role("link", name="生效…").click()
    page.wait_for_url(base + f"/assessment/inspections/checklists/{draft.pk}/activate/")
    assert "当前启用的第 1 版将停用" in page.content()
    assert_no_horizontal_overflow(page)
    shot(page, "activate")
    page.get_by_role("button", name="生效").click()
    page.wait_for_url(base + f"/assessment/inspections/checklists/{draft.pk}/")
    assert "第 2 版已启用" in page.get_by_role("alert").first.inner_text()
    assert_no_horizontal_overflow(page)
    shot(page, "detail")
    draft.refresh_from_db()
    current.refresh_from_db()
    assert (draft.is_active, current.is_active) == (True, False)
    assert problems == []


def test_the_market_department_creates_a_new_checklist_and_adds_its_first_item_on_a_phone(
    live_server, page, inspector, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    current = ensure_default_checklist()
    problems: list[str] = []
    expected = "the server responded with a status of 400"  # the refused name, answered 400 on purpose
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type == "error" and expected not in msg.text else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    base = live_server.url
    name = "电话及网上渠道暗访检查表"

    log_in(page, base, "inspector")
    page.goto(base + "/assessment/inspections/checklists/")
    page.get_by_role("link", name="新建检查表").click()
    page.wait_for_url(base + "/assessment/inspections/checklists/new/")
    assert_no_horizontal_overflow(page)
    shot(page, "new")

    # The name of a checklist that exists: refused beside the name, nothing saved.
    page.fill("#id_name", current.name)
    page.get_by_role("button", name="创建草稿").click()
    page.locator("#id_name_errors").wait_for()
    assert "已有同名的检查表" in page.locator("#id_name_errors").inner_text()
    assert_no_horizontal_overflow(page)
    shot(page, "new-error")
    assert ChecklistTemplate.objects.count() == 1

    page.fill("#id_name", name)
    assert page.locator("#id_source").input_value() == ""  # empty by default
    page.get_by_role("button", name="创建草稿").click()
    created = ChecklistTemplate.objects.get(name=name)
    page.wait_for_url(base + f"/assessment/inspections/checklists/{created.pk}/edit/")
    assert "已新建检查表" in page.get_by_role("alert").first.inner_text()
    assert_no_horizontal_overflow(page)
    shot(page, "new-edit")

    page.fill("#id_categories-0-name", "接通与应答")
    page.fill("#id_items-0-code", "P01")
    page.fill("#id_items-0-text", "三声内接听")
    page.select_option("#id_items-0-category", "0")
    page.fill("#id_items-0-deduction", "5")
    page.select_option("#id_items-0-scope", "hall")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(base + f"/assessment/inspections/checklists/{created.pk}/")
    assert "草稿已保存" in page.get_by_role("alert").first.inner_text()
    assert list(created.items.values_list("code", "category__name")) == [("P01", "接通与应答")]
    assert_no_horizontal_overflow(page)

    page.get_by_role("link", name="生效…").click()
    page.wait_for_url(base + f"/assessment/inspections/checklists/{created.pk}/activate/")
    page.get_by_role("button", name="生效").click()
    page.wait_for_url(base + f"/assessment/inspections/checklists/{created.pk}/")
    page.get_by_role("link", name="检查表").first.click()
    page.wait_for_url(base + "/assessment/inspections/checklists/")
    in_force = {
        section.get_attribute("data-checklist"): section.locator("[data-in-force]").inner_text()
        for section in page.locator("section[data-checklist]").all()
    }
    assert in_force == {name: "第 1 版启用中", current.name: "第 1 版启用中"}
    assert_no_horizontal_overflow(page)
    shot(page, "new-list")
    created.refresh_from_db()
    current.refresh_from_db()
    assert created.is_active and current.is_active
    assert problems == []

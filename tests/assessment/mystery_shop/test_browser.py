"""On phones: an inspector fills in and submits a covert visit with a photo; the hall manager cannot
see it; the inspector publishes; the hall manager then sees it and its rectification task.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

import io
import re

import pytest
from PIL import Image

from assessment.mystery_shop.models import AnswerPhoto, Rectification, Visit
from tests.assessment.mystery_shop.factories import ensure_default_checklist
from tests.browser import PHONE, assert_no_horizontal_overflow, log_in
from tests.pages import wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


@pytest.fixture(autouse=True)
def english():
    """The pages are driven in Chinese, like the inspectors' phones (overrides the package's fixture)."""
    yield


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (120, 160, 90)).save(out, format="JPEG")
    return out.getvalue()


def test_a_covert_visit_stays_hidden_until_published_on_phones(
    live_server, page, browser, browser_context_args, hall, inspector, hall_manager, clerk_staff, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    ensure_default_checklist()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    base = live_server.url

    # The inspector, inside the hall, starts a covert visit.
    log_in(page, base, "inspector")
    page.goto(base + "/assessment/inspections/new/")
    page.select_option("#id_hall", str(hall.pk))
    page.select_option("#id_mode", "covert")
    page.get_by_role("button", name="开始").click()
    page.wait_for_url(re.compile(r".*/assessment/inspections/\d+/entry/$"))
    visit = Visit.objects.get()
    page.fill("#id_clerk-employee_no", clerk_staff.employee_no)
    page.get_by_role("button", name="添加营业员").click()
    page.wait_for_url(re.compile(r".*/entry/#clerks$"))
    assert_no_horizontal_overflow(page)

    # Every slot saves itself as it is answered; D01 fails with a photo.
    slots = page.locator("form.answer-slot")
    total = slots.count()
    assert total == 15
    for index in range(total):
        slot = slots.nth(index)
        failing = "D01" in slot.inner_text()
        choice = "不合格" if failing else "合格"
        with page.expect_response(lambda r: "/answers/" in r.url and r.request.method == "POST"):
            slot.locator("label", has_text=re.compile(f"^{choice}$")).click()
        wait_for_htmx(page)
        if failing:
            slot = slots.nth(index)
            with page.expect_response(lambda r: "/answers/" in r.url and r.request.method == "POST"):
                slot.locator('input[type="file"]').set_input_files(
                    {"name": "IMG_2041.JPG", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
                )
            slots.nth(index).locator("img.img-thumbnail").wait_for()
            wait_for_htmx(page)
    assert page.locator("[data-progress-text]").inner_text() == "已填 15 / 15 项"
    assert AnswerPhoto.objects.filter(answer__visit=visit).count() == 1
    assert_no_horizontal_overflow(page)
    page.get_by_role("button", name="提交检查").click()
    page.wait_for_url(base + f"/assessment/inspections/{visit.pk}/")
    assert "检查已提交" in page.get_by_role("alert").first.inner_text()

    # The hall manager, on another phone: the visit does not exist.
    manager_context = browser.new_context(**browser_context_args)
    manager = manager_context.new_page()
    log_in(manager, base, "hall-manager")
    response = manager.goto(base + f"/assessment/inspections/{visit.pk}/")
    assert response.status == 404
    manager.goto(base + "/assessment/inspections/")
    assert manager.locator("#visit-table").inner_text().strip() == "没有符合条件的检查。"

    # The inspector publishes.
    page.get_by_role("button", name="发布").click()
    page.wait_for_url(base + f"/assessment/inspections/{visit.pk}/")
    assert "检查结果已通报" in page.get_by_role("alert").first.inner_text()

    # Now the hall manager sees it, and its rectification task.
    manager.goto(base + "/assessment/inspections/")
    manager.get_by_role("link", name=re.compile(hall.name)).click()
    manager.wait_for_url(base + f"/assessment/inspections/{visit.pk}/")
    assert_no_horizontal_overflow(manager)
    task = Rectification.objects.get(visit=visit)
    manager.get_by_role("link", name=re.compile("D01 环境卫生")).click()
    manager.wait_for_url(base + f"/assessment/inspections/rectifications/{task.pk}/")
    assert manager.get_by_role("button", name="提交整改材料").is_visible()
    assert_no_horizontal_overflow(manager)
    manager_context.close()
    assert problems == []

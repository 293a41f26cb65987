"""On a phone: a hall manager downloads the sample, uploads a file of customer evaluations with one
bad row, reads the row-by-row report, then uploads the fixed file and sees it imported. No page
scrolls sideways and no script error occurs.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment.models import CustomerEvaluation, FactImport
from assessment.services.imports import EVALUATION_COLUMNS
from tests.browser import PHONE, assert_no_horizontal_overflow, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def evaluations_file(last_rating: str) -> dict:
    # The live server runs on the real clock: days a week ago are never "in the future".
    day = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    text = (
        ",".join(EVALUATION_COLUMNS)
        + "\n"
        + f"T1,C0001,H001,{day} 09:30,very_satisfied\n"
        + f"T2,C0001,H001,{day} 10:15,{last_rating}\n"
    )
    return {"name": "october.csv", "mimeType": "text/csv", "buffer": text.encode()}


def test_a_hall_manager_fixes_a_refused_file_and_imports_it_on_a_phone(live_server, page, cast, clerk_staff):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    log_in(page, live_server.url, "hall-manager")

    page.goto(live_server.url + "/assessment/")
    page.get_by_role("link", name="数据导入").click()
    page.wait_for_url(live_server.url + "/assessment/imports/")
    expect(page.get_by_role("heading", name="数据导入", exact=True)).to_be_visible()
    assert_no_horizontal_overflow(page)
    with page.expect_download() as download:
        page.locator("#format-evaluations").get_by_role("link", name="下载 CSV 示例").click()
    assert download.value.suggested_filename == "evaluations-sample.csv"

    page.select_option("#id_kind", "evaluations")
    page.set_input_files("#id_file", evaluations_file("很好"))
    page.get_by_role("button", name="导入", exact=True).click()

    report = page.locator("table.import-errors")
    expect(report).to_be_visible()
    expect(report.locator("tbody tr")).to_have_count(1)
    expect(report.locator("tbody tr td").nth(0)).to_have_text("3")
    expect(report.locator("tbody tr td").nth(1)).to_have_text("rating")
    expect(page.locator("#id_file_errors")).to_have_text("文件未导入：1 处错误。")
    expect(page.locator("#import-errors")).to_contain_text("未导入任何数据")
    assert_no_horizontal_overflow(page)
    assert not CustomerEvaluation.objects.exists()

    page.set_input_files("#id_file", evaluations_file("满意"))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_url(live_server.url + "/assessment/imports/?kind=evaluations")

    expect(page.get_by_role("alert")).to_contain_text(
        "已从 october.csv 导入客户评价：共 2 行，新增 2 行，未变 0 行。"
    )
    expect(page.locator("table.import-errors")).to_have_count(0)
    expect(page.locator("table.import-history tbody tr")).to_have_count(1)
    expect(page.locator("table.import-history")).to_contain_text("october.csv")
    assert_no_horizontal_overflow(page)
    assert CustomerEvaluation.objects.count() == 2
    assert FactImport.objects.get().imported_by == cast.hall_manager
    # The refused file's page answers 400, which Chromium logs; nothing else may go wrong.
    assert problems == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]

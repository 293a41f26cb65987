"""On a phone: a branch manager opens the scheme editor and an elimination list under review, and
a clerk files an appeal. No page scrolls sideways and no script error occurs.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

from decimal import Decimal

import pytest

from assessment.models import Appeal, AssessmentScheme, EliminationRule
from assessment.services import compute_month_results, publish_results
from assessment.services.elimination import generate_elimination_list, start_review
from tests.assessment.factories import OCTOBER
from tests.browser import PHONE, assert_no_horizontal_overflow, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def test_the_scheme_editor_and_the_appeal_work_on_a_phone(live_server, page, cast, clerk_staff):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    branch = cast.hall.region.parent
    EliminationRule.objects.create(branch=branch, bottom_percent=Decimal(100), exclude_probation=False)
    run = compute_month_results(branch=branch, month=OCTOBER)
    publish_results(run=run, actor=cast.branch_manager)
    elimination_list = generate_elimination_list(run=run)
    start_review(elimination_list=elimination_list, actor=cast.branch_manager)
    scheme = AssessmentScheme.objects.filter(post="clerk", status="active").latest("version")

    log_in(page, live_server.url, "branch-manager")
    page.goto(f"{live_server.url}/assessment/schemes/{scheme.pk}/new-version/")
    assert page.get_by_role("heading", name="新建营业员考核方案版本").is_visible()
    assert_no_horizontal_overflow(page)
    page.locator("#id_indicators-0-weight").fill("99")
    page.get_by_role("button", name="创建草稿版本").click()
    assert page.locator("#id_indicators-0-weight_errors").is_visible()
    assert_no_horizontal_overflow(page)
    page.goto(f"{live_server.url}/assessment/elimination/{elimination_list.pk}/")
    assert_no_horizontal_overflow(page)

    page.context.clear_cookies()
    log_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/assessment/elimination/{elimination_list.pk}/")
    page.get_by_role("link", name="申诉…").click()
    assert_no_horizontal_overflow(page)
    page.fill("#id_reason", "本月有三天在外培训")
    page.get_by_role("button", name="提交申诉").click()
    page.wait_for_url(f"{live_server.url}/assessment/elimination/{elimination_list.pk}/")
    assert Appeal.objects.get(entry__staff=clerk_staff).reason == "本月有三天在外培训"
    assert not problems

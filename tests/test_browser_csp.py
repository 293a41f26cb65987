"""The pages work under the Content-Security-Policy: no violation and no console error on the
login page, the dashboard with its chart, the hall and staff lists with their htmx search, and
the API documentation.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

import pytest

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN"}


REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${document.location.pathname}`);
});
"""


@pytest.fixture
def watched_page(page):
    """A page whose CSP violations and console errors and warnings are collected in `.problems`."""
    problems = []
    page.expose_function("reportViolation", lambda text: problems.append(f"violation: {text}"))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text} ({msg.location.get('url')})")
            if msg.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
        ),
    )
    page.problems = problems
    return page


def test_the_pages_raise_no_csp_violation(
    live_server, watched_page, branch_manager, hall, other_hall, clerk_staff
):
    page = watched_page
    log_in(page, live_server.url, "branch-manager")

    page.locator('canvas[data-chart][data-drawn="1"]').wait_for()  # Chart.js drew the chart

    page.goto(live_server.url + "/halls/")
    page.get_by_role("link", name="人民路营业厅").wait_for()

    page.goto(live_server.url + "/staff/")
    page.fill("#id_q", "李")
    page.wait_for_url(f"{live_server.url}/staff/?*q=*")  # htmx swapped the results
    page.get_by_role("link", name="李营业员").wait_for()

    assert page.problems == []


def test_the_api_docs_and_the_admin_raise_no_csp_violation(live_server, watched_page, admin_user, hall):
    page = watched_page
    log_in(page, live_server.url, "admin")

    page.goto(live_server.url + "/api/docs/")
    page.get_by_role("heading", name="HallOps API").wait_for()  # Swagger UI started from its script file
    page.locator(".opblock").first.wait_for()  # and loaded the schema

    page.goto(live_server.url + "/admin/auth/user/")
    page.get_by_role("link", name="admin", exact=True).wait_for()
    page.wait_for_load_state("networkidle")

    # Django's admin pages name no icon, so Chromium asks for /favicon.ico: not a policy matter.
    problems = [p for p in page.problems if not p.endswith("/favicon.ico)")]
    assert problems == []


def test_an_inline_script_would_be_caught(live_server, watched_page, branch_manager):
    """The collector above can fail: an inline script added to a page is blocked and reported."""
    page = watched_page
    page.goto(live_server.url + "/login/")

    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
        "document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.ran") is None
    assert any(p.startswith("violation: script-src") and "inline" in p for p in page.problems), page.problems

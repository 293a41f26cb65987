"""A hall manager on a phone opens a draft roster, changes a cell in place (htmx), is told why a
second change is refused, and reads the coverage heatmap. The four-week grid scrolls sideways
inside its card; the page itself never does.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect

from staffing.models import Assignment, Leave, Staff
from tests.browser import PHONE, assert_no_horizontal_overflow
from tests.pages import wait_for_htmx
from tests.staffing.factories import RosterFactory, ShiftTypeFactory, StaffFactory, make_assignment, qualify


def htmx_done(cell) -> None:
    """The cell's editor is in and htmx has bound its triggers (see tests.pages.wait_for_htmx)."""
    cell.locator("select").wait_for()
    wait_for_htmx(cell.page)


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = date(2026, 3, 2)
DAYS = 28


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def draft_roster(hall):
    """A four-week draft of hall H001 (open 09:00–17:00, four at the 11:00 and 15:00 peaks,
    else three), half filled in."""
    shifts = {
        "D": ShiftTypeFactory(
            hall=hall, code="D", name="白班", start=time(9), end=time(17), colour="#4e79a7"
        ),
        "M": ShiftTypeFactory(
            hall=hall, code="M", name="早班", start=time(9), end=time(13), break_minutes=0, colour="#f6b26b"
        ),
        "A": ShiftTypeFactory(
            hall=hall, code="A", name="晚班", start=time(13), end=time(17), break_minutes=0, colour="#93c47d"
        ),
    }
    days = [START + timedelta(days=i) for i in range(DAYS)]
    requirement = {
        d.isoformat(): {
            str(h): {
                "required": 4 if h in (11, 15) else 3,
                "minimum": 3,
                "erlang": 0,
                "forecast": None,
                "peak": h in (11, 15),
            }
            for h in range(9, 17)
        }
        for d in days
    }
    roster = RosterFactory(
        hall=hall, version=1, period_start=days[0], period_end=days[-1], requirement=requirement
    )
    people = [StaffFactory(hall=hall, name=f"营业员{i}", employee_no=f"C1{i:03d}") for i in range(6)]
    people.append(StaffFactory(hall=hall, name="赵值班", post=Staff.Post.DUTY_MANAGER, star_level=4))
    for person in people:
        qualify(person)
    cycle = ["D", "D", "M", "A", None, None, "D"]
    for p, person in enumerate(people[1:]):
        for i, day in enumerate(days[:14]):
            code = cycle[(i + p) % len(cycle)]
            if code:
                make_assignment(
                    roster,
                    person,
                    day,
                    shifts[code],
                    post="duty" if person.post == "duty_manager" else "window",
                )
    return roster, people, shifts


def test_hall_manager_edits_a_draft_roster_on_a_phone(live_server, page, hall, hall_manager, clerk_staff):
    roster, people, shifts = draft_roster(hall)
    first = people[0]
    Leave.objects.create(staff=first, kind="annual", start_date=START, end_date=START, approved=True)
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "hall-manager")
    page.fill("#id_password", "pass-word-123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/staff/rosters/{roster.pk}/")

    assert page.get_by_role("heading", name="排班表", exact=True).is_visible()
    assert_no_horizontal_overflow(page)
    grid = page.locator(".roster-grid-scroll")
    assert grid.evaluate("e => e.scrollWidth > e.clientWidth + 200"), (
        "four weeks should scroll inside the card"
    )
    # The shift colour is set by roster.js from data-colour (no inline style in the markup).
    pill = page.locator(f"#cell-{people[1].pk}-20260302 .shift-pill")
    assert pill.inner_text() == "D"
    assert pill.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(78, 121, 167)"

    # A free cell: open the editor and pick the morning shift; htmx saves and swaps the cell.
    cell = page.locator(f"#cell-{first.pk}-20260303")
    cell.locator("button").click()
    htmx_done(cell)
    cell.locator("select").select_option(label="M · 早班 09:00–13:00")
    cell.locator(".shift-pill").wait_for()
    assert cell.locator(".shift-pill").inner_text() == "M"
    # roster.js paints swapped-in content once htmx has settled it.
    expect(cell.locator(".shift-pill")).to_have_css("background-color", "rgb(246, 178, 107)")
    assert page.locator(f"#hours-{first.pk}").inner_text() == "4"
    assert Assignment.objects.get(roster=roster, staff=first, date=date(2026, 3, 3)).shift_type == shifts["M"]

    # On leave on 2 March: the change is refused and the reason shows beside the cell.
    refused = page.locator(f"#cell-{first.pk}-20260302")
    refused.locator("button").click()
    htmx_done(refused)
    refused.locator("select").select_option(label="D · 白班 09:00–17:00")
    error = refused.locator(".cell-errors")
    error.wait_for()
    assert "营业员0" in error.inner_text() and "2026-03-02" in error.inner_text()
    assert not Assignment.objects.filter(roster=roster, staff=first, date=START).exists()
    refused.get_by_role("button", name="取消").click()
    refused.locator(".leave-mark").wait_for()

    heatmap = page.get_by_role("heading", name="覆盖情况：每小时在岗 / 需求人数")
    heatmap.scroll_into_view_if_needed()
    assert heatmap.is_visible()
    assert page.locator(".heatmap td.heat-gap-3").count() > 0  # the empty weeks
    assert page.locator(".heatmap td.is-peak").count() == 2 * DAYS
    assert page.locator("#roster-checks .roster-scroll").evaluate("e => e.scrollWidth > e.clientWidth")
    assert_no_horizontal_overflow(page)
    assert problems == []

"""The roster page on a 375 px phone: only the grid and the heatmap scroll sideways inside their
cards, the page itself never does, also when the hall is closed at some hours (closed heatmap
cells carry a visually hidden "closed" that must stay inside the scroll box), and a person's
name and post in the grid's first column do not overlap.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

from datetime import timedelta

import pytest

from staffing.models import Staff
from tests.browser import log_in
from tests.pages import wait_for_htmx
from tests.staffing.factories import StaffFactory, qualify
from tests.staffing.test_roster_browser import DAYS, PHONE, START, draft_roster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def test_roster_page_never_scrolls_sideways_on_a_phone_when_the_hall_closes_early_some_days(
    live_server, page, hall, hall_manager
):
    roster, people, _ = draft_roster(hall)
    # Open until 18:00 on weekdays only: the 17:00 row has closed cells on every weekend.
    for i in range(DAYS):
        day = START + timedelta(days=i)
        if day.weekday() < 5:
            roster.requirement[day.isoformat()]["17"] = {
                "required": 2,
                "minimum": 2,
                "erlang": 0,
                "forecast": None,
                "peak": False,
            }
    roster.save(update_fields=["requirement"])
    long_name = StaffFactory(
        hall=hall, name="欧阳诸葛长名字", post=Staff.Post.VIP_MANAGER, employee_no="C1999"
    )
    qualify(long_name)

    log_in(page, live_server.url, "hall-manager")
    page.goto(f"{live_server.url}/staff/rosters/{roster.pk}/")
    wait_for_htmx(page)
    page.locator(".heatmap td.heat-closed").first.wait_for(state="attached")
    assert page.locator(".heatmap td.heat-closed").count() == 8  # four weekends × two days at 17:00

    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"the roster page is {width}px wide on a {inner}px screen"
    # The tables still scroll, inside their boxes.
    assert page.locator(".roster-grid-scroll").evaluate("e => e.scrollWidth > e.clientWidth")
    assert page.locator("#roster-checks .roster-scroll").evaluate("e => e.scrollWidth > e.clientWidth")

    # Name and post of every row sit one above the other with room for the name's underline, and
    # a name that wraps keeps its lines apart: line boxes are measured from the text itself.
    lines = page.evaluate(
        """() => [...document.querySelectorAll('.roster-grid th.staff-col')].map(th => {
            const range = document.createRange();
            range.selectNodeContents(th.querySelector('a'));
            const name = [...range.getClientRects()].map(r => [r.top, r.bottom]);
            const post = th.querySelector('.staff-post').getBoundingClientRect();
            const underline = parseFloat(getComputedStyle(th.querySelector('a')).fontSize) * 0.15;
            return {text: th.innerText, name, post: [post.top, post.bottom], underline,
                    cell: th.getBoundingClientRect().bottom};
        })"""
    )
    assert len(lines) == len(people) + 2  # and the hall manager
    for row in lines:
        tops = sorted(row["name"])
        for (_, above), (below, _) in zip(tops, tops[1:], strict=False):
            assert below >= above + row["underline"], f"{row}: the lines of the name overlap"
        assert row["post"][0] >= tops[-1][1] + row["underline"], f"{row}: name and post overlap"
        assert row["post"][1] <= row["cell"], f"{row}: the post spills out of its cell"

    page.screenshot(path="/tmp/ui/roster375.png", full_page=True)

"""The navigation bar at desk widths, in English and in Chinese: the page never scrolls sideways,
no label wraps one character per line, and the user menu (with its log-out) stays on screen,
whether the bar is expanded or collapsed behind its toggler. The worst case: an administrator,
who sees every section plus the administrators' links, with a long name and unread
notifications.

Run with `-p no:xdist`; needs Debian's Chromium (`make browser`).
"""

import pytest
from django.urls import reverse

from tests.halls.factories import NotificationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1024, 1280)

# Every text label in the bar as its line boxes: more than one distinct top means it wrapped.
NAVBAR_LAYOUT = """() => {
    const nav = document.querySelector('nav.navbar');
    const labels = [...nav.querySelectorAll('a, button')].filter(e => e.offsetParent !== null && e.innerText.trim());
    return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        wrapped: labels.filter(e => {
            // Text a reader sees (not the visually hidden words); a wrapped label has line boxes
            // a line apart.
            const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
            const tops = [];
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden')) continue;
                const range = document.createRange();
                range.selectNodeContents(node);
                tops.push(...[...range.getClientRects()].map(r => r.top));
            }
            return Math.max(...tops) - Math.min(...tops) > 0.8 * parseFloat(getComputedStyle(e).fontSize);
        }).map(e => e.innerText),
        offscreen: labels.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.innerText),
    };
}"""


def check_layout(page, where: str) -> list[str]:
    layout = page.evaluate(NAVBAR_LAYOUT)
    problems = []
    if layout["scrollWidth"] > layout["innerWidth"]:
        problems.append(
            f"{where}: the page is {layout['scrollWidth']}px wide on a {layout['innerWidth']}px screen"
        )
    if layout["wrapped"]:
        problems.append(f"{where}: labels wrap: {layout['wrapped']}")
    if layout["offscreen"]:
        problems.append(f"{where}: cut off at the right edge: {layout['offscreen']}")
    return problems


@pytest.mark.parametrize(
    ("language", "log_out"), [("en", "Log out"), ("zh-hans", "退出登录")], ids=["english", "chinese"]
)
def test_the_navbar_fits_desk_widths_in_both_languages(live_server, page, cast, language, log_out):
    admin = UserFactory(
        username="admin", is_superuser=True, is_staff=True, first_name="Alexandra", last_name="Richardson"
    )
    NotificationFactory.create_batch(12, recipient=admin)
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "pass-word-123")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(live_server.url + "/")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

    problems = []
    for width in WIDTHS:
        where = f"{language} at {width}px"
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_server.url + reverse("assessment:results"))
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("main h1").count() == 1
        toggler = page.locator(".navbar-toggler")
        if not toggler.is_visible():  # expanded: one row, the longest name is cut short
            height = page.locator("nav.navbar").bounding_box()["height"]
            if height > 72:
                problems.append(f"{where}: the expanded bar takes two rows ({height}px)")
        else:
            toggler.click()
            page.locator("#main-nav.show").wait_for()
            page.locator("#main-nav:not(.collapsing)").wait_for()
        problems += check_layout(page, where)
        user_menu = page.get_by_role("button", name="Alexandra Richardson")
        user_menu.click()
        leave = page.get_by_role("button", name=log_out)
        leave.wait_for()
        box = leave.bounding_box()
        if box["x"] < 0 or box["x"] + box["width"] > width:
            problems.append(f"{where}: the log-out button is off screen at x={box['x']}")
        problems += check_layout(page, f"{where}, user menu open")
        page.keyboard.press("Escape")
    assert problems == []

"""What the Playwright browser tests share: the phone viewport, signing in through the login form,
and the check that a page never scrolls sideways."""

PHONE = {"width": 375, "height": 812}
TEST_PASSWORD = "pass-word-123"  # the factories' password (tests/halls/factories.py)


def log_in(page, base_url: str, username: str) -> None:
    """Sign in through the Chinese login form and wait for the dashboard."""
    page.goto(base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base_url + "/")


def assert_no_horizontal_overflow(page, width: int = PHONE["width"]) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide on a {width}px screen"

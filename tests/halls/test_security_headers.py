"""Security headers on every response, a Content-Security-Policy without inline script or style,
the API documentation page's own policy, and the request id."""

import base64
import hashlib
import re

import pytest
from django.urls import reverse

from halls.middleware import SITE_CSP

pytestmark = pytest.mark.django_db

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


def test_the_site_policy_is_the_strict_one():
    assert SITE_CSP == EXPECTED_CSP


@pytest.mark.parametrize("path", ["/", "/login/", "/halls/", "/staff/", "/healthz", "/no-such-page/"])
def test_every_response_carries_the_security_headers(client, branch_manager, path):
    client.force_login(branch_manager)

    response = client.get(path)

    assert response["Content-Security-Policy"] == EXPECTED_CSP
    assert response["Permissions-Policy"].startswith("accelerometer=(), camera=()")
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\bon[a-z]+=\"", re.I)


@pytest.mark.parametrize(
    ("user", "path"),
    [
        (None, "/login/"),
        ("branch_manager", "/"),
        ("hall_manager", "/"),
        ("branch_manager", "/halls/"),
        ("branch_manager", "/staff/"),
        ("branch_manager", "/staff/new/"),
    ],
)
def test_pages_carry_no_inline_script_style_or_event_handler(client, cast, user, path):
    if user:
        client.force_login(getattr(cast, user))

    html = client.get(path).content.decode()

    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_STYLE.findall(html) == []


def test_the_api_docs_page_allows_exactly_its_own_inline_style_and_no_inline_script(client):
    response = client.get(reverse("api-docs"))

    html = response.content.decode()
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert response["Content-Security-Policy"] == EXPECTED_CSP.replace(
        "style-src 'self';", f"style-src 'self' 'sha256-{digest}';"
    )
    assert INLINE_SCRIPT.findall(html) == []
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_a_request_id_from_the_load_balancer_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-4f2a.17")

    assert response["X-Request-ID"] == "lb-4f2a.17"


@pytest.mark.parametrize("incoming", [None, "", "two words", "x" * 200, "id\nforged log line"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_fresh_one(client, incoming):
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}

    first = client.get("/healthz", **headers)["X-Request-ID"]
    second = client.get("/healthz", **headers)["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_uploaded_files_have_no_public_media_url_even_in_debug(settings):
    """Attachments and photos leave only through views that check scope; /media/ resolves to nothing."""
    import importlib

    from django.urls import Resolver404, clear_url_caches, resolve

    import hallops.urls

    settings.DEBUG = True
    try:
        importlib.reload(hallops.urls)
        clear_url_caches()
        with pytest.raises(Resolver404):
            resolve("/media/complaints/attachments/anything.pdf")
    finally:
        settings.DEBUG = False
        importlib.reload(hallops.urls)
        clear_url_caches()

"""Request-wide middleware: a request id for the logs, the security headers Django's
SecurityMiddleware does not set (Content-Security-Policy, Permissions-Policy), and the API
request log."""

import logging
import re
import time
import uuid

from django.db import DatabaseError

from hallops.logging import request_id_var
from halls.models import ApiRequestLog

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only when it is short and plain, so it cannot forge log lines.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

CSP_HEADER = "Content-Security-Policy"
DEFAULT_CSP = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "connect-src": ("'self'",),
    "font-src": ("'self'", "data:"),
    "frame-ancestors": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
}
# Features no page uses. File inputs (photo evidence) open the system picker and need none of them.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


def content_security_policy(**extra: tuple[str, ...]) -> str:
    """The site policy as a header value, with sources added per directive for one view:
    `content_security_policy(style_src=("'sha256-…'",))`."""
    directives = {name: list(sources) for name, sources in DEFAULT_CSP.items()}
    for key, sources in extra.items():
        directives.setdefault(key.replace("_", "-"), []).extend(sources)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


SITE_CSP = content_security_policy()


class RequestIdMiddleware:
    """Reads X-Request-ID (from the load balancer or the caller) or makes one, makes it the id of
    every log line written while the request is served, and returns it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class ContentSecurityPolicyMiddleware:
    """Sets the site's Content-Security-Policy (no inline script or style anywhere) unless the view
    set its own, and a Permissions-Policy. Referrer-Policy, Cross-Origin-Opener-Policy and
    X-Content-Type-Options come from Django's SecurityMiddleware settings."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if CSP_HEADER not in response:
            response[CSP_HEADER] = SITE_CSP
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


API_PATH_PREFIX = "/api/v1/"
api_logger = logging.getLogger("hallops.api")


class ApiRequestLogMiddleware:
    """Logs every request to the REST API as one log line, and every request with a token as one
    INSERT into ApiRequestLog: the client, the route name, the method, the status, the duration
    and the request id — never headers, tokens, query strings or bodies. A failing log write
    never fails the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        duration_ms = round((time.monotonic() - started) * 1000)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name if match else "") or "unresolved"
        client_id = getattr(request, "hallops_api_client_id", None)
        entry = {
            "client_id": client_id,
            "route": route[:100],
            "method": request.method[:10],
            "status": response.status_code,
            "duration_ms": duration_ms,
            "request_id": getattr(request, "request_id", "")[:128],
        }
        # The table is the token clients' request log (their settings page); browser sessions
        # using the API get the log line only. A bad token is logged too, without a client.
        if client_id is not None or request.headers.get("Authorization", "").startswith("Token "):
            try:
                ApiRequestLog.objects.create(**entry)
            except DatabaseError:
                api_logger.exception("API request log row not written")
        api_logger.info(
            "api %(method)s %(route)s %(status)s %(duration_ms)sms client=%(client_id)s", entry, extra=entry
        )
        return response

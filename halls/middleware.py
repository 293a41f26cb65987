"""Request-wide middleware: a request id for the logs, and the security headers Django's
SecurityMiddleware does not set (Content-Security-Policy, Permissions-Policy)."""

import re
import uuid

from hallops.logging import request_id_var

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

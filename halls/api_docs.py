"""The API documentation page (Swagger UI from drf-spectacular-sidecar) under the site's
Content-Security-Policy.

drf-spectacular's split view serves Swagger UI's start-up script as a file (`?script`), so no
inline script is needed. Its page template still carries one inline <style> block: this page's
policy allows exactly that block by its SHA-256, computed from the installed template, and
nothing else inline.
"""

import base64
import functools
import hashlib
import re

from django.template.loader import get_template
from drf_spectacular.views import SpectacularSwaggerSplitView

from halls.middleware import CSP_HEADER, content_security_policy

_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.S)


@functools.cache
def inline_style_sources(template_name: str) -> tuple[str, ...]:
    """CSP hash sources for the inline <style> blocks of a template without template tags inside."""
    source = get_template(template_name).template.source
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
        for block in _STYLE_BLOCK.findall(source)
    )


class ApiDocsView(SpectacularSwaggerSplitView):
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response[CSP_HEADER] = content_security_policy(style_src=inline_style_sources(self.template_name))
        return response

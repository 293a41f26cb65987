"""Helpers for page tests: read what a rendered page shows beside a form field."""

import re
from html import unescape


def field_error(response, name: str) -> str | None:
    """The error text rendered beside form field `name` (its `id_<name>_errors` element), or None."""
    html = response.content.decode()
    match = re.search(rf'<div class="invalid-feedback d-block" id="id_{name}_errors">(.*?)</div>', html, re.S)
    return unescape(match.group(1)).strip() if match else None


def error_is_beside_field(response, name: str) -> bool:
    """The field's widget is marked invalid, points at its error, and the error element is the
    next element after the widget (nothing else in between)."""
    html = response.content.decode()
    tag = re.search(rf'<(input|select|textarea)\b[^>]*\bid="id_{name}"[^>]*>', html)
    if tag is None or 'aria-invalid="true"' not in tag.group(0):
        return False
    if f'aria-describedby="id_{name}_errors"' not in tag.group(0):
        return False
    rest = html[tag.end() :]
    if tag.group(1) in ("select", "textarea"):
        rest = rest[rest.index(f"</{tag.group(1)}>") + len(tag.group(1)) + 3 :]
    return rest.lstrip().startswith(f'<div class="invalid-feedback d-block" id="id_{name}_errors">')


def admin_column_headers(response) -> dict[str, str]:
    """An admin change list's column headers as {field name: label shown}, without sort markers."""
    html = response.content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*\bcolumn-(\w+)\b[^"]*">(.*?)</th>', html, re.S)
    texts = {name: re.search(r'<div class="text">(.*?)</div>', cell, re.S) for name, cell in headers}
    return {name: unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() for name, m in texts.items() if m}


def wait_for_htmx(page) -> None:
    """Wait until htmx has no request in flight and has swapped and settled what came back: only
    then are the new content's triggers bound. Acting earlier (easy on a loaded machine) clicks or
    changes elements htmx has not processed yet, and nothing is sent."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")

"""Page rendering shared by the apps' views: list pages that htmx refreshes in place."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PAGE_SIZE = 25


def paginate(request, queryset, *, per_page: int = PAGE_SIZE):
    """The requested page of a queryset (out-of-range or malformed page numbers give the nearest page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def render_list(request, *, page_template: str, results_template: str, context: dict):
    """Render a list page, or only its results fragment when htmx asks for it (filters changed,
    another page). A history-restore request gets the whole page."""
    htmx = getattr(request, "htmx", None)
    fragment = bool(htmx) and not htmx.history_restore_request
    response = render(request, results_template if fragment else page_template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response

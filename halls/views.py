"""Hall pages and the role-aware dashboard. Views resolve objects through scoped selectors
(another hall's object is a 404), check the action permission (a 403) and call one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from halls import notifications, selectors
from halls.forms import HallFilterForm, HallForm
from halls.health import run_health_checks
from halls.models import Notification, Role
from halls.pages import paginate, render_list
from halls.permissions import has_permission, require_permission
from halls.scoping import scope_for

INSPECTOR_HALLS_SHOWN = 10


@login_required
def dashboard(request):
    """What each role needs first: branch figures and chart, the manager's halls, the inspector's
    halls, the clerk's own record; a user without any role is told so."""
    user = request.user
    scope = scope_for(user)
    context = {}
    if scope.sees_everything:
        context["overview"] = selectors.branch_overview(region_paths=None)
    elif Role.BRANCH_MANAGER in scope.region_roles:
        context["overview"] = selectors.branch_overview(region_paths=scope.region_roles[Role.BRANCH_MANAGER])
    if Role.HALL_MANAGER in scope.hall_roles:
        context["hall_cards"] = selectors.hall_cards(user=user, hall_ids=scope.hall_roles[Role.HALL_MANAGER])
    if Role.INSPECTOR in scope.region_roles:
        halls = selectors.hall_list(user=user).filter(
            pk__in=selectors.halls_in_regions(region_paths=scope.region_roles[Role.INSPECTOR])
        )
        context["inspected_halls"] = halls[:INSPECTOR_HALLS_SHOWN]
        context["inspected_total"] = halls.count()
    if scope.own_staff_id:
        context["own_staff"] = user.staff
        context["own_hall"] = selectors.hall_list(user=user).get(pk=scope.own_hall_id)
    if not context:
        return render(request, "halls/dashboard_no_access.html")
    return render(request, "halls/dashboard.html", context)


@login_required
def hall_list(request):
    require_permission(request.user, "hall.view")
    form = HallFilterForm(request.GET or None, user=request.user)
    # Hall.Meta.ordering does not apply to grouped (annotated) queries: order explicitly for paging.
    halls = selectors.hall_list(user=request.user).order_by("code", "pk")
    if form.is_valid():
        halls = selectors.filter_halls(halls, **form.filters())
    context = {
        "form": form,
        "page_obj": paginate(request, halls),
        "can_create_staff": has_permission(request.user, "staff.create"),
    }
    return render_list(
        request,
        page_template="halls/hall_list.html",
        results_template="halls/_hall_results.html",
        context=context,
    )


@login_required
def hall_detail(request, pk: int):
    hall = get_object_or_404(selectors.hall_list(user=request.user), pk=pk)
    require_permission(request.user, "hall.view", hall=hall)
    roles = scope_for(request.user).roles_over_hall(hall)
    context = {
        "hall": hall,
        "week": selectors.opening_week(hall),
        "can_edit": has_permission(request.user, "hall.change", hall=hall),
        "can_view_audit": has_permission(request.user, "audit.view", hall=hall),
        # A clerk sees the hall but only their own staff record, so no staff figures.
        "show_staff": scope_for(request.user).sees_everything or bool(roles - {Role.CLERK}),
    }
    if context["show_staff"]:
        context["staff_table"] = selectors.staff_post_status_table(hall)
    if context["can_view_audit"]:
        context["history"] = selectors.labelled_field_history(hall)
        context["audit_events"] = selectors.hall_audit_trail(hall=hall)
    return render(request, "halls/hall_detail.html", context)


@login_required
def hall_edit(request, pk: int):
    hall = get_object_or_404(selectors.hall_list(user=request.user), pk=pk)
    require_permission(request.user, "hall.change", hall=hall)
    form = HallForm(request.POST or None, hall=hall, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save(actor=request.user):
        messages.success(request, _("Hall %(name)s saved.") % {"name": hall.name})
        return redirect("hall_detail", pk=hall.pk)
    return render(request, "halls/hall_form.html", {"hall": hall, "form": form})


@never_cache
@require_safe
def healthz(request):
    """For load balancers: 200 with each check's result when the database and the broker answer,
    503 naming the failing part otherwise. No login and no session."""
    healthy, checks = run_health_checks()
    failing = sorted(name for name, result in checks.items() if result["status"] == "fail")
    body = {"status": "ok" if healthy else "fail", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
def notification_list(request):
    """The user's own notifications, newest first; `?unread=1` shows only the unread ones."""
    unread_only = request.GET.get("unread") == "1"
    context = {
        "unread_only": unread_only,
        "page_obj": paginate(
            request, selectors.notification_list(user=request.user, unread_only=unread_only)
        ),
    }
    return render_list(
        request,
        page_template="halls/notification_list.html",
        results_template="halls/_notification_results.html",
        context=context,
    )


def _see_other(url: str) -> HttpResponseRedirect:
    """After a POST: 303 See Other, so the browser GETs the page that shows the outcome."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _safe_next(request, url: str) -> str | None:
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else None


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one of the user's notifications read (another user's is a 404), then open what it
    is about (`open`) or go back to the list."""
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    notification = notifications.mark_notification_read(actor=request.user, notification_id=notification.pk)
    target = "open" in request.POST and _safe_next(request, notification.url)
    target = target or _safe_next(request, request.POST.get("next", "")) or reverse("notification_list")
    return _see_other(target)


@login_required
@require_POST
def notification_read_all(request):
    count = notifications.mark_all_notifications_read(actor=request.user)
    if count:
        messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return _see_other(_safe_next(request, request.POST.get("next", "")) or reverse("notification_list"))

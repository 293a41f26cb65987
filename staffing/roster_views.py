"""Rostering pages: the halls' roster versions, the grid with inline edits (htmx), the coverage
heatmap, generation with progress, publishing, comparing versions, each person's schedule, the
Excel export, leave, staff requests and the traffic import.

Views resolve objects through scoped querysets (another hall's object is a 404), check the action
(a 403), read through `staffing.roster_selectors` and write through one form → one service.
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from halls.business_calendar import uncovered_warning, uncovered_years
from halls.exports import XLSX_CONTENT_TYPE
from halls.models import Hall, Role
from halls.pages import paginate
from halls.permissions import has_permission, require_permission
from halls.scoping import scope_for
from staffing import roster_services
from staffing.models import Assignment, Roster, ShiftType, Staff
from staffing.roster_exports import roster_workbook
from staffing.roster_forms import (
    AssignmentCellForm,
    CompareForm,
    LeaveForm,
    PublishForm,
    RosterGenerateForm,
    RosterImportForm,
    ShiftTypeForm,
    StaffRequestForm,
    TrafficImportForm,
)
from staffing.roster_selectors import (
    compare_rosters,
    coverage_heatmap,
    hall_leave_list,
    hall_request_list,
    hall_shift_types,
    roster_grid,
    roster_hall_list,
    roster_list,
    staff_schedule,
)

SCHEDULE_WEEKS = 4
LEAVE_SHOWN_DAYS = 30
REQUESTS_SHOWN_DAYS = 7
GENERATING = (Roster.Generation.QUEUED, Roster.Generation.RUNNING)
# The generate page warns about years without a national calendar this far ahead.
CALENDAR_LOOKAHEAD_DAYS = 92


def _hall(request, pk: int) -> Hall:
    return get_object_or_404(Hall.objects.visible_to(request.user).select_related("region"), pk=pk)


def _roster(request, pk: int) -> Roster:
    return get_object_or_404(
        Roster.objects.visible_to(request.user).select_related(
            "hall__region", "generated_by", "published_by"
        ),
        pk=pk,
    )


def _is_editable(roster: Roster) -> bool:
    return roster.status == Roster.Status.DRAFT and roster.generation_status not in GENERATING


def _sees_hall_staff(user, hall: Hall) -> bool:
    """Everyone but a clerk sees the hall's people (a clerk sees only their own record)."""
    scope = scope_for(user)
    return scope.sees_everything or bool(scope.roles_over_hall(hall) - {Role.CLERK})


def _hall_actions(user, hall: Hall) -> dict:
    return {
        "can_generate": has_permission(user, "roster.generate", hall=hall),
        "can_manage_leave": has_permission(user, "leave.manage", hall=hall),
        "can_request": has_permission(user, "roster.request", hall=hall),
        "can_import": has_permission(user, "traffic.import", hall=hall),
        "can_import_roster": has_permission(user, "roster.import", hall=hall),
        "can_manage_shift_types": has_permission(user, "roster.edit", hall=hall),
    }


# --- Halls and versions ------------------------------------------------------------------------


@login_required
@require_GET
def roster_halls(request):
    """The halls whose rosters the user sees, and the user's own schedule when they have one."""
    require_permission(request.user, "roster.view")
    scope = scope_for(request.user)
    context = {
        "page_obj": paginate(request, roster_hall_list(user=request.user)),
        "has_schedule": bool(scope.own_staff_id),
        "sees_drafts": scope.sees_everything or bool(scope.region_roles or scope.hall_roles),
    }
    return render(request, "staffing/roster_halls.html", context)


@login_required
@require_GET
def roster_list_page(request, pk: int):
    """A hall's roster versions, newest period first (a clerk sees the published ones only)."""
    hall = _hall(request, pk)
    require_permission(request.user, "roster.view", hall=hall)
    versions = roster_list(user=request.user).filter(hall=hall).order_by("-period_start", "-version", "-pk")
    context = {"hall": hall, "page_obj": paginate(request, versions), **_hall_actions(request.user, hall)}
    return render(request, "staffing/roster_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def roster_generate(request, pk: int):
    """A new version: queue the optimiser or a rotation pattern, or start an empty draft."""
    hall = _hall(request, pk)
    require_permission(request.user, "roster.generate", hall=hall)
    form = RosterGenerateForm(request.POST or None, hall=hall)
    if request.method == "POST" and form.is_valid():
        roster = form.save(actor=request.user)
        if roster is not None:
            if roster.method == Roster.Method.MANUAL:
                messages.success(
                    request, _("Version %(v)s was created; fill it in below.") % {"v": roster.version}
                )
            else:
                messages.success(request, _("Version %(v)s is being generated.") % {"v": roster.version})
            return redirect("roster_detail", pk=roster.pk)
    context = {
        "hall": hall,
        "form": form,
        "calendar_warning": _lookahead_warning(form),
        "shift_types": hall.shift_types.filter(is_active=True).order_by("start", "code"),
        **_hall_actions(request.user, hall),
    }
    return render(request, "staffing/roster_generate.html", context)


# --- Shift types -----------------------------------------------------------------------------------


def _shift_type(request, pk: int) -> ShiftType:
    return get_object_or_404(ShiftType.objects.visible_to(request.user).select_related("hall__region"), pk=pk)


@login_required
@require_GET
def roster_shift_types(request, pk: int):
    """A hall's shift types, active first; those a published roster uses are marked (their code
    and times are frozen)."""
    hall = _hall(request, pk)
    require_permission(request.user, "roster.edit", hall=hall)
    context = {"hall": hall, "shift_types": hall_shift_types(hall=hall), **_hall_actions(request.user, hall)}
    return render(request, "staffing/roster_shift_types.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def roster_shift_type_create(request, pk: int):
    """Add a shift type to the hall."""
    hall = _hall(request, pk)
    require_permission(request.user, "roster.edit", hall=hall)
    form = ShiftTypeForm(request.POST or None, hall=hall)
    if request.method == "POST" and form.is_valid():
        shift = form.save(actor=request.user)
        if shift is not None:
            messages.success(request, _("Shift type %(code)s was added.") % {"code": shift.code})
            return redirect("roster_shift_types", pk=hall.pk)
    context = {"hall": hall, "form": form, "shift_type": None, **_hall_actions(request.user, hall)}
    return render(request, "staffing/roster_shift_type_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def roster_shift_type_edit(request, pk: int):
    """Edit a shift type (a published roster's shift type keeps its code and times)."""
    shift = _shift_type(request, pk)
    hall = shift.hall
    require_permission(request.user, "roster.edit", hall=hall)
    form = ShiftTypeForm(request.POST or None, hall=hall, shift_type=shift)
    if request.method == "POST" and form.is_valid():
        saved = form.save(actor=request.user)
        if saved is not None:
            messages.success(request, _("Shift type %(code)s was saved.") % {"code": saved.code})
            return redirect("roster_shift_types", pk=hall.pk)
    context = {
        "hall": hall,
        "form": form,
        "shift_type": shift,
        "in_published_roster": roster_services.shift_type_in_published_roster(shift),
        **_hall_actions(request.user, hall),
    }
    return render(request, "staffing/roster_shift_type_form.html", context)


@login_required
@require_POST
def roster_shift_type_active(request, pk: int):
    """Deactivate (`active=0`) or reactivate (`active=1`) a shift type."""
    shift = _shift_type(request, pk)
    require_permission(request.user, "roster.edit", hall=shift.hall)
    active = request.POST.get("active") == "1"
    roster_services.set_shift_type_active(actor=request.user, shift_type=shift, active=active)
    if active:
        messages.success(request, _("Shift type %(code)s is offered again.") % {"code": shift.code})
    else:
        messages.success(
            request, _("Shift type %(code)s is no longer offered for new shifts.") % {"code": shift.code}
        )
    return _see_other(reverse("roster_shift_types", args=[shift.hall_id]))


def _see_other(url: str):
    response = redirect(url)
    response.status_code = 303
    return response


def _lookahead_warning(form) -> str:
    """The warning for years without a national calendar from today to the lookahead (or the
    end of the period asked for, when later)."""
    today = timezone.localdate()
    end = today + timedelta(days=CALENDAR_LOOKAHEAD_DAYS)
    asked = form.cleaned_data.get("period_end") if form.is_bound and hasattr(form, "cleaned_data") else None
    if asked is not None and asked > end:
        end = asked
    return uncovered_warning(uncovered_years(today, end))


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_page(request, pk: int):
    """Import a roster file (CSV or .xlsx) as a new draft version: all or nothing, with the rows
    in error or the rules broken listed row by row; on success the new version's grid, whose
    findings (coverage, minimum hours, seniors) show as for any draft."""
    hall = _hall(request, pk)
    require_permission(request.user, "roster.import", hall=hall)
    form = RosterImportForm(request.POST or None, request.FILES or None, hall=hall)
    if request.method == "POST" and form.is_valid():
        result = form.save(actor=request.user)
        if result is not None:
            messages.success(
                request,
                _("Version %(v)s imported with %(n)s shifts; %(f)s finding(s) to review below.")
                % {"v": result.roster.version, "n": result.assignments, "f": len(result.findings)},
            )
            response = redirect("roster_detail", pk=result.roster.pk)
            response.status_code = 303
            return response
    context = {
        "hall": hall,
        "form": form,
        "calendar_warning": _lookahead_warning(form),
        **_hall_actions(request.user, hall),
    }
    return render(request, "staffing/roster_import.html", context)


# --- One version ---------------------------------------------------------------------------------


def _generation_summary(roster: Roster, names: dict[int, str]) -> dict:
    """The generator's report for the page: penalty shares largest first, unmet hours by day and
    the requests it could not honour, with names."""
    penalties = sorted(
        (
            (name, item.get("value", 0), item.get("share", 0))
            for name, item in (roster.penalties or {}).items()
        ),
        key=lambda p: -p[2],
    )
    unmet_by_day: dict[str, list[dict]] = {}
    for item in roster.unmet or []:
        unmet_by_day.setdefault(item["date"], []).append(item)
    requests = [
        {
            **item,
            "name": names.get(item.get("staff"), f"#{item.get('staff')}"),
            "day": date.fromisoformat(item["date"]),
        }
        for item in roster.unmet_requests or []
    ]
    return {
        "penalties": penalties,
        "unmet_days": [(date.fromisoformat(d), items) for d, items in sorted(unmet_by_day.items())],
        "unmet_staff_hours": sum(i["missing"] for i in roster.unmet or [] if i.get("kind") == "staff"),
        "unmet_senior_hours": sum(1 for i in roster.unmet or [] if i.get("kind") == "senior"),
        "unmet_requests": requests,
    }


@login_required
@require_GET
def roster_detail(request, pk: int):
    """The roster grid (staff × days), the coverage heatmap, the rules it breaks and, for a
    generated version, the generator's report; progress while it is being generated."""
    roster = _roster(request, pk)
    require_permission(request.user, "roster.view", hall=roster.hall)
    user = request.user
    context = {
        "roster": roster,
        "hall": roster.hall,
        "generating": roster.generation_status in GENERATING,
        "can_edit": has_permission(user, "roster.edit", hall=roster.hall) and _is_editable(roster),
        "can_publish": has_permission(user, "roster.publish", hall=roster.hall) and _is_editable(roster),
        "can_generate": has_permission(user, "roster.generate", hall=roster.hall),
        "show_staff_links": _sees_hall_staff(user, roster.hall),
    }
    if not context["generating"]:
        grid = roster_grid(roster=roster)
        context.update(
            grid=grid,
            heatmap=coverage_heatmap(roster=roster),
            report=_generation_summary(roster, grid.staff_names),
            calendar_warning=uncovered_warning(grid.uncovered_years),
        )
    return render(request, "staffing/roster_detail.html", context)


@login_required
@require_GET
def roster_progress(request, pk: int):
    """The generation progress fragment; it polls itself every 2 s until the run is over."""
    roster = _roster(request, pk)
    require_permission(request.user, "roster.view", hall=roster.hall)
    response = render(request, "staffing/_roster_progress.html", {"roster": roster})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _cell_staff(roster: Roster, staff_pk: int, day: date) -> Staff:
    """A person who may appear in this roster's grid: the hall's staff, someone already on the
    roster, or someone lent to the hall on that day."""
    people = Staff.objects.filter(
        Q(hall_id=roster.hall_id)
        | Q(assignments__roster=roster)
        | Q(loans__to_hall_id=roster.hall_id, loans__start_date__lte=day, loans__end_date__gte=day)
    ).distinct()
    return get_object_or_404(people, pk=staff_pk)


@login_required
@require_http_methods(["GET", "POST"])
def roster_cell(request, pk: int, staff_pk: int, day: date):
    """One cell of a draft roster's grid. htmx: GET gives the editor (or, with ?display=1, the
    cell again), POST saves through `edit_assignment` and answers the cell with the person's
    hours and the heatmap and rule panel swapped out of band, or the editor with every broken
    rule beside the cell. Without htmx it is a small page of its own."""
    roster = _roster(request, pk)
    require_permission(request.user, "roster.edit", hall=roster.hall)
    if not roster.period_start <= day <= roster.period_end:
        raise Http404
    staff = _cell_staff(roster, staff_pk, day)
    if not _is_editable(roster):
        return HttpResponse(_("Only a draft roster that is not being generated can be changed."), status=409)
    htmx = bool(getattr(request, "htmx", False))
    context = {"roster": roster, "person": staff, "day": day, "editable": True}
    if request.method == "GET" and request.GET.get("display"):
        grid = roster_grid(roster=roster)
        return _cell_response(request, {**context, "cell": grid.cell(staff.pk, day)})
    current = (
        Assignment.objects.filter(roster=roster, staff=staff, date=day).select_related("shift_type").first()
    )
    form = AssignmentCellForm(
        request.POST or None,
        roster=roster,
        staff=staff,
        day=day,
        current=current.shift_type if current else None,
        auto_id=f"id_%s_{staff.pk}_{day:%Y%m%d}",
    )
    if request.method == "POST" and form.is_valid() and form.save(actor=request.user):
        if not htmx:
            messages.success(
                request, _("Shift of %(name)s on %(day)s saved.") % {"name": staff.name, "day": day}
            )
            return redirect(f"{reverse('roster_detail', args=[roster.pk])}#cell-{staff.pk}-{day:%Y%m%d}")
        grid = roster_grid(roster=roster)
        context.update(
            cell=grid.cell(staff.pk, day),
            row=grid.row(staff.pk),
            grid=grid,
            heatmap=coverage_heatmap(roster=roster),
            out_of_band=True,
        )
        return _cell_response(request, context)
    context["form"] = form
    template = "staffing/_roster_cell_editor.html" if htmx else "staffing/roster_cell.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _cell_response(request, context):
    response = render(request, "staffing/_roster_cell.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def roster_publish(request, pk: int):
    """GET: what publishing this version means (the rules it breaks, the version it supersedes);
    POST: publish through `publish_roster`, or show why it was refused."""
    roster = _roster(request, pk)
    require_permission(request.user, "roster.publish", hall=roster.hall)
    form = PublishForm(request.POST if request.method == "POST" else None, roster=roster)
    if request.method == "POST" and form.is_valid() and form.save(actor=request.user):
        messages.success(request, _("Version %(v)s is published.") % {"v": roster.version})
        return redirect("roster_detail", pk=roster.pk)
    context = {
        "roster": roster,
        "hall": roster.hall,
        "form": form,
        "editable": _is_editable(roster),
        "superseded": Roster.objects.filter(
            hall=roster.hall,
            status=Roster.Status.PUBLISHED,
            period_start__lte=roster.period_end,
            period_end__gte=roster.period_start,
        ).exclude(pk=roster.pk),
    }
    if context["editable"]:
        context["violations"] = roster_grid(roster=roster).violations
        context["heatmap"] = coverage_heatmap(roster=roster)
    return render(request, "staffing/roster_publish.html", context)


@login_required
@require_GET
def roster_compare(request, pk: int):
    """The changes from another version of the hall (?with=<id>) to this one."""
    roster = _roster(request, pk)
    require_permission(request.user, "roster.view", hall=roster.hall)
    versions = (
        Roster.objects.visible_to(request.user)
        .filter(hall=roster.hall)
        .exclude(pk=roster.pk)
        .order_by("-period_start", "-version", "-pk")
    )
    data = request.GET.copy()
    if "with" not in data:
        previous = versions.filter(
            period_start=roster.period_start, period_end=roster.period_end, version__lt=roster.version
        ).first()
        if previous is not None:
            data["with"] = previous.pk
    form = CompareForm(data if "with" in data else None, versions=versions)
    context = {"roster": roster, "hall": roster.hall, "form": form, "has_versions": versions.exists()}
    if form.is_bound and not form.is_valid() and "with" in request.GET:
        raise Http404
    if form.is_bound and form.is_valid():
        other = form.cleaned_data["with"]
        changes = compare_rosters(old=other, new=roster)
        context.update(
            other=other,
            changes=changes,
            counts={
                kind: sum(1 for c in changes if c.kind == kind) for kind in ("added", "changed", "removed")
            },
        )
    return render(request, "staffing/roster_compare.html", context)


@login_required
@require_GET
def roster_export(request, pk: int):
    """The roster as an Excel sheet for printing (A4 landscape, shift colours)."""
    roster = _roster(request, pk)
    require_permission(request.user, "roster.view", hall=roster.hall)
    content = roster_workbook(roster_grid(roster=roster))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    filename = f"roster-{roster.hall.code}-{roster.period_start:%Y%m%d}-v{roster.version}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- People's schedules -----------------------------------------------------------------------


def _schedule(request, staff: Staff | None, *, own: bool):
    today = timezone.localdate()
    end = today + timedelta(weeks=SCHEDULE_WEEKS) - timedelta(days=1)
    context = {"person": staff, "own": own, "start": today, "end": end, "weeks": SCHEDULE_WEEKS}
    if staff is not None:
        days = staff_schedule(staff=staff, start=today, end=end)
        context["days"] = days
        context["shift_count"] = sum(len(d.assignments) for d in days)
    return render(request, "staffing/roster_schedule.html", context)


@login_required
@require_GET
def roster_my_schedule(request):
    """The signed-in person's shifts in published rosters for the next weeks."""
    scope = scope_for(request.user)
    staff = (
        Staff.objects.select_related("hall").filter(pk=scope.own_staff_id).first()
        if scope.own_staff_id
        else None
    )
    return _schedule(request, staff, own=True)


@login_required
@require_GET
def roster_staff_schedule(request, pk: int):
    """One person's published schedule, for the managers of their hall (and the person)."""
    staff = get_object_or_404(Staff.objects.visible_to(request.user).select_related("hall__region"), pk=pk)
    require_permission(request.user, "roster.view", hall=staff.hall)
    return _schedule(request, staff, own=staff.pk == scope_for(request.user).own_staff_id)


# --- Leave, requests, traffic -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def roster_leave(request, pk: int):
    """Record leave for the hall's staff; lists leave ending in the last 30 days or later."""
    hall = _hall(request, pk)
    require_permission(request.user, "leave.manage", hall=hall)
    form = LeaveForm(request.POST or None, hall=hall)
    if request.method == "POST" and form.is_valid():
        leave = form.save(actor=request.user)
        if leave is not None:
            messages.success(request, _("Leave of %(name)s recorded.") % {"name": leave.staff.name})
            return redirect("roster_leave", pk=hall.pk)
    since = timezone.localdate() - timedelta(days=LEAVE_SHOWN_DAYS)
    context = {
        "hall": hall,
        "form": form,
        "page_obj": paginate(request, hall_leave_list(hall=hall, since=since)),
        **_hall_actions(request.user, hall),
    }
    return render(request, "staffing/roster_leave.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def roster_requests(request, pk: int):
    """File a day-off or shift request (a clerk for themselves, a manager for the hall's staff)
    and list the requests from last week on."""
    hall = _hall(request, pk)
    require_permission(request.user, "roster.request", hall=hall)
    manages = has_permission(request.user, "roster.edit", hall=hall)
    own_staff = None
    if not manages:
        own_staff = get_object_or_404(
            Staff.objects.filter(hall=hall), pk=scope_for(request.user).own_staff_id
        )
    form = StaffRequestForm(request.POST or None, hall=hall, own_staff=own_staff)
    if request.method == "POST" and form.is_valid():
        filed = form.save(actor=request.user)
        if filed is not None:
            messages.success(
                request,
                _("Request of %(name)s for %(day)s saved.") % {"name": filed.staff.name, "day": filed.date},
            )
            return redirect("roster_requests", pk=hall.pk)
    since = timezone.localdate() - timedelta(days=REQUESTS_SHOWN_DAYS)
    requests = hall_request_list(hall=hall, since=since, staff=own_staff)
    context = {
        "hall": hall,
        "form": form,
        "own_staff": own_staff,
        "page_obj": paginate(request, requests),
        **_hall_actions(request.user, hall),
    }
    return render(request, "staffing/roster_requests.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def roster_traffic_import(request, pk: int):
    """Import hourly traffic from a CSV file, all or nothing, with a row-by-row error report."""
    hall = _hall(request, pk)
    require_permission(request.user, "traffic.import", hall=hall)
    form = TrafficImportForm(request.POST or None, request.FILES or None, hall=hall)
    if request.method == "POST" and form.is_valid():
        result = form.save(actor=request.user)
        if result is not None:
            messages.success(
                request,
                _("Traffic imported: %(created)s new hours, %(updated)s updated, %(unchanged)s unchanged.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
            return redirect("roster_traffic_import", pk=hall.pk)
    context = {"hall": hall, "form": form, **_hall_actions(request.user, hall)}
    # A refused file answers 400 with the form and its row-by-row report.
    status = 400 if request.method == "POST" else 200
    return render(request, "staffing/roster_traffic_import.html", context, status=status)

"""Training pages. Views resolve objects through scoped selectors (another hall's object is a 404),
check the action permission (a 403) and hand forms to one training service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from halls.exceptions import DomainError
from halls.exports import XLSX_CONTENT_TYPE
from halls.models import Hall
from halls.permissions import has_permission, require_permission
from halls.scoping import scope_for
from staffing.models import Staff
from training import plan_services, selectors, services
from training.dates import add_months, month_weeks
from training.exports import archive_workbook
from training.forms import (
    AttendanceSheetForm,
    FollowUpForm,
    ImprovementPlanForm,
    SessionForm,
    StepForm,
    VerdictForm,
    parse_month,
)
from training.models import ImprovementStep, PlanStatus, ProgramKind, TrainingProgram


def _pick_hall(request, halls) -> Hall | None:
    """The hall named by ?hall=CODE among `halls`, else the user's own or first hall (404 for a
    code the user cannot see)."""
    code = request.GET.get("hall")
    if code:
        return get_object_or_404(halls, code=code)
    scope = scope_for(request.user)
    if scope.own_hall_id:
        own = halls.filter(pk=scope.own_hall_id).first()
        if own is not None:
            return own
    return halls.first()


def _visible_halls(user):
    return Hall.objects.visible_to(user).select_related("region").order_by("code")


@login_required
def calendar(request):
    """A hall's training calendar: a month grid of its sessions (?hall=CODE&month=YYYY-MM)."""
    require_permission(request.user, "training.view")
    halls = _visible_halls(request.user)
    hall = _pick_hall(request, halls)
    today = timezone.localdate()
    month = parse_month(request.GET.get("month"), default=today)
    days = selectors.sessions_for_calendar(user=request.user, hall=hall, month=month) if hall else {}
    weeks = [[(day, days.get(day, [])) if day else (None, []) for day in week] for week in month_weeks(month)]
    scope = scope_for(request.user)
    context = {
        "hall": hall,
        "halls": halls,
        "month": month,
        "today": today,
        "weeks": weeks,
        "agenda": sorted(days.items()),
        "previous_month": add_months(month, -1),
        "next_month": add_months(month, 1),
        "can_create": hall is not None and has_permission(request.user, "training.manage", hall=hall),
        "own_staff_id": scope.own_staff_id,
        "reminders": selectors.recent_reminders(user=request.user, now=timezone.now()),
    }
    return render(request, "training/calendar.html", context)


@login_required
def session_create(request):
    require_permission(request.user, "training.manage")
    initial = {"date": request.GET.get("date") or timezone.localdate(), "duration_minutes": 60}
    hall_code = request.GET.get("hall")
    if hall_code:
        initial["halls"] = list(Hall.objects.visible_to(request.user).filter(code=hall_code))
    form = SessionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        session = form.save(actor=request.user)
        if session is not None:
            messages.success(request, _("Session “%(topic)s” scheduled.") % {"topic": session.topic})
            return redirect("training:session-detail", pk=session.pk)
    return render(request, "training/session_form.html", {"form": form})


@login_required
def session_detail(request, pk: int):
    """A session with the bulk attendance and exam sheet of one of its halls (?hall=CODE)."""
    session = get_object_or_404(selectors.session_list(user=request.user), pk=pk)
    session_halls = _visible_halls(request.user).filter(training_sessions=session)
    hall = _pick_hall(request, session_halls)
    require_permission(request.user, "training.view", hall=hall)
    can_record = has_permission(request.user, "training.record", hall=hall)
    context = {"session": session, "hall": hall, "session_halls": session_halls, "can_record": can_record}
    if can_record:
        sheet = selectors.session_sheet(session=session, hall=hall)
        form = AttendanceSheetForm(request.POST or None, session=session, hall=hall, sheet=sheet)
        if request.method == "POST" and form.is_valid():
            result = form.save(actor=request.user)
            if result is not None:
                messages.success(
                    request,
                    _("Saved attendance of %(count)s people and %(exams)s exam scores.")
                    % {"count": result.attendance, "exams": result.exams},
                )
                if result.exams_withdrawn:
                    messages.info(
                        request,
                        _("Recorded as not present, these people's exam results were withdrawn: %(names)s.")
                        % {"names": ", ".join(person.name for person in result.exams_withdrawn)},
                    )
                for qualification in result.granted:
                    messages.info(
                        request,
                        _("%(name)s is now qualified until %(day)s.")
                        % {"name": qualification.staff.name, "day": qualification.expires_on.isoformat()},
                    )
                return redirect(f"{reverse('training:session-detail', args=[session.pk])}?hall={hall.code}")
        context["form"] = form
    else:
        if request.method == "POST":
            raise PermissionDenied
        scope = scope_for(request.user)
        own = [
            row
            for row in selectors.session_sheet(session=session, hall=hall)
            if row.staff.pk == scope.own_staff_id
        ]
        context["own_rows"] = own
    return render(request, "training/session_detail.html", context)


def _archive_staff(request, pk: int) -> Staff:
    staff = get_object_or_404(Staff.objects.visible_to(request.user).select_related("hall__region"), pk=pk)
    require_permission(request.user, "training.view", hall=staff.hall)
    return staff


@login_required
def archive(request, pk: int):
    """A person's training archive (培训档案): hours, sessions, exams, qualifications, plans."""
    staff = _archive_staff(request, pk)
    archive = selectors.training_archive(staff=staff)
    can_grant = has_permission(request.user, "training.record", hall=staff.hall) and has_permission(
        request.user, "qualification.grant", hall=staff.hall
    )
    context = {
        "staff": staff,
        "archive": archive,
        "can_plan": has_permission(request.user, "training.plan", hall=staff.hall),
        "grantable": [
            p
            for p in archive.progress
            if can_grant and p.program.kind == ProgramKind.ONBOARDING and p.complete
        ],
        "today": timezone.localdate(),
    }
    return render(request, "training/archive.html", context)


@login_required
@require_GET
def archive_export(request, pk: int):
    """The training archive of one person as .xlsx."""
    staff = _archive_staff(request, pk)
    content = archive_workbook(selectors.training_archive(staff=staff))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="training-archive-{staff.employee_no}.xlsx"'
    return response


@login_required
@require_POST
def qualify(request, pk: int, program_pk: int):
    """Grant the post qualification of a completed onboarding programme (errors as a message)."""
    staff = _archive_staff(request, pk)
    require_permission(request.user, "training.record", hall=staff.hall)
    program = get_object_or_404(TrainingProgram.objects.visible_to(request.user), pk=program_pk)
    try:
        qualification = services.grant_onboarding_qualification(
            actor=request.user, staff=staff, program=program
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s is now qualified until %(day)s.")
            % {"name": staff.name, "day": qualification.expires_on.isoformat()},
        )
    # 303 See Other: the answer to a POST is the archive page, fetched with GET.
    response = redirect("training:archive", pk=staff.pk)
    response.status_code = 303
    return response


@login_required
def progress(request):
    """Programme progress of a hall's staff (?hall=CODE), with a chart."""
    require_permission(request.user, "training.view")
    halls = _visible_halls(request.user)
    hall = _pick_hall(request, halls)
    rows = selectors.hall_program_progress(hall=hall, today=timezone.localdate()) if hall else []
    context = {"hall": hall, "halls": halls, "rows": rows, "chart": selectors.progress_chart(rows)}
    return render(request, "training/progress.html", context)


@login_required
def plan_create(request, pk: int):
    staff = _archive_staff(request, pk)
    require_permission(request.user, "training.plan", hall=staff.hall)
    form = ImprovementPlanForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        plan = form.save(actor=request.user)
        if plan is not None:
            messages.success(request, _("Improvement plan for %(name)s created.") % {"name": staff.name})
            return redirect("training:plan-detail", pk=plan.pk)
    return render(request, "training/plan_form.html", {"form": form, "staff": staff})


PLAN_FORMS = {"step": StepForm, "follow_up": FollowUpForm, "verdict": VerdictForm}


@login_required
def plan_detail(request, pk: int):
    """An improvement plan; managers add steps, tick them off, follow up and give the verdict
    here (POST with form=step|step_done|follow_up|verdict)."""
    plan = get_object_or_404(selectors.improvement_plan_detail(user=request.user), pk=pk)
    require_permission(request.user, "training.view", hall=plan.hall)
    can_plan = (
        has_permission(request.user, "training.plan", hall=plan.hall) and plan.status == PlanStatus.OPEN
    )
    forms = {name: cls(plan=plan) for name, cls in PLAN_FORMS.items()} if can_plan else {}
    if request.method == "POST":
        if not has_permission(request.user, "training.plan", hall=plan.hall):
            raise PermissionDenied
        which = request.POST.get("form")
        if which == "step_done":
            step = get_object_or_404(ImprovementStep, plan=plan, pk=request.POST.get("step") or 0)
            try:
                plan_services.complete_improvement_step(actor=request.user, step=step)
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect("training:plan-detail", pk=plan.pk)
        if which in PLAN_FORMS and can_plan:
            form = PLAN_FORMS[which](request.POST, plan=plan)
            if form.is_valid() and form.save(actor=request.user) is not None:
                messages.success(request, _("Saved."))
                return redirect("training:plan-detail", pk=plan.pk)
            forms[which] = form
        elif not can_plan:
            messages.error(request, _("This plan is closed."))
            return redirect("training:plan-detail", pk=plan.pk)
    context = {"plan": plan, "can_plan": can_plan, "forms": forms}
    return render(request, "training/plan_detail.html", context)

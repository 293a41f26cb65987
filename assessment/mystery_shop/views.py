"""Mystery-shop pages. Every visit is resolved through `selectors.visit_for` (Visit.visible_to):
an unpublished visit answers the hall's manager and staff exactly like a missing one (404), before
any permission check could tell them apart; a forbidden action on a visible one is a 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment.mystery_shop import reports, selectors, services
from assessment.mystery_shop.forms import (
    AddClerkForm,
    AnswerForm,
    EvidenceForm,
    RectificationFilterForm,
    ReopenForm,
    ReportForm,
    ReviewForm,
    StartVisitForm,
    VisitActionForm,
    VisitFilterForm,
    VisitHeaderForm,
)
from assessment.mystery_shop.models import Answer, ChecklistItem, Rectification, Visit
from halls.exports import XLSX_CONTENT_TYPE
from halls.pages import paginate, render_list
from halls.permissions import has_permission, require_permission

MAX_EXPORT_ROWS = 20_000


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _visit_url(visit, name="visit-detail") -> str:
    return reverse(f"assessment:mystery:{name}", kwargs={"pk": visit.pk})


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def visit_list(request):
    """Inspections in sight, filtered and searchable; unpublished ones for the market department only."""
    require_permission(request.user, "mystery.view")
    form = VisitFilterForm(request.GET or None, user=request.user)
    visits = selectors.filter_visits(user=request.user, **form.filters())
    context = {
        "form": form,
        "page": paginate(request, visits),
        "can_inspect": has_permission(request.user, "mystery.inspect"),
        "can_export": has_permission(request.user, "mystery.export"),
        "can_report": has_permission(request.user, "mystery.report"),
        "export_query": request.GET.urlencode(),
    }
    return render_list(
        request,
        page_template="assessment/mystery_shop/visit_list.html",
        results_template="assessment/mystery_shop/_visit_table.html",
        context=context,
    )


@login_required
@require_GET
def visit_export(request):
    require_permission(request.user, "mystery.export")
    form = VisitFilterForm(request.GET or None, user=request.user)
    visits = selectors.filter_visits(user=request.user, **form.filters())[:MAX_EXPORT_ROWS]
    return _xlsx(reports.visits_workbook(visits), "inspections.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request):
    """Start a draft inspection: hall, time, mode and the checklist in force it is judged by. A
    refused start (no checklist chosen among several in force, one no longer in force…) answers
    400 with the refusal beside its field."""
    require_permission(request.user, "mystery.inspect")
    posted = request.method == "POST"
    form = StartVisitForm(request.POST if posted else None, user=request.user)
    if posted and form.is_valid():
        visit = form.save(actor=request.user)
        if visit is not None:
            return _see_other(_visit_url(visit, "visit-entry"))
    return render(
        request, "assessment/mystery_shop/visit_new.html", {"form": form}, status=400 if posted else 200
    )


@login_required
@require_GET
def visit_detail(request, pk: int):
    visit = selectors.visit_for(user=request.user, pk=pk)
    return _render_detail(request, visit)


def _render_detail(request, visit, *, failed=None, status=200):
    user = request.user
    can_inspect = has_permission(user, "mystery.inspect", hall=visit.hall)
    categories, progress = selectors.entry_rows(visit)
    forms = {}
    if can_inspect:
        if visit.status == Visit.Status.SUBMITTED:
            forms["publish"] = VisitActionForm(initial={"version": visit.version}, visit=visit, action=None)
        if visit.status == Visit.Status.PUBLISHED:
            forms["reopen"] = ReopenForm(initial={"version": visit.version}, visit=visit)
            forms["close"] = VisitActionForm(initial={"version": visit.version}, visit=visit, action=None)
    if failed is not None:
        forms[failed[0]] = failed[1]
    context = {
        "visit": visit,
        "categories": categories,
        "progress": progress,
        "clerks": visit.clerks.select_related("staff"),
        "rectifications": selectors.visible_rectifications(user=user).filter(visit=visit),
        "can_inspect": can_inspect,
        "forms": forms,
        "conflict": getattr(failed[1], "conflict", None) if failed else None,
    }
    return render(request, "assessment/mystery_shop/visit_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def visit_entry(request, pk: int):
    """The phone entry form of a draft: header (autosaved, version-checked), clerks, then one small
    form per answer slot that saves itself on change (visit_answer)."""
    visit = selectors.visit_for(user=request.user, pk=pk)
    require_permission(request.user, "mystery.inspect", hall=visit.hall)
    if visit.status != Visit.Status.DRAFT:
        return _see_other(_visit_url(visit))
    header = VisitHeaderForm(request.POST or None, visit=visit, prefix="header")
    status = 200
    if request.method == "POST":
        if header.is_valid() and header.save(actor=request.user) is not None:
            if request.htmx:
                visit.refresh_from_db()
                header = VisitHeaderForm(visit=visit, prefix="header")
                return render(
                    request,
                    "assessment/mystery_shop/_header_form.html",
                    {"visit": visit, "header": header, "saved": True},
                )
            return _see_other(_visit_url(visit, "visit-entry"))
        status = 409 if header.conflict else 400
        if request.htmx:
            return render(
                request,
                "assessment/mystery_shop/_header_form.html",
                {"visit": visit, "header": header},
                status=status,
            )
    return _render_entry(request, visit, header=header, status=status)


def _render_entry(request, visit, *, header=None, clerk_form=None, submit_form=None, status=200):
    categories, progress = selectors.entry_rows(visit)
    context = {
        "visit": visit,
        "header": header or VisitHeaderForm(visit=visit, prefix="header"),
        "clerk_form": clerk_form or AddClerkForm(visit=visit, prefix="clerk"),
        "submit_form": submit_form
        or VisitActionForm(initial={"version": visit.version}, visit=visit, action=None),
        "clerks": visit.clerks.select_related("staff"),
        "categories": categories,
        "progress": progress,
        "results": Answer.Result.choices,
    }
    return render(request, "assessment/mystery_shop/visit_entry.html", context, status=status)


@login_required
@require_POST
def visit_add_clerk(request, pk: int):
    visit = selectors.visit_for(user=request.user, pk=pk)
    require_permission(request.user, "mystery.inspect", hall=visit.hall)
    form = AddClerkForm(request.POST, visit=visit, prefix="clerk")
    if form.is_valid() and form.save(actor=request.user) is not None:
        return _see_other(_visit_url(visit, "visit-entry") + "#clerks")
    visit.refresh_from_db()
    return _render_entry(request, visit, clerk_form=form, status=400)


@login_required
@require_POST
def visit_remove_clerk(request, pk: int, clerk_pk: int):
    visit = selectors.visit_for(user=request.user, pk=pk)
    require_permission(request.user, "mystery.inspect", hall=visit.hall)
    clerk = get_object_or_404(visit.clerks.all(), pk=clerk_pk)
    services.remove_clerk(actor=request.user, visit=visit, clerk=clerk)
    return _see_other(_visit_url(visit, "visit-entry") + "#clerks")


@login_required
@require_POST
def visit_answer(request, pk: int, item_pk: int):
    """Autosave of one answer slot (htmx: answers the slot's card and the progress, out of band).
    A stale version answers 409 with the card as it is now and the message; nothing is saved."""
    visit = selectors.visit_for(user=request.user, pk=pk)
    require_permission(request.user, "mystery.inspect", hall=visit.hall)
    item = get_object_or_404(
        ChecklistItem.objects.select_related("category"), pk=item_pk, template=visit.template_id
    )
    clerk = None
    if item.scope == ChecklistItem.Scope.CLERK:
        clerk = get_object_or_404(visit.clerks.select_related("staff"), pk=request.POST.get("clerk") or 0)
    form = AnswerForm(request.POST, request.FILES, visit=visit, item=item, clerk=clerk)
    saved = form.is_valid() and form.save(actor=request.user) is not None
    status = 200 if saved else (409 if form.conflict else 400)
    if not request.htmx:
        if saved:
            return _see_other(
                _visit_url(visit, "visit-entry") + f"#slot-{item.pk}-{clerk.pk if clerk else 'hall'}"
            )
        messages.error(request, form.conflict or _("The answer was not saved."))
        return _render_entry(request, visit, status=status)
    row = selectors.entry_row(visit, item, clerk)
    context = {
        "visit": visit,
        "row": row,
        "errors": None if saved else form,
        "saved": saved,
        "progress": selectors.progress_of(visit),
        "oob": True,
        "results": Answer.Result.choices,
    }
    return render(request, "assessment/mystery_shop/_answer_slot.html", context, status=status)


@login_required
@require_GET
def visit_photo(request, pk: int, photo_pk: int):
    """A photo, through this view only (never a public media URL): same scope as its visit."""
    photo = selectors.photo_for(user=request.user, visit_pk=pk, photo_pk=photo_pk)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def visit_photo_delete(request, pk: int, photo_pk: int):
    photo = selectors.photo_for(user=request.user, visit_pk=pk, photo_pk=photo_pk)
    require_permission(request.user, "mystery.inspect", hall=photo.answer.visit.hall)
    services.delete_photo(actor=request.user, photo=photo)
    return _see_other(_visit_url(photo.answer.visit, "visit-entry"))


@login_required
@require_POST
def visit_submit(request, pk: int):
    visit = selectors.visit_for(user=request.user, pk=pk)
    require_permission(request.user, "mystery.inspect", hall=visit.hall)
    form = VisitActionForm(request.POST, visit=visit, action=services.submit_visit)
    if form.is_valid() and form.save(actor=request.user) is not None:
        messages.success(request, _("Inspection submitted. Publish it to show it to the hall."))
        return _see_other(_visit_url(visit))
    visit = selectors.visit_for(user=request.user, pk=pk)
    return _render_entry(request, visit, submit_form=form, status=409 if form.conflict else 400)


def _visit_action(request, pk: int, name: str, form_class, action, done: str):
    visit = selectors.visit_for(user=request.user, pk=pk)
    require_permission(request.user, "mystery.inspect", hall=visit.hall)
    kwargs = {"visit": visit} if form_class is ReopenForm else {"visit": visit, "action": action}
    form = form_class(request.POST, **kwargs)
    if form.is_valid() and form.save(actor=request.user) is not None:
        messages.success(request, done)
        return _see_other(_visit_url(visit))
    visit = selectors.visit_for(user=request.user, pk=pk)
    return _render_detail(request, visit, failed=(name, form), status=409 if form.conflict else 400)


@login_required
@require_POST
def visit_publish(request, pk: int):
    return _visit_action(
        request,
        pk,
        "publish",
        VisitActionForm,
        services.publish_visit,
        _("Inspection published; the hall is notified."),
    )


@login_required
@require_POST
def visit_reopen(request, pk: int):
    return _visit_action(request, pk, "reopen", ReopenForm, None, _("Inspection reopened for correction."))


@login_required
@require_POST
def visit_close(request, pk: int):
    return _visit_action(request, pk, "close", VisitActionForm, services.close_visit, _("Inspection closed."))


# --- Rectification -------------------------------------------------------------------------------


@login_required
@require_GET
def rectification_list(request):
    require_permission(request.user, "mystery.view")
    form = RectificationFilterForm(request.GET or None, user=request.user)
    tasks = selectors.filter_rectifications(user=request.user, **form.filters())
    return render_list(
        request,
        page_template="assessment/mystery_shop/rectification_list.html",
        results_template="assessment/mystery_shop/_rectification_table.html",
        context={
            "form": form,
            "page": paginate(request, tasks),
            "can_report": has_permission(request.user, "mystery.report"),
        },
    )


@login_required
@require_GET
def rectification_detail(request, pk: int):
    task = selectors.rectification_for(user=request.user, pk=pk)
    return _render_task(request, task)


def _render_task(request, task, *, failed=None, status=200):
    user = request.user
    forms = {}
    if task.status == Rectification.Status.OPEN and has_permission(user, "mystery.rectify", hall=task.hall):
        forms["evidence"] = EvidenceForm(initial={"version": task.version}, task=task)
    if task.status == Rectification.Status.SUBMITTED and has_permission(
        user, "mystery.inspect", hall=task.hall
    ):
        forms["review"] = ReviewForm(initial={"version": task.version}, task=task)
    if failed is not None:
        forms[failed[0]] = failed[1]
    context = {
        "task": task,
        "forms": forms,
        "conflict": getattr(failed[1], "conflict", None) if failed else None,
    }
    return render(request, "assessment/mystery_shop/rectification_detail.html", context, status=status)


def _task_action(request, pk: int, name: str, permission: str, form_class, done: str):
    task = selectors.rectification_for(user=request.user, pk=pk)
    require_permission(request.user, permission, hall=task.hall)
    form = form_class(request.POST, request.FILES, task=task)
    if form.is_valid() and form.save(actor=request.user) is not None:
        messages.success(request, done)
        return _see_other(reverse("assessment:mystery:rectification-detail", kwargs={"pk": task.pk}))
    task = selectors.rectification_for(user=request.user, pk=pk)
    return _render_task(request, task, failed=(name, form), status=409 if form.conflict else 400)


@login_required
@require_POST
def rectification_evidence(request, pk: int):
    return _task_action(
        request, pk, "evidence", "mystery.rectify", EvidenceForm, _("Evidence sent for review.")
    )


@login_required
@require_POST
def rectification_review(request, pk: int):
    return _task_action(request, pk, "review", "mystery.inspect", ReviewForm, _("Review saved."))


@login_required
@require_GET
def rectification_photo(request, pk: int):
    task = selectors.rectification_for(user=request.user, pk=pk)
    if not task.evidence_photo:
        raise Http404
    try:
        handle = task.evidence_photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


# --- Reports ---------------------------------------------------------------------


@login_required
@require_GET
def report(request):
    """Per hall, region or everything in sight, one month: average score, items most often failed
    (chart), six-month trend, rectification on-time rate. Published visits only."""
    require_permission(request.user, "mystery.report")
    form = ReportForm(request.GET or None, user=request.user)
    month, region, hall = form.selection()
    data = selectors.monthly_report(user=request.user, month=month, region=region, hall=hall)
    context = {
        "form": form,
        "report": data,
        "charts": selectors.report_charts(data),
        "export_query": request.GET.urlencode(),
        "can_export": has_permission(request.user, "mystery.export"),
    }
    return render(request, "assessment/mystery_shop/report.html", context)


@login_required
@require_GET
def report_export(request):
    require_permission(request.user, "mystery.export")
    form = ReportForm(request.GET or None, user=request.user)
    month, region, hall = form.selection()
    data = selectors.monthly_report(user=request.user, month=month, region=region, hall=hall)
    return _xlsx(reports.report_workbook(data), f"inspections-report-{month:%Y-%m}.xlsx")

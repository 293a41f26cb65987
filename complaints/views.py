"""Complaint pages: the queue board with live SLA countdowns, the complaint detail with its
timeline, attachments and action forms, the intake form, the monthly summary, and the Excel
exports they link to. Views resolve complaints through scoped selectors (another hall's is a 404),
check the action permission (a 403) and hand a form to one service."""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from complaints import attachment_services, selectors, services
from complaints.exports import complaint_list_workbook, summary_workbook
from complaints.forms import (
    AccountabilityForm,
    AssignForm,
    AttachmentForm,
    CloseForm,
    ComplaintExportFilterForm,
    ComplaintServiceForm,
    HandOverForm,
    IntakeForm,
    NoteForm,
    PauseForm,
    QueueFilterForm,
    ReopenForm,
    ReplyForm,
    ResumeForm,
    StartForm,
    SummaryFilterForm,
    SummaryPageForm,
)
from complaints.masking import CustomerContact, masked_contact, may_view_unmasked
from complaints.models import Category, Channel, Complaint
from halls.exports import XLSX_CONTENT_TYPE
from halls.models import Hall, Region
from halls.pages import paginate, render_list
from halls.permissions import has_permission, require_permission

MAX_EXPORT_ROWS = 50_000


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _require_export(user) -> None:
    if not has_permission(user, "complaint.export"):
        raise PermissionDenied


@login_required
@require_GET
def summary_export(request):
    """The monthly summary of a hall or a region (?month=YYYY-MM&hall=CODE|region=CODE) as .xlsx."""
    _require_export(request.user)
    form = SummaryFilterForm(request.GET)
    if not form.is_valid():
        raise Http404
    month: date = form.cleaned_data["month"] or timezone.localdate().replace(day=1)
    hall = region = None
    if form.cleaned_data["hall"]:
        hall = get_object_or_404(Hall.objects.visible_to(request.user), code=form.cleaned_data["hall"])
    elif form.cleaned_data["region"]:
        region = get_object_or_404(Region.objects.visible_to(request.user), code=form.cleaned_data["region"])
    summary = selectors.complaint_monthly_summary(user=request.user, month=month, region=region, hall=hall)
    scope = hall.code if hall else region.code if region else "all"
    return _xlsx(summary_workbook(summary), f"complaints-summary-{scope}-{month:%Y-%m}.xlsx")


@login_required
@require_GET
def list_export(request):
    """Visible complaints received in a month (?month=YYYY-MM&hall=CODE), customers masked, as .xlsx."""
    _require_export(request.user)
    form = ComplaintExportFilterForm(request.GET)
    if not form.is_valid():
        raise Http404
    queryset = form.filter(selectors.complaint_list(user=request.user)).order_by("received_at", "id")
    month = form.cleaned_data["month"] or timezone.localdate().replace(day=1)
    return _xlsx(complaint_list_workbook(queryset[:MAX_EXPORT_ROWS]), f"complaints-{month:%Y-%m}.xlsx")


# --- Pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """An action form of the detail page: its form, the permission checked before the form
    (the service checks the rest) and the message shown when it succeeds."""

    form_class: type[ComplaintServiceForm]
    permission: str
    done: Promise


ACTIONS: dict[str, Action] = {
    "assign": Action(AssignForm, "complaint.assign", gettext_lazy("The complaint was assigned.")),
    "hand_over": Action(HandOverForm, "complaint.handle", gettext_lazy("The complaint was handed over.")),
    "start": Action(StartForm, "complaint.handle", gettext_lazy("Handling started.")),
    "pause": Action(
        PauseForm, "complaint.handle", gettext_lazy("The clock stops while the customer is awaited.")
    ),
    "resume": Action(
        ResumeForm, "complaint.handle", gettext_lazy("The clock runs again; the deadline moved.")
    ),
    "reply": Action(ReplyForm, "complaint.handle", gettext_lazy("The reply to the customer was recorded.")),
    "close": Action(CloseForm, "complaint.handle", gettext_lazy("The complaint was closed.")),
    "reopen": Action(ReopenForm, "complaint.handle", gettext_lazy("The complaint was reopened.")),
    "note": Action(NoteForm, "complaint.handle", gettext_lazy("The message was added to the timeline.")),
    "attach": Action(AttachmentForm, "complaint.handle", gettext_lazy("The file was attached.")),
    "accountability": Action(
        AccountabilityForm,
        "complaint.decide_accountability",
        gettext_lazy("The accountability finding was recorded."),
    ),
}


WORKFLOW_ACTIONS = frozenset({"assign", "hand_over", "start", "pause", "resume", "reply", "close", "reopen"})


def _visible_complaint(user, pk: int) -> Complaint:
    try:
        return selectors.complaint_detail(user=user, pk=pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def complaint_queue(request):
    """The queue board: open complaints soonest deadline first, customers masked, filtered by a GET
    form whose results htmx swaps in place."""
    require_permission(request.user, "complaint.view")
    form = QueueFilterForm(request.GET or None, user=request.user)
    now = timezone.now()
    filters = form.filters() if form.is_valid() else {}
    complaints = selectors.complaint_queue(user=request.user, now=now, **filters)
    context = {
        "form": form,
        "page_obj": paginate(request, complaints),
        "now": now,
        "can_create": has_permission(request.user, "complaint.create"),
        "can_view_summary": has_permission(request.user, "complaint.view_summary"),
    }
    return render_list(
        request,
        page_template="complaints/queue.html",
        results_template="complaints/_queue_results.html",
        context=context,
    )


@login_required
@require_GET
def complaint_detail(request, pk: int):
    complaint = _visible_complaint(request.user, pk)
    require_permission(request.user, "complaint.view", hall=complaint.hall)
    return _render_detail(request, complaint)


def _render_detail(
    request,
    complaint: Complaint,
    *,
    failed: tuple[str, ComplaintServiceForm] | None = None,
    contact: CustomerContact | None = None,
):
    """The detail page with a fresh form for every action allowed now. A failed submission keeps
    its form (errors beside fields); after a version conflict the page shows the current state and
    the message, and the failed form keeps what the user typed with the current version. The
    customer is shown masked (nothing audited) unless `contact` was revealed (complaint_contact);
    the people handling it get the button that reveals them."""
    user = request.user
    accountability = selectors.complaint_accountability(complaint=complaint)
    allowed = selectors.allowed_actions(user=user, complaint=complaint, accountability=accountability)
    forms = {name: ACTIONS[name].form_class(complaint=complaint, prefix=name) for name in allowed}
    conflict, action_errors, status = None, [], 200
    if failed is not None:
        name, form = failed
        if form.conflict:
            conflict, status = form.conflict, 409
            if name in forms:
                kept = {key: value for key, value in form.cleaned_data.items() if key != "version"}
                forms[name] = ACTIONS[name].form_class(complaint=complaint, prefix=name, initial=kept)
        elif name in forms:
            forms[name] = form
        else:
            # The action is no longer offered (its status moved on): say why at the top.
            action_errors = [error for errors in form.errors.values() for error in errors]
    context = {
        "complaint": complaint,
        "contact": contact or masked_contact(complaint),
        "may_reveal_contact": may_view_unmasked(user, complaint),
        "accountability": accountability,
        "forms": forms,
        "has_workflow_actions": bool(allowed & WORKFLOW_ACTIONS),
        "conflict": conflict,
        "action_errors": action_errors,
        "may_open_attachments": attachment_services.may_open_attachments(user, complaint),
        "now": timezone.now(),
    }
    return render(request, "complaints/detail.html", context, status=status)


@login_required
@require_POST
def complaint_action(request, pk: int, action: str):
    """One action form of the detail page, posted with the version the page showed: done, back to
    the page; refused, the page again with the errors (a stale version answers 409)."""
    spec = ACTIONS[action]
    complaint = _visible_complaint(request.user, pk)
    require_permission(request.user, spec.permission, hall=complaint.hall)
    form = spec.form_class(request.POST, request.FILES, complaint=complaint, prefix=action)
    if form.is_valid() and form.save(actor=request.user) is not None:
        messages.success(request, spec.done)
        return _see_other(complaint)
    response = _render_detail(request, _visible_complaint(request.user, pk), failed=(action, form))
    if response.status_code == 200:
        response.status_code = 400  # refused input (a stale version already answers 409)
    return response


@login_required
@require_POST
def complaint_contact(request, pk: int):
    """Reveal the customer's name and phone to someone handling the complaint: an explicit act,
    audited every time (services.reveal_customer_contact; anyone else gets a 403). htmx gets the
    customer block alone; a plain POST gets the detail page with the customer shown."""
    complaint = _visible_complaint(request.user, pk)
    require_permission(request.user, "complaint.view", hall=complaint.hall)
    contact = services.reveal_customer_contact(actor=request.user, complaint=complaint, purpose="page")
    if getattr(request, "htmx", None):
        context = {"complaint": complaint, "contact": contact, "may_reveal_contact": True}
        return render(request, "complaints/_customer_contact.html", context)
    return _render_detail(request, complaint, contact=contact)


def _see_other(complaint: Complaint) -> HttpResponseRedirect:
    """Back to the complaint after a POST (303 See Other: the browser GETs the page)."""
    response = HttpResponseRedirect(reverse("complaints:detail", kwargs={"pk": complaint.pk}))
    response.status_code = 303
    return response


@login_required
@require_GET
def attachment_download(request, pk: int, attachment_pk: int):
    """An attachment's file, through this view only (never a public media URL), for the people
    who may open it (complaints.attachment_services.may_open_attachments); each opening is audited."""
    complaint = _visible_complaint(request.user, pk)
    attachment = get_object_or_404(complaint.attachments.all(), pk=attachment_pk)
    try:
        handle = attachment_services.open_complaint_attachment(actor=request.user, attachment=attachment)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def complaint_intake(request):
    """Take in a complaint; the signed-in user becomes its first receiver (首问负责制)."""
    require_permission(request.user, "complaint.create")
    form = IntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        complaint = form.save(actor=request.user)
        if complaint is not None:
            messages.success(
                request,
                _("Complaint %(number)s was received. You are its first receiver and own it to the end.")
                % {"number": complaint.number},
            )
            return redirect("complaints:detail", pk=complaint.pk)
    return render(request, "complaints/intake.html", {"form": form})


@login_required
@require_GET
def complaint_summary(request):
    """The monthly summary of one hall, a region or every visible hall: counts by category and
    channel, on-time rate, repeat complainants, regulator complaints, complaints per 10,000
    transactions, charts, and links to the Excel exports of the same selection."""
    require_permission(request.user, "complaint.view_summary")
    form = SummaryPageForm(request.GET or None, user=request.user)
    month, region, hall = form.selection()
    summary = selectors.complaint_monthly_summary(user=request.user, month=month, region=region, hall=hall)
    context = {
        "form": form,
        "summary": summary,
        "scope_hall": hall,
        "scope_region": region,
        "charts": selectors.summary_charts(summary),
        "category_counts": [(label, summary.total.by_category[value]) for value, label in Category.choices],
        "channel_counts": [(label, summary.total.by_channel[value]) for value, label in Channel.choices],
        "export_query": form.export_query(),
        "can_export": has_permission(request.user, "complaint.export"),
    }
    return render(request, "complaints/summary.html", context)

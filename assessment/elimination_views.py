"""Pages of the bottom-elimination list (末位淘汰): the lists by month, one list's review page with
its audit trail, moving it to review and confirming it, appeals and their decisions, outcomes, the
Excel export and the branch's rule.

Who sees what follows the backend (EliminationList/EliminationEntry.visible_to): branch management
sees every state of its branches' lists; hall managers and clerks see lists under review (so they
can appeal) and confirmed, their hall's entries or their own entry only. Another hall's or branch's
object is a 404, a forbidden action a 403. Workflow forms post the version the page showed; a
stale one answers 409 with the current page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment import elimination_selectors as selectors
from assessment.elimination_forms import (
    AppealForm,
    ConfirmForm,
    DecisionForm,
    EliminationRuleForm,
    OutcomeForm,
    StartReviewForm,
)
from assessment.models import Appeal, EliminationEntry, EliminationList, EliminationRule
from assessment.selectors import branches_visible_to
from assessment.services.elimination import elimination_version
from halls.exports import XLSX_CONTENT_TYPE, Sheet, workbook_bytes
from halls.pages import paginate, render_list
from halls.permissions import ACTION_ROLES, has_permission, require_permission
from halls.scoping import scope_for


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _detail_url(elimination_list) -> str:
    return reverse("assessment:elimination-detail", kwargs={"pk": elimination_list.pk})


def elimination_tabs(user) -> dict:
    """Which of the elimination tabs of the assessment section the user may open."""
    return {
        "can_view_elimination": has_permission(user, "elimination.view"),
        "can_decide_appeals": has_permission(user, "elimination.decide_appeal"),
        "can_manage_rule": has_permission(user, "elimination.manage_rule"),
        "can_manage_schemes": has_permission(user, "assessment.manage_schemes"),
    }


def _visible_list(user, pk: int) -> EliminationList:
    try:
        return EliminationList.objects.visible_to(user).select_related("run__branch").get(pk=pk)
    except EliminationList.DoesNotExist:
        raise Http404 from None


def _visible_entry(user, pk: int) -> EliminationEntry:
    try:
        return selectors.visible_entry(user=user, pk=pk)
    except EliminationEntry.DoesNotExist:
        raise Http404 from None


def _visible_appeal(user, pk: int) -> Appeal:
    try:
        return selectors.appeal_queue(user=user).get(pk=pk)
    except Appeal.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def elimination_list_index(request):
    """The lists the user sees by month and branch, with their status, entries and pending appeals."""
    require_permission(request.user, "elimination.view")
    page_obj = paginate(request, selectors.page_lists(user=request.user))
    context = {"page_obj": page_obj, **_section_tabs(request.user)}
    return render_list(
        request,
        page_template="assessment/elimination_lists.html",
        results_template="assessment/_elimination_lists_table.html",
        context=context,
    )


def _section_tabs(user) -> dict:
    """Which tabs of the assessment section the user may open."""
    return {
        "can_view_runs": has_permission(user, "assessment.runs.view"),
        "can_rate": has_permission(user, "assessment.rate"),
        "can_import": has_permission(user, "assessment.import"),
        **elimination_tabs(user),
    }


section_tabs = _section_tabs


def _render_detail(
    request, elimination_list: EliminationList, *, review_form=None, conflict=None, status: int = 200
):
    user = request.user
    entries = list(selectors.list_entries(user=user, elimination_list=elimination_list))
    for entry in entries:
        entry.reason_texts = [selectors.describe_reason(reason) for reason in entry.reasons]
        entry.pending_appeal = next((a for a in entry.appeals.all() if a.status == "pending"), None)
    version = elimination_version("list", elimination_list.pk)
    whole = selectors.sees_whole_list(user, elimination_list)
    under_review = elimination_list.status == EliminationList.Status.UNDER_REVIEW
    confirmed = elimination_list.status == EliminationList.Status.CONFIRMED
    if review_form is None and elimination_list.status == EliminationList.Status.GENERATED:
        review_form = StartReviewForm(version=version, elimination_list=elimination_list)
    context = {
        "elimination_list": elimination_list,
        "entries": entries,
        "rule_texts": selectors.describe_rule(elimination_list.rule_snapshot),
        "review_form": review_form if has_permission(user, "elimination.review") else None,
        "can_confirm": under_review and has_permission(user, "elimination.confirm"),
        "can_appeal": under_review and has_permission(user, "elimination.appeal"),
        "can_decide": under_review and has_permission(user, "elimination.decide_appeal"),
        "can_record_outcome": confirmed and has_permission(user, "elimination.record_outcome"),
        "audit_events": selectors.list_audit_trail(
            user=user, elimination_list=elimination_list, entries=entries
        ),
        "sees_whole_list": whole,
        "conflict": conflict,
        **_section_tabs(user),
    }
    return render(request, "assessment/elimination_detail.html", context, status=status)


@login_required
@require_GET
def elimination_detail(request, pk: int):
    """One list: its entries bottom first with rank, total, the rules that put each person on it and
    a link to the score card; appeals and outcomes; the actions allowed now; the audit trail."""
    require_permission(request.user, "elimination.view")
    return _render_detail(request, _visible_list(request.user, pk))


@login_required
@require_POST
def elimination_review(request, pk: int):
    """Put a generated list under review (start_review), posted with the version the page showed."""
    require_permission(request.user, "elimination.review")
    elimination_list = _visible_list(request.user, pk)
    form = StartReviewForm(request.POST, version="", elimination_list=elimination_list)
    if form.is_valid() and form.save(actor=request.user) is not None:
        messages.success(request, _("The list is under review: hall managers and clerks can appeal now."))
        return _see_other(_detail_url(elimination_list))
    current = _visible_list(request.user, pk)
    if form.conflict:
        return _render_detail(request, current, conflict=form.conflict, status=409)
    return _render_detail(request, current, review_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def elimination_confirm(request, pk: int):
    """Confirm a list under review behind a confirmation page; refusals (pending appeals, another
    state) are shown on it, a stale version answers 409 with the current figures."""
    require_permission(request.user, "elimination.confirm")
    elimination_list = _visible_list(request.user, pk)
    status = 200
    form = ConfirmForm(
        version=elimination_version("list", elimination_list.pk), elimination_list=elimination_list
    )
    if request.method == "POST":
        posted = ConfirmForm(request.POST, version="", elimination_list=elimination_list)
        if posted.is_valid() and posted.save(actor=request.user) is not None:
            messages.success(request, _("The list is confirmed; HR sees it from now on."))
            return _see_other(_detail_url(elimination_list))
        elimination_list = _visible_list(request.user, pk)
        if posted.conflict:
            status = 409
            form = ConfirmForm(
                version=elimination_version("list", elimination_list.pk), elimination_list=elimination_list
            )
            form.conflict = posted.conflict
        else:
            form = posted
    counts = selectors.page_lists(user=request.user).get(pk=elimination_list.pk)
    context = {"elimination_list": elimination_list, "form": form, "counts": counts}
    return render(request, "assessment/elimination_confirm.html", context, status=status)


@login_required
@require_GET
def elimination_export(request, pk: int):
    """The list's entries the user sees as .xlsx (cells through halls.exports.safe_cell)."""
    require_permission(request.user, "elimination.view")
    elimination_list = _visible_list(request.user, pk)
    entries = selectors.list_entries(user=request.user, elimination_list=elimination_list)
    headers = [
        _("Month"),
        _("Branch"),
        _("Hall"),
        _("Employee number"),
        _("Name"),
        _("Total"),
        _("Rank among the eligible in the hall"),
        _("Eligible in the hall"),
        _("Rank among the eligible"),
        _("Eligible in the branch"),
        _("Why listed"),
        _("Status"),
        _("Appeals"),
        _("Outcome"),
        _("Outcome note"),
        _("List status"),
    ]
    rows = (
        [
            f"{elimination_list.month:%Y-%m}",
            elimination_list.run.branch.code,
            entry.hall.name,
            entry.staff.employee_no,
            entry.staff.name,
            entry.result.total,
            *entry.hall_position,
            *entry.branch_position,
            "; ".join(selectors.describe_reason(reason) for reason in entry.reasons),
            entry.get_status_display(),
            "; ".join(f"{a.get_status_display()}: {a.reason}" for a in entry.appeals.all()),
            entry.get_outcome_display(),
            entry.outcome_note,
            elimination_list.get_status_display(),
        ]
        for entry in entries
    )
    month = f"{elimination_list.month:%Y-%m}"
    content = workbook_bytes([Sheet(title=month, headers=headers, rows=rows)])
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="elimination-{elimination_list.run.branch.code}-{month}.xlsx"'
    )
    return response


def _entry_form_page(request, *, entry, form_class, permission, template, done, **extra):
    """GET: the form; POST: run it. A stale version answers 409 with the entry as it is now and the
    text the user typed kept."""
    require_permission(request.user, permission)
    entry = _visible_entry(request.user, entry)
    status = 200
    form = form_class(version=elimination_version("entry", entry.pk), entry=entry)
    if request.method == "POST":
        posted = form_class(request.POST, version="", entry=entry)
        if posted.is_valid() and posted.save(actor=request.user) is not None:
            messages.success(request, done)
            return _see_other(_detail_url(entry.elimination_list))
        entry = _visible_entry(request.user, entry.pk)
        if posted.conflict:
            status = 409
            form = form_class(
                version=elimination_version("entry", entry.pk), entry=entry, initial=posted.kept_data()
            )
            form.conflict = posted.conflict
        else:
            form = posted
    context = {
        "entry": entry,
        "form": form,
        "reason_texts": [selectors.describe_reason(r) for r in entry.reasons],
    }
    return render(request, template, {**context, **extra}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def elimination_appeal(request, pk: int):
    """File an appeal against an entry of a list under review: the clerk their own, the hall manager
    an entry of their hall, with a reason."""
    return _entry_form_page(
        request,
        entry=pk,
        form_class=AppealForm,
        permission="elimination.appeal",
        template="assessment/elimination_appeal.html",
        done=_("The appeal was filed; the branch manager decides it."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def elimination_outcome(request, pk: int):
    """Record the outcome (improvement plan, warning, dismissal) of an entry of a confirmed list."""
    return _entry_form_page(
        request,
        entry=pk,
        form_class=OutcomeForm,
        permission="elimination.record_outcome",
        template="assessment/elimination_outcome.html",
        done=_("The outcome was recorded."),
    )


@login_required
@require_GET
def elimination_appeals(request):
    """Appeals against the branch's entries, pending first, for the branch manager to decide."""
    require_permission(request.user, "elimination.decide_appeal")
    page_obj = paginate(request, selectors.appeal_queue(user=request.user))
    context = {"page_obj": page_obj, **_section_tabs(request.user)}
    return render_list(
        request,
        page_template="assessment/elimination_appeals.html",
        results_template="assessment/_elimination_appeals_table.html",
        context=context,
    )


@login_required
@require_http_methods(["GET", "POST"])
def elimination_appeal_decide(request, pk: int):
    """Uphold (the entry is removed) or reject a pending appeal with a written reason."""
    require_permission(request.user, "elimination.decide_appeal")
    appeal = _visible_appeal(request.user, pk)
    status = 200
    form = DecisionForm(version=elimination_version("appeal", appeal.pk), appeal=appeal)
    if request.method == "POST":
        posted = DecisionForm(request.POST, version="", appeal=appeal)
        if posted.is_valid() and posted.save(actor=request.user) is not None:
            messages.success(request, _("The appeal was decided."))
            return _see_other(reverse("assessment:elimination-appeals"))
        appeal = _visible_appeal(request.user, pk)
        if posted.conflict:
            status = 409
            form = DecisionForm(
                version=elimination_version("appeal", appeal.pk), appeal=appeal, initial=posted.kept_data()
            )
            form.conflict = posted.conflict
        else:
            form = posted
    entry = appeal.entry
    context = {
        "appeal": appeal,
        "entry": entry,
        "form": form,
        "reason_texts": [selectors.describe_reason(r) for r in entry.reasons],
    }
    return render(request, "assessment/elimination_decide.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def elimination_rule(request):
    """The branch's elimination rule (?branch=CODE, else the first branch the user manages):
    criteria, consecutive months and exclusions, errors beside the fields; saving is audited."""
    require_permission(request.user, "elimination.manage_rule")
    branches = [branch for branch in branches_visible_to(user=request.user) if _manages(request.user, branch)]
    code = request.GET.get("branch")
    branch = (
        next((b for b in branches if b.code == code), None) if code else (branches[0] if branches else None)
    )
    if branch is None:
        raise Http404
    rule = EliminationRule.objects.filter(branch=branch).first()
    form = EliminationRuleForm(request.POST or None, branch=branch, rule=rule)
    if request.method == "POST" and form.is_valid() and form.save(actor=request.user) is not None:
        messages.success(
            request, _("The elimination rule of %(branch)s was saved.") % {"branch": branch.name}
        )
        return _see_other(f"{reverse('assessment:elimination-rule')}?branch={branch.code}")
    context = {
        "form": form,
        "branch": branch,
        "branches": branches,
        "rule": rule,
        **_section_tabs(request.user),
    }
    return render(request, "assessment/elimination_rule.html", context)


def _manages(user, branch) -> bool:
    """Does the user hold a role over the branch that may set its rule?"""
    scope = scope_for(user)
    if scope.sees_everything:
        return True
    allowed = ACTION_ROLES["elimination.manage_rule"]
    return any(
        branch.path.startswith(tuple(paths)) for role, paths in scope.region_roles.items() if role in allowed
    )

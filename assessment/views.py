"""Assessment pages: monthly results with trend sparklines, the score card behind a result, the
hall ranking chart, computing and publishing runs, the supervisor rating form, the Excel export
of a month's results, and the imports of customer evaluations and daily KPI records with their
format help, sample files and history. Views resolve objects through scoped selectors (another
hall's is a 404), check the action permission (a 403) and hand forms to one service."""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment import selectors, services
from assessment.elimination_views import section_tabs
from assessment.forms import ComputeForm, ImportForm, RatingForm, ResultFilterForm, last_month
from assessment.import_formats import import_format, import_formats, import_rules
from assessment.models import FactImport, MonthlyResult, ResultRun
from assessment.services.compute import add_months
from assessment.services.imports import MAX_REPORTED_ERRORS
from assessment.tasks import compute_month_results_task
from halls.exceptions import DomainError
from halls.exports import XLSX_CONTENT_TYPE, Sheet, workbook_bytes
from halls.pages import paginate, render_list
from halls.permissions import has_permission, require_permission

TREND_MONTHS = 6
MAX_EXPORT_ROWS = 50_000
SPARK_WIDTH, SPARK_HEIGHT, SPARK_MARGIN = 80, 20, 2


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _sees_drafts(user) -> bool:
    return has_permission(user, "assessment.runs.view")


def _tabs(user) -> dict:
    """Which of the section's tabs the user may open."""
    return section_tabs(user)


def sparkline_points(totals: list[Decimal]) -> str:
    """SVG polyline points of totals across a SPARK_WIDTH × SPARK_HEIGHT box, left to right, scaled
    to the person's own lowest and highest total (2 px margin); equal totals draw a flat middle line."""
    if not totals:
        return ""
    if len(totals) == 1:
        totals = totals * 2
    low, high = min(totals), max(totals)
    step = SPARK_WIDTH / (len(totals) - 1)
    drawable = SPARK_HEIGHT - 2 * SPARK_MARGIN

    def y(total) -> float:
        if high == low:
            return SPARK_HEIGHT / 2
        return SPARK_MARGIN + float((high - total) / (high - low)) * drawable

    return " ".join(f"{index * step:.1f},{y(total):.1f}" for index, total in enumerate(totals))


def _month_selection(request, form: ResultFilterForm, *, drafts: bool) -> date:
    return (
        form.chosen_month()
        or selectors.latest_result_month(user=request.user, with_drafts=drafts)
        or last_month()
    )


@login_required
@require_GET
def result_list(request):
    """A month's results: rank in hall and branch, star level, total and a sparkline of the last
    six published months. Hall managers see their hall's published results, clerks their own row;
    branch management also sees draft runs (badged)."""
    require_permission(request.user, "assessment.results.view")
    drafts = _sees_drafts(request.user)
    form = ResultFilterForm(request.GET or None, user=request.user)
    month = _month_selection(request, form, drafts=drafts)
    results = form.filter(selectors.page_results(user=request.user, month=month, with_drafts=drafts))
    page_obj = paginate(request, results)
    trends = selectors.result_trends(
        user=request.user, staff_ids=[r.staff_id for r in page_obj], month=month, months=TREND_MONTHS
    )
    rows = [
        (result, sparkline_points([total for _when, total in trends.get(result.staff_id, [])]))
        for result in page_obj
    ]
    query = request.GET.copy()
    query["month"] = f"{month:%Y-%m}"
    query.pop("page", None)
    context = {
        "form": form,
        "month": month,
        "page_obj": page_obj,
        "rows": rows,
        "spark": {"width": SPARK_WIDTH, "height": SPARK_HEIGHT},
        "export_query": query.urlencode(),
        **_tabs(request.user),
    }
    return render_list(
        request,
        page_template="assessment/results.html",
        results_template="assessment/_results_table.html",
        context=context,
    )


@login_required
@require_GET
def result_export(request):
    """The results of the filtered month as .xlsx (the same rows as the results page)."""
    require_permission(request.user, "assessment.results.view")
    drafts = _sees_drafts(request.user)
    form = ResultFilterForm(request.GET or None, user=request.user)
    month = _month_selection(request, form, drafts=drafts)
    results = form.filter(selectors.page_results(user=request.user, month=month, with_drafts=drafts))
    headers = [
        _("Month"),
        _("Branch"),
        _("Hall"),
        _("Employee number"),
        _("Name"),
        _("Post"),
        _("Total"),
        _("Rank in hall"),
        _("Ranked in hall"),
        _("Rank in branch"),
        _("Ranked in branch"),
        _("Star level"),
        _("Status"),
    ]
    rows = (
        [
            f"{r.month:%Y-%m}",
            r.run.branch.code,
            r.hall.name,
            r.staff.employee_no,
            r.staff.name,
            r.get_post_display(),
            r.total,
            r.rank_in_hall,
            r.hall_size,
            r.rank_in_branch,
            r.branch_size,
            r.proposed_star_level,
            r.run.get_status_display(),
        ]
        for r in results[:MAX_EXPORT_ROWS]
    )
    content = workbook_bytes([Sheet(title=f"{month:%Y-%m}", headers=headers, rows=rows)])
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="assessment-results-{month:%Y-%m}.xlsx"'
    return response


@login_required
@require_GET
def score_card(request, pk: int):
    """The score card of one result: each indicator's figure, points and weighted score, the rule
    in words and the facts behind it. A clerk sees only their own card, once published."""
    require_permission(request.user, "assessment.results.view")
    try:
        result = selectors.visible_result(user=request.user, pk=pk, with_drafts=_sees_drafts(request.user))
    except MonthlyResult.DoesNotExist:
        raise Http404 from None
    card = selectors.score_card(staff=result.staff, month=result.month, run=result.run)
    return render(request, "assessment/score_card.html", {"result": result, "card": card})


@login_required
@require_GET
def hall_ranking(request):
    """The halls of a branch ranked by their clerks' average score, with the change since the
    previous month and a bar chart of both months (published runs only)."""
    require_permission(request.user, "assessment.results.view")
    branches = list(selectors.branches_visible_to(user=request.user))
    code = request.GET.get("branch")
    branch = (
        next((b for b in branches if b.code == code), None) if code else (branches[0] if branches else None)
    )
    if code and branch is None:
        raise Http404
    form = ResultFilterForm(request.GET or None, user=request.user)
    month = form.chosen_month() or last_month()
    rows = selectors.hall_ranking(branch=branch, month=month) if branch else []
    previous = add_months(month, -1)
    chart = {
        "stacked": False,
        "labels": [row.hall_name for row in rows],
        "datasets": [
            {
                "label": f"{previous:%Y-%m}",
                "data": [_number(row.previous_average_score) for row in rows],
            },
            {"label": f"{month:%Y-%m}", "data": [_number(row.average_score) for row in rows]},
        ],
    }
    context = {
        "branches": branches,
        "branch": branch,
        "month": month,
        "previous": previous,
        "rows": rows,
        "chart": chart,
        "has_scores": any(row.average_score is not None for row in rows),
        **_tabs(request.user),
    }
    return render(request, "assessment/ranking.html", context)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _runs_context(request, form: ComputeForm) -> dict:
    runs = selectors.run_list(user=request.user).order_by("-month", "branch__code", "-version")
    return {
        "form": form,
        "page_obj": paginate(request, runs),
        "can_compute": has_permission(request.user, "assessment.compute"),
        "can_publish": has_permission(request.user, "assessment.publish"),
        **_tabs(request.user),
    }


@login_required
@require_GET
def run_list(request):
    """Computed versions of the branches' months with their progress; compute and publish them."""
    require_permission(request.user, "assessment.runs.view")
    form = ComputeForm(branches=selectors.branches_visible_to(user=request.user))
    return render(request, "assessment/runs.html", _runs_context(request, form))


@login_required
@require_POST
def run_compute(request):
    """Queue the computation of a branch's month (the Celery task); the runs page shows its progress."""
    require_permission(request.user, "assessment.compute")
    form = ComputeForm(request.POST, branches=selectors.branches_visible_to(user=request.user))
    if not form.is_valid():
        return render(request, "assessment/runs.html", _runs_context(request, form), status=400)
    branch, month = form.cleaned_data["branch"], form.cleaned_data["month"]
    services.require_branch_permission(request.user, "assessment.compute", branch)
    try:
        # Checked up front so the refusal shows beside the month; the job checks again under its
        # lock, and without a broker (tasks run in-process) its refusals arrive here too.
        services.require_month_computable(branch=branch, month=month)
        compute_month_results_task.delay(branch.pk, month.isoformat(), request.user.pk)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return render(request, "assessment/runs.html", _runs_context(request, form), status=400)
    messages.success(
        request,
        _("The results of %(branch)s for %(month)s are being computed.")
        % {"branch": branch.name, "month": f"{month:%Y-%m}"},
    )
    return _see_other(reverse("assessment:runs"))


def _visible_run(user, pk: int) -> ResultRun:
    return get_object_or_404(selectors.run_list(user=user), pk=pk)


@login_required
@require_GET
def run_progress(request, pk: int):
    """The progress fragment of one run; htmx polls it every 2 s while the run is computing."""
    require_permission(request.user, "assessment.runs.view")
    run = _visible_run(request.user, pk)
    return render(request, "assessment/_run_progress.html", {"run": run})


@login_required
@require_http_methods(["GET", "POST"])
def run_publish(request, pk: int):
    """Confirm and publish a draft run (publish_results); refusals are shown on the page."""
    require_permission(request.user, "assessment.publish")
    run = _visible_run(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            services.publish_results(run=run, actor=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("The results of %(branch)s for %(month)s are published.")
                % {"branch": run.branch.name, "month": f"{run.month:%Y-%m}"},
            )
            return _see_other(reverse("assessment:runs"))
    coverage = selectors.run_coverage(run=run) if run.status == ResultRun.Status.DRAFT else None
    return render(
        request,
        "assessment/run_publish.html",
        {"run": run, "error": error, "coverage": coverage},
    )


@login_required
@require_http_methods(["GET", "POST"])
def rating(request):
    """The hall manager's monthly supervisor rating of one person (rate_staff); errors beside fields."""
    require_permission(request.user, "assessment.rate")
    form = RatingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = form.save(actor=request.user)
        if saved is not None:
            messages.success(
                request,
                _("The rating of %(name)s for %(month)s was saved: %(points)s points.")
                % {"name": saved.staff.name, "month": f"{saved.month:%Y-%m}", "points": saved.points},
            )
            return _see_other(reverse("assessment:rating"))
    return render(request, "assessment/rating.html", {"form": form, **_tabs(request.user)})


def _imports_context(request, form: ImportForm) -> dict:
    return {
        "form": form,
        "formats": import_formats(),
        "rules": import_rules(),
        "errors_cut_off": len(form.row_errors) >= MAX_REPORTED_ERRORS,
        "page_obj": paginate(request, selectors.import_history(user=request.user)),
        **_tabs(request.user),
    }


@login_required
@require_http_methods(["GET", "POST"])
def imports(request):
    """Import a file of customer evaluations or daily KPI records (all or nothing), with the format
    of each kind, sample files and the history of the user's imports. A refused file answers 400
    with the page and its row-by-row report; an accepted one redirects with the counts."""
    require_permission(request.user, "assessment.import")
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        result = form.save(actor=request.user) if form.is_valid() else None
        if result is not None:
            record = result.import_record
            messages.success(
                request,
                _("%(kind)s imported from %(file)s: %(rows)s rows, %(created)s new, %(unchanged)s unchanged.")
                % {
                    "kind": record.get_kind_display(),
                    "file": record.filename,
                    "rows": result.rows,
                    "created": result.created,
                    "unchanged": result.unchanged,
                },
            )
            return _see_other(f"{reverse('assessment:imports')}?kind={record.kind}")
        return render(request, "assessment/imports.html", _imports_context(request, form), status=400)
    kind = request.GET.get("kind")
    form = ImportForm(initial={"kind": kind} if kind in FactImport.Kind.values else None)
    return render_list(
        request,
        page_template="assessment/imports.html",
        results_template="assessment/_import_history.html",
        context=_imports_context(request, form),
    )


@login_required
@require_GET
def import_sample(request, kind: str):
    """A sample file of one kind of import: the header the import requires and two example rows."""
    require_permission(request.user, "assessment.import")
    sample = import_format(kind)
    # With a byte order mark, Excel opens the UTF-8 file with its Chinese ratings intact.
    response = HttpResponse(sample.sample_csv().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{sample.sample_filename}"'
    return response

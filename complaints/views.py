"""Complaint downloads. The pages (queue board, detail, intake, summary) are built on the shared
base template; these views serve the Excel exports they link to."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from complaints.exports import complaint_list_workbook, summary_workbook
from complaints.forms import ComplaintExportFilterForm, SummaryFilterForm
from complaints.selectors import complaint_list, complaint_monthly_summary
from halls.exports import XLSX_CONTENT_TYPE
from halls.models import Hall, Region
from halls.permissions import has_permission

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
    summary = complaint_monthly_summary(user=request.user, month=month, region=region, hall=hall)
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
    queryset = form.filter(complaint_list(user=request.user)).order_by("received_at", "id")
    month = form.cleaned_data["month"] or timezone.localdate().replace(day=1)
    return _xlsx(complaint_list_workbook(queryset[:MAX_EXPORT_ROWS]), f"complaints-{month:%Y-%m}.xlsx")

"""Forms of the assessment pages: the results filters, computing a month, the supervisor rating,
the imports of customer evaluations and daily KPI records."""

from datetime import date

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessment.exceptions import ImportRejected
from assessment.models import FactImport
from assessment.services import import_customer_evaluations, import_daily_kpis, rate_staff
from assessment.services.compute import add_months
from halls.forms import ServiceForm
from halls.models import Hall
from staffing.models import Staff

MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as YYYY-MM (the first day of the month)."""

    input_formats = ["%Y-%m"]
    widget = MONTH_INPUT

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


def last_month() -> date:
    return add_months(timezone.localdate().replace(day=1), -1)


class ResultFilterForm(forms.Form):
    """The results page's month picker and filters; halls travel by code."""

    month = MonthField(label=_("Month"), required=False)
    hall = forms.ModelChoiceField(
        label=_("Hall"), queryset=None, required=False, to_field_name="code", empty_label=_("All halls")
    )
    post = forms.ChoiceField(label=_("Post"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hall"].queryset = Hall.objects.visible_to(user).order_by("code")
        self.fields["post"].choices = [("", _("All posts")), *Staff.Post.choices]

    def filter(self, results):
        """The results narrowed to the chosen hall and post (invalid choices are ignored)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("hall"):
            results = results.filter(hall=data["hall"])
        if data.get("post"):
            results = results.filter(post=data["post"])
        return results

    def chosen_month(self) -> date | None:
        return self.cleaned_data.get("month") if self.is_bound and self.is_valid() else None


class ComputeForm(forms.Form):
    """Which branch and month to compute."""

    branch = forms.ModelChoiceField(label=_("Branch"), queryset=None, to_field_name="code")
    month = MonthField(label=_("Month"))

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["month"].initial = last_month()


class RatingForm(ServiceForm):
    """The hall manager's monthly rating of one person: four criteria of 0–25 points (rate_staff)."""

    staff = forms.ModelChoiceField(label=_("Person"), queryset=None)
    month = MonthField(label=_("Month"))
    attitude = forms.IntegerField(label=_("Service attitude"), min_value=0, max_value=25)
    skill = forms.IntegerField(label=_("Professional skill"), min_value=0, max_value=25)
    teamwork = forms.IntegerField(label=_("Teamwork"), min_value=0, max_value=25)
    appearance = forms.IntegerField(label=_("Appearance and conduct"), min_value=0, max_value=25)
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = (
            Staff.objects.visible_to(user)
            .current()
            .select_related("hall")
            .order_by("hall__code", "employee_no")
        )
        self.fields["staff"].label_from_instance = lambda staff: (
            f"{staff.employee_no} {staff.name} · {staff.hall.name}"
        )
        self.fields["month"].initial = timezone.localdate().replace(day=1)

    def perform(self, *, actor):
        data = dict(self.cleaned_data)
        return rate_staff(actor=actor, staff=data.pop("staff"), **data)


class ImportForm(ServiceForm):
    """A file of customer evaluations or daily KPI records (CSV or .xlsx), imported all or nothing;
    a refused file's rows in error are kept in `row_errors` (line, column, message)."""

    SERVICES = {
        FactImport.Kind.EVALUATIONS: import_customer_evaluations,
        FactImport.Kind.KPIS: import_daily_kpis,
    }

    kind = forms.ChoiceField(
        label=_("Kind of records"), choices=FactImport.Kind.choices, initial=FactImport.Kind.EVALUATIONS
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8) or Excel .xlsx, with the columns described below."),
        # The service reads any name but .xlsx as CSV: a workbook of another format must not get there.
        validators=[
            FileExtensionValidator(["csv", "xlsx"], message=_("Choose a CSV (.csv) or Excel (.xlsx) file."))
        ],
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_errors: list[tuple[int, str, str]] = []

    def add_domain_error(self, exc):
        if isinstance(exc, ImportRejected):
            self.row_errors = list(exc.errors)
        super().add_domain_error(exc)

    def perform(self, *, actor):
        upload = self.cleaned_data["file"]
        service = self.SERVICES[self.cleaned_data["kind"]]
        return service(actor=actor, file=upload, filename=upload.name or "")

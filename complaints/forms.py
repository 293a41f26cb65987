"""Forms of the complaint pages. Each validates input only; the services decide (their domain
errors are shown beside the field named by the error). Workflow forms carry the `version` the
page was rendered with, so a stale submission is refused instead of overwriting."""

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Channel, Complaint, Finding, Satisfaction, Severity, Status
from complaints.selectors import handler_candidates, month_bounds
from halls.models import Hall
from staffing.models import Staff


class MonthField(forms.DateField):
    """A month as YYYY-MM (the first day of the month)."""

    input_formats = ["%Y-%m"]

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


class IntakeForm(forms.Form):
    """A complaint received at the counter or typed in from another channel."""

    hall = forms.ModelChoiceField(label=_("Hall"), queryset=Hall.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.HALL_COUNTER)
    received_at = forms.DateTimeField(label=_("Received at"), required=False)
    customer_name = forms.CharField(label=_("Customer name"), max_length=60)
    customer_phone = forms.RegexField(
        label=_("Customer phone"), regex=r"^\+?[0-9][0-9 \-]{4,19}$", max_length=20
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.NORMAL)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    clerks = forms.ModelMultipleChoiceField(
        label=_("Clerks involved"), queryset=Staff.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hall"].queryset = Hall.objects.visible_to(user).active().order_by("code")
        self.fields["clerks"].queryset = Staff.objects.visible_to(user).current().select_related("hall")

    def clean(self):
        cleaned = super().clean()
        hall, clerks = cleaned.get("hall"), cleaned.get("clerks") or []
        if hall is not None and any(clerk.hall_id != hall.pk for clerk in clerks):
            self.add_error("clerks", _("Clerks involved must work in the complaint's hall."))
        return cleaned


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(VersionedForm):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=get_user_model().objects.none())

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handler_candidates(hall=complaint.hall)
        self.fields["handler"].label_from_instance = lambda user: user.get_full_name() or user.get_username()


class HandOverForm(AssignForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea, required=False, max_length=1000)


class ReasonForm(VersionedForm):
    """Pause (what the customer is to provide) or reopen (why)."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea, max_length=2000)


class ReplyForm(VersionedForm):
    reply = forms.CharField(label=_("Reply to the customer"), widget=forms.Textarea, max_length=10000)
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea, required=False, max_length=5000
    )


class CloseForm(VersionedForm):
    satisfaction = forms.ChoiceField(label=_("Customer satisfaction"), choices=Satisfaction.choices)
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea, required=False, max_length=5000
    )


class NoteForm(forms.Form):
    message = forms.CharField(label=_("Message"), widget=forms.Textarea, max_length=5000)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class AccountabilityForm(forms.Form):
    finding = forms.ChoiceField(label=_("Finding"), choices=Finding.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea, max_length=5000)
    month = MonthField(
        label=_("Assessment month"), required=False, help_text=_("YYYY-MM; default this month")
    )


class AccountabilityShareForm(forms.Form):
    staff = forms.ModelChoiceField(label=_("Clerk"), queryset=Staff.objects.none())
    deduction = forms.DecimalField(
        label=_("Deduction (points)"), min_value=0.01, max_value=100, decimal_places=2
    )

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = complaint.clerks.all()


class BaseShareFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        staff = [form.cleaned_data["staff"].pk for form in self.forms if form.cleaned_data.get("staff")]
        if len(staff) != len(set(staff)):
            raise forms.ValidationError(_("Each clerk is named once."))

    def shares(self) -> list[tuple[Staff, object]]:
        """(staff, deduction) pairs for complaints.services.record_accountability."""
        return [
            (form.cleaned_data["staff"], form.cleaned_data["deduction"])
            for form in self.forms
            if form.cleaned_data.get("staff") and not form.cleaned_data.get("DELETE")
        ]


AccountabilityShareFormSet = forms.formset_factory(
    AccountabilityShareForm, formset=BaseShareFormSet, extra=1, max_num=20, validate_max=True
)


class QueueFilterForm(forms.Form):
    """The queue board's filters (complaints.selectors.complaint_queue)."""

    mine = forms.BooleanField(label=_("Mine"), required=False)
    hall = forms.ModelChoiceField(label=_("Hall"), queryset=Hall.objects.none(), required=False)
    due_soon = forms.BooleanField(label=_("Due soon"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=[("", "—"), *Severity.choices], required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hall"].queryset = Hall.objects.visible_to(user).order_by("code")


class SummaryFilterForm(forms.Form):
    month = MonthField(label=_("Month"), required=False)
    hall = forms.CharField(label=_("Hall code"), required=False, max_length=20)
    region = forms.CharField(label=_("Region code"), required=False, max_length=20)


class ComplaintExportFilterForm(SummaryFilterForm):
    status = forms.ChoiceField(label=_("Status"), choices=[("", "—"), *Status.choices], required=False)

    def filter(self, queryset):
        """Narrow a visible complaint queryset to the month (default this month), hall, region, status."""
        month: date = self.cleaned_data.get("month") or timezone.localdate().replace(day=1)
        start, end = month_bounds(month)
        queryset = queryset.filter(received_at__gte=start, received_at__lt=end)
        if self.cleaned_data.get("hall"):
            queryset = queryset.filter(hall__code=self.cleaned_data["hall"])
        if self.cleaned_data.get("region"):
            code = self.cleaned_data["region"]
            queryset = queryset.filter(Q(hall__region__code=code) | Q(hall__region__parent__code=code))
        if self.cleaned_data.get("status"):
            queryset = queryset.filter(status=self.cleaned_data["status"])
        return queryset


class CalendarDayForm(forms.Form):
    """A branch's own working day or day off."""

    day = forms.DateField(label=_("Date"))
    is_working_day = forms.BooleanField(label=_("Working day"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

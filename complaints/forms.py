"""Forms of the complaint pages. Each validates input only; the services decide (their domain
errors are shown beside the field named by the error). Workflow forms carry the `version` the
page was rendered with, so a stale submission is refused instead of overwriting."""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints import accountability_services, attachment_services, services
from complaints.exceptions import ComplaintVersionConflict
from complaints.models import Category, Channel, Complaint, Finding, Satisfaction, Severity, Status
from complaints.selectors import QUEUE_ALL_STATUSES, handler_candidates, month_bounds
from halls.exceptions import DomainError
from halls.forms import ServiceForm
from halls.models import Hall, Region
from halls.scoping import scope_for
from halls.selectors import halls_where, regions_for_filter
from staffing.models import Staff
from staffing.people import person_label

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as YYYY-MM (the first day of the month)."""

    input_formats = ["%Y-%m"]

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


class ComplaintServiceForm(ServiceForm):
    """A page form whose `perform()` calls one complaint service. Workflow services are durable
    (their own transaction, refusing an enclosing one), so `save()` opens no transaction of its
    own. A stale version (ComplaintVersionConflict) is kept in `conflict` for the page to show."""

    conflict: str | None = None

    def save(self, *, actor):
        try:
            return self.perform(actor=actor)
        except ComplaintVersionConflict as exc:
            self.conflict = exc.message
            self.add_error(None, exc.message)
        except DomainError as exc:
            self.add_domain_error(exc)
        except IntegrityError:
            self.add_error(None, _("The change conflicts with existing data; nothing was saved."))
        return None


class IntakeForm(ServiceForm):
    """A complaint received at the counter or typed in from another channel; whoever submits it
    becomes its first receiver (首问负责制)."""

    hall = forms.ModelChoiceField(label=_("Hall"), queryset=Hall.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.HALL_COUNTER)
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        widget=DATETIME_INPUT,
        help_text=_("Leave empty for now."),
    )
    customer_name = forms.CharField(label=_("Customer name"), max_length=60)
    customer_phone = forms.RegexField(
        label=_("Customer phone"),
        regex=r"^\+?[0-9][0-9 \-]{4,19}$",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        error_messages={"invalid": _("Enter a phone number of 5 to 20 digits.")},
    )
    category = forms.ChoiceField(label=pgettext_lazy("complaint", "Category"), choices=Category.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.NORMAL)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    clerks = forms.ModelMultipleChoiceField(
        label=_("Clerks involved"), queryset=Staff.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        halls = halls_where(user=user, action="complaint.create").active()
        self.fields["hall"].queryset = halls
        own_hall = scope_for(user).own_hall_id
        if own_hall and halls.filter(pk=own_hall).exists():
            self.fields["hall"].initial = own_hall
        elif len(halls) == 1:
            self.fields["hall"].initial = halls[0].pk
        clerks = self.fields["clerks"]
        clerks.queryset = (
            Staff.objects.visible_to(user).current().select_related("hall").order_by("hall__code", "name")
        )
        clerks.label_from_instance = lambda staff: f"{staff.name} ({staff.employee_no}) · {staff.hall.name}"

    def clean(self):
        cleaned = super().clean()
        hall, clerks = cleaned.get("hall"), cleaned.get("clerks") or []
        if hall is not None and any(clerk.hall_id != hall.pk for clerk in clerks):
            self.add_error("clerks", _("Clerks involved must work in the complaint's hall."))
        return cleaned

    def perform(self, *, actor):
        data = self.cleaned_data
        return services.create_complaint(
            actor=actor,
            hall=data["hall"],
            channel=data["channel"],
            customer_name=data["customer_name"],
            customer_phone=data["customer_phone"],
            category=data["category"],
            severity=data["severity"],
            subject=data["subject"],
            description=data["description"],
            received_at=data["received_at"],
            clerks=list(data["clerks"]),
        )


class VersionedForm(ComplaintServiceForm):
    """An action on one complaint, carrying the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        self.fields["version"].initial = complaint.version

    def service_kwargs(self) -> dict:
        return {"complaint": self.complaint, "expected_version": self.cleaned_data["version"]}


class OfferedChoices(ModelChoiceIterator):
    """A model choice field's options drawn from `offered`, a narrower queryset than the one the
    field accepts: the page offers only suitable people, while a refused choice still reaches the
    service and comes back with its reason beside the field (not "select a valid choice")."""

    def __init__(self, field, offered):
        super().__init__(field)
        self.queryset = offered


class AssignForm(VersionedForm):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=get_user_model().objects.none())

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        handler = self.fields["handler"]
        handler.queryset = handler_candidates(hall=complaint.hall)
        handler.label_from_instance = lambda user: person_label(user, with_post=True)
        # The clerks the complaint is about are not offered (services.assign_complaint refuses them).
        self.offered = handler_candidates(hall=complaint.hall, complaint=complaint)
        handler.widget.choices = OfferedChoices(handler, self.offered)

    def perform(self, *, actor):
        return services.assign_complaint(
            actor=actor, handler=self.cleaned_data["handler"], **self.service_kwargs()
        )


class HandOverForm(AssignForm):
    """Another handler takes over; the first receiver stays."""

    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        handler = self.fields["handler"]
        handler.label = _("New handler")
        handler.queryset = handler.queryset.exclude(pk=complaint.current_handler_id)
        self.offered = self.offered.exclude(pk=complaint.current_handler_id)
        handler.widget.choices = OfferedChoices(handler, self.offered)

    def perform(self, *, actor):
        return services.hand_over_complaint(
            actor=actor,
            to_handler=self.cleaned_data["handler"],
            reason=self.cleaned_data["reason"],
            **self.service_kwargs(),
        )


class StartForm(VersionedForm):
    def perform(self, *, actor):
        return services.start_handling(actor=actor, **self.service_kwargs())


class PauseForm(VersionedForm):
    reason = forms.CharField(
        label=_("What the customer is to provide"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def perform(self, *, actor):
        return services.pause_complaint(
            actor=actor, reason=self.cleaned_data["reason"], **self.service_kwargs()
        )


class ResumeForm(VersionedForm):
    def perform(self, *, actor):
        return services.resume_complaint(actor=actor, **self.service_kwargs())


class ReplyForm(VersionedForm):
    reply = forms.CharField(
        label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )

    def perform(self, *, actor):
        return services.reply_to_customer(
            actor=actor,
            reply=self.cleaned_data["reply"],
            root_cause=self.cleaned_data["root_cause"],
            **self.service_kwargs(),
        )


class CloseForm(VersionedForm):
    # No default: the handler records what the customer said, so the empty choice comes first.
    satisfaction = forms.ChoiceField(
        label=_("Customer satisfaction"),
        choices=[("", _("Choose what the customer said")), *Satisfaction.choices],
        error_messages={"required": _("Choose the customer's satisfaction.")},
    )
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        if complaint.root_cause:
            self.fields["root_cause"].help_text = _(
                "Leave empty to keep the root cause recorded with the reply."
            )

    def perform(self, *, actor):
        return services.close_complaint(
            actor=actor,
            satisfaction=self.cleaned_data["satisfaction"],
            root_cause=self.cleaned_data["root_cause"],
            **self.service_kwargs(),
        )


class ReopenForm(VersionedForm):
    reason = forms.CharField(
        label=_("Why it is reopened"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def perform(self, *, actor):
        return services.reopen_complaint(
            actor=actor, reason=self.cleaned_data["reason"], **self.service_kwargs()
        )


class NoteForm(ComplaintServiceForm):
    """A message on the timeline; appending loses nothing, so it carries no version."""

    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint

    def perform(self, *, actor):
        return services.add_complaint_note(
            actor=actor, complaint=self.complaint, message=self.cleaned_data["message"]
        )


class AttachmentForm(ComplaintServiceForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_("JPEG, PNG, PDF, MP3 or WAV, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf,.mp3,.wav"}),
    )

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint

    def perform(self, *, actor):
        return attachment_services.attach_complaint_file(
            actor=actor, complaint=self.complaint, upload=self.cleaned_data["file"]
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
        """(staff, deduction) pairs for complaints.accountability_services.record_accountability."""
        return [
            (form.cleaned_data["staff"], form.cleaned_data["deduction"])
            for form in self.forms
            if form.cleaned_data.get("staff") and not form.cleaned_data.get("DELETE")
        ]


AccountabilityShareFormSet = forms.formset_factory(
    AccountabilityShareForm, formset=BaseShareFormSet, extra=1, max_num=20, validate_max=True
)


class AccountabilityForm(ComplaintServiceForm):
    """The finding with one row per responsible clerk (`shares`, a formset with a row for each
    clerk involved; rows left empty are ignored)."""

    finding = forms.ChoiceField(label=pgettext_lazy("accountability", "Finding"), choices=Finding.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    month = MonthField(
        label=_("Assessment month"),
        required=False,
        help_text=_("The month the deductions count in; default this month."),
        widget=MONTH_INPUT,
    )
    field_aliases = {"shares": None}

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        clerks = list(complaint.clerks.all())
        formset_class = forms.formset_factory(
            AccountabilityShareForm,
            formset=BaseShareFormSet,
            extra=max(len(clerks), 1),
            max_num=20,
            validate_max=True,
        )
        self.shares = formset_class(
            self.data if self.is_bound else None,
            prefix=self.add_prefix("shares"),
            form_kwargs={"complaint": complaint},
        )

    def is_valid(self) -> bool:
        form_valid = super().is_valid()
        return self.shares.is_valid() and form_valid

    def perform(self, *, actor):
        data = self.cleaned_data
        return accountability_services.record_accountability(
            actor=actor,
            complaint=self.complaint,
            finding=data["finding"],
            reason=data["reason"],
            shares=self.shares.shares(),
            month=data["month"],
        )


class QueueFilterForm(forms.Form):
    """The queue board's filters (GET; complaints.selectors.complaint_queue). "My hall" is offered
    to people who work in or manage halls, the hall list to those who see more than one hall."""

    STATUS_CHOICES = [
        ("", pgettext_lazy("complaint status", "Open")),
        *Status.choices,
        (QUEUE_ALL_STATUSES, _("All statuses")),
    ]

    mine = forms.BooleanField(label=_("Mine"), required=False)
    my_hall = forms.BooleanField(label=_("My hall"), required=False)
    due_soon = forms.BooleanField(label=_("Due soon"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    hall = forms.ModelChoiceField(
        label=_("Hall"), queryset=Hall.objects.none(), required=False, empty_label=_("All halls")
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("All severities")), *Severity.choices], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.my_hall_ids = scope_for(user).hall_ids
        halls = Hall.objects.visible_to(user).order_by("code")
        self.fields["hall"].queryset = halls
        if not self.my_hall_ids:
            del self.fields["my_hall"]
        if scope_for(user).hall_ids == frozenset(halls.values_list("pk", flat=True)):
            # Everything the user sees is their own hall(s): the hall list would repeat "my hall".
            del self.fields["hall"]

    def switches(self):
        return [self[name] for name in ("mine", "my_hall", "due_soon", "overdue") if name in self.fields]

    def selects(self):
        return [self[name] for name in ("hall", "severity", "channel", "status") if name in self.fields]

    def filters(self) -> dict:
        """Keyword arguments for complaints.selectors.complaint_queue."""
        data = self.cleaned_data
        return {
            "mine": data["mine"],
            "hall": data.get("hall"),
            "hall_ids": self.my_hall_ids if data.get("my_hall") else None,
            "due_soon": data["due_soon"],
            "overdue": data["overdue"],
            "severity": data["severity"] or None,
            "channel": data["channel"] or None,
            "status": data["status"] or None,
        }


class SummaryFilterForm(forms.Form):
    month = MonthField(label=_("Month"), required=False)
    hall = forms.CharField(label=_("Hall code"), required=False, max_length=20)
    region = forms.CharField(label=_("Region code"), required=False, max_length=20)


class SummaryPageForm(forms.Form):
    """The summary page's month picker and scope: one hall, one region (a branch or a county), or
    every visible hall. Halls and regions travel by code, the way the Excel exports read them."""

    month = MonthField(label=_("Month"), required=False, widget=MONTH_INPUT)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, to_field_name="code", empty_label=_("All regions")
    )
    hall = forms.ModelChoiceField(
        label=_("Hall"), queryset=None, required=False, to_field_name="code", empty_label=_("All halls")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for_filter(user=user)
        self.fields["hall"].queryset = Hall.objects.visible_to(user).select_related("region").order_by("code")
        self.fields["month"].initial = timezone.localdate().replace(day=1)

    def selection(self) -> tuple[date, Region | None, Hall | None]:
        """(month, region, hall) chosen, this month and every visible hall by default (also when
        the form is invalid); a hall outranks a region."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        month = data.get("month") or timezone.localdate().replace(day=1)
        hall = data.get("hall")
        return month, None if hall else data.get("region"), hall

    def export_query(self) -> str:
        """The query string of the Excel exports for the same selection."""
        month, region, hall = self.selection()
        params = {"month": f"{month:%Y-%m}"}
        if hall is not None:
            params["hall"] = hall.code
        elif region is not None:
            params["region"] = region.code
        return urlencode(params)


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

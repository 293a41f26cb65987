"""Page forms of the mystery-shop feature. Service-backed forms subclass halls.forms.ServiceForm;
a stale version (VersionConflict) is kept apart in `conflict` so the view answers 409."""

from datetime import date

from django import forms
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessment.forms import MONTH_INPUT, MonthField
from assessment.mystery_shop import services
from assessment.mystery_shop.exceptions import VersionConflict, VisitIncomplete
from assessment.mystery_shop.models import Answer, ChecklistTemplate, Rectification, Visit
from halls.exceptions import DomainError
from halls.forms import ServiceForm
from halls.models import Hall, Region

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MysteryServiceForm(ServiceForm):
    """A page form calling one mystery-shop service. The services are durable (their own
    transaction, refusing an enclosing one), so `save()` opens none; a version conflict and an
    incomplete-visit list are kept apart from ordinary field errors."""

    conflict: str | None = None
    problems: list[str] = []

    def save(self, *, actor):
        try:
            return self.perform(actor=actor)
        except DomainError as exc:
            self.add_domain_error(exc)
        except IntegrityError:
            self.add_error(None, _("The change conflicts with existing data; nothing was saved."))
        return None

    def add_domain_error(self, exc):
        if isinstance(exc, VersionConflict):
            self.conflict = exc.message
        if isinstance(exc, VisitIncomplete):
            self.problems = exc.problems
        super().add_domain_error(exc)


class VisitFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    hall = forms.ModelChoiceField(label=_("Hall"), queryset=None, required=False, empty_label=_("All halls"))
    status = forms.ChoiceField(label=_("Status"), required=False)
    mode = forms.ChoiceField(label=_("Mode"), required=False)
    month = MonthField(label=_("Month"), required=False, widget=MONTH_INPUT)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Hall, inspector or summary"), "type": "search"}
        )
        self.fields["hall"].queryset = Hall.objects.visible_to(user).order_by("code")
        self.fields["status"].choices = [("", _("All statuses")), *Visit.Status.choices]
        self.fields["mode"].choices = [("", _("Overt and covert")), *Visit.Mode.choices]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {k: data[k] for k in ("q", "hall", "status", "mode", "month") if data.get(k)}


class StartVisitForm(MysteryServiceForm):
    """Hall, time, mode and the checklist the visit is judged by, among those in force: the only
    one is preselected; with several the inspector chooses (the service refuses no choice, and a
    version no longer in force, beside the field)."""

    hall = forms.ModelChoiceField(label=_("Hall"), queryset=None)
    template = forms.ModelChoiceField(
        label=_("Checklist"),
        queryset=None,
        required=False,
        empty_label=_("Choose a checklist"),
        error_messages={
            "invalid_choice": _("This checklist is not in force; choose one of the checklists in force.")
        },
    )
    visited_at = forms.DateTimeField(label=_("Visited at"), widget=DATETIME_INPUT)
    mode = forms.ChoiceField(label=_("Mode"), choices=Visit.Mode.choices, initial=Visit.Mode.COVERT)
    wait_minutes = forms.IntegerField(
        label=_("Observed wait (minutes)"), min_value=0, max_value=600, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hall"].queryset = Hall.objects.visible_to(user).active().order_by("code")
        self.fields["visited_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        template = self.fields["template"]
        template.queryset = ChecklistTemplate.objects.in_force()
        in_force = list(template.queryset[:2])
        if len(in_force) == 1:
            template.initial, template.empty_label = in_force[0], None

    def perform(self, *, actor):
        return services.start_visit(actor=actor, **self.cleaned_data)


class VisitHeaderForm(MysteryServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    visited_at = forms.DateTimeField(label=_("Visited at"), widget=DATETIME_INPUT)
    mode = forms.ChoiceField(label=_("Mode"), choices=Visit.Mode.choices)
    wait_minutes = forms.IntegerField(
        label=_("Observed wait (minutes)"), min_value=0, max_value=600, required=False
    )
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, visit: Visit, **kwargs):
        self.visit = visit
        kwargs.setdefault(
            "initial",
            {
                "version": visit.version,
                "visited_at": timezone.localtime(visit.visited_at),
                "mode": visit.mode,
                "wait_minutes": visit.wait_minutes,
                "summary": visit.summary,
            },
        )
        super().__init__(*args, **kwargs)

    def perform(self, *, actor):
        return services.update_visit(actor=actor, visit=self.visit, **self.cleaned_data)


class AddClerkForm(MysteryServiceForm):
    employee_no = forms.CharField(label=_("Badge number"), max_length=20, required=False)
    window_no = forms.IntegerField(label=_("Window"), min_value=1, max_value=200, required=False)

    def __init__(self, *args, visit: Visit, **kwargs):
        self.visit = visit
        super().__init__(*args, **kwargs)

    def perform(self, *, actor):
        return services.add_clerk(actor=actor, visit=self.visit, **self.cleaned_data)


class AnswerForm(MysteryServiceForm):
    result = forms.ChoiceField(label=_("Result"), choices=Answer.Result.choices, widget=forms.RadioSelect)
    deduction = forms.DecimalField(
        label=_("Deduction"), min_value=0, max_value=100, decimal_places=2, required=False
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)
    photo = forms.ImageField(label=_("Photo"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, visit: Visit, item, clerk, **kwargs):
        self.visit, self.item, self.clerk = visit, item, clerk
        super().__init__(*args, **kwargs)

    def perform(self, *, actor):
        return services.save_answer(
            actor=actor,
            visit=self.visit,
            item=self.item,
            clerk=self.clerk,
            result=self.cleaned_data["result"],
            deduction=self.cleaned_data["deduction"],
            comment=self.cleaned_data["comment"],
            version=self.cleaned_data["version"],
            photo=self.cleaned_data["photo"],
        )


class VisitActionForm(MysteryServiceForm):
    """A status change posted with the version the page showed (submit, publish, close)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, visit: Visit, action, **kwargs):
        self.visit, self.action = visit, action
        super().__init__(*args, **kwargs)

    def perform(self, *, actor):
        return self.action(actor=actor, visit=self.visit, version=self.cleaned_data["version"])


class ReopenForm(MysteryServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for reopening"), max_length=500)

    def __init__(self, *args, visit: Visit, **kwargs):
        self.visit = visit
        super().__init__(*args, **kwargs)

    def perform(self, *, actor):
        return services.reopen_visit(actor=actor, visit=self.visit, **self.cleaned_data)


class EvidenceForm(MysteryServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("What was put right"), widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.ImageField(label=_("Photo"), required=False)

    def __init__(self, *args, task: Rectification, **kwargs):
        self.task = task
        super().__init__(*args, **kwargs)

    def perform(self, *, actor):
        return services.submit_rectification_evidence(actor=actor, task=self.task, **self.cleaned_data)


class ReviewForm(MysteryServiceForm):
    DECISIONS = [("accept", _("Accept")), ("reject", _("Send back"))]

    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, task: Rectification, **kwargs):
        self.task = task
        super().__init__(*args, **kwargs)

    def perform(self, *, actor):
        data = self.cleaned_data
        return services.review_rectification(
            actor=actor,
            task=self.task,
            version=data["version"],
            accept=data["decision"] == "accept",
            note=data["note"],
        )


class RectificationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    hall = forms.ModelChoiceField(label=_("Hall"), queryset=None, required=False, empty_label=_("All halls"))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *Rectification.Status.choices]
        self.fields["hall"].queryset = Hall.objects.visible_to(user).order_by("code")

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ReportForm(forms.Form):
    """Month and scope of the report: a hall (by code), a region (by code) or everything in sight."""

    month = MonthField(label=_("Month"), required=False, widget=MONTH_INPUT)
    hall = forms.ModelChoiceField(
        label=_("Hall"), queryset=None, required=False, to_field_name="code", empty_label=_("All halls")
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, to_field_name="code", empty_label=_("All regions")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hall"].queryset = Hall.objects.visible_to(user).order_by("code")
        self.fields["region"].queryset = Region.objects.visible_to(user).order_by("path")

    def selection(self) -> tuple[date, Region | None, Hall | None]:
        data = self.cleaned_data if self.is_valid() else {}
        month = data.get("month") or timezone.localdate().replace(day=1)
        return month, data.get("region"), data.get("hall")

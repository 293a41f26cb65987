"""Forms of the bottom-elimination pages. Workflow forms carry the `version` of what the page showed
(services.elimination.elimination_version); a stale one is refused by the service and kept in
`conflict`, so the view answers 409 with the current page. The rule form validates beside fields."""

from decimal import Decimal

from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from assessment.exceptions import EliminationVersionConflict
from assessment.models import EliminationEntry
from assessment.services import elimination as services
from halls.exceptions import DomainError
from halls.forms import ServiceForm

REASON_WIDGET = forms.Textarea(attrs={"rows": 3})


class VersionedForm(ServiceForm):
    """An action on a list, entry or appeal, posted with the version the page showed."""

    version = forms.CharField(widget=forms.HiddenInput, max_length=32)
    conflict: str | None = None

    def __init__(self, *args, version: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version

    def save(self, *, actor):
        try:
            with transaction.atomic():
                return self.perform(actor=actor)
        except EliminationVersionConflict as exc:
            self.conflict = exc.message
            self.add_error(None, exc.message)
        except DomainError as exc:
            self.add_domain_error(exc)
        except IntegrityError:
            self.add_error(None, _("The change conflicts with existing data; nothing was saved."))
        return None

    def kept_data(self) -> dict:
        """What the user typed, to fill the form again on the current page after a conflict."""
        data = getattr(self, "cleaned_data", {})
        return {key: value for key, value in data.items() if key != "version"}


class StartReviewForm(VersionedForm):
    def __init__(self, *args, elimination_list, **kwargs):
        super().__init__(*args, **kwargs)
        self.elimination_list = elimination_list

    def perform(self, *, actor):
        return services.start_review(
            elimination_list=self.elimination_list,
            actor=actor,
            expected_version=self.cleaned_data["version"],
        )


class ConfirmForm(StartReviewForm):
    def perform(self, *, actor):
        return services.confirm_elimination_list(
            elimination_list=self.elimination_list,
            actor=actor,
            expected_version=self.cleaned_data["version"],
        )


class AppealForm(VersionedForm):
    """An appeal against one entry (the clerk's own, or an entry of the hall manager's hall)."""

    reason = forms.CharField(label=_("Reason for the appeal"), max_length=2000, widget=REASON_WIDGET)

    def __init__(self, *args, entry, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry

    def perform(self, *, actor):
        return services.file_appeal(
            entry=self.entry,
            actor=actor,
            reason=self.cleaned_data["reason"],
            expected_version=self.cleaned_data["version"],
        )


class DecisionForm(VersionedForm):
    """The branch manager's decision on an appeal, with a written reason."""

    DECISIONS = [("uphold", _("Uphold: remove the entry")), ("reject", _("Reject: the entry stays"))]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    decision_reason = forms.CharField(
        label=_("Reason for the decision"), max_length=2000, widget=REASON_WIDGET
    )
    field_aliases = {"reason": "decision_reason"}

    def __init__(self, *args, appeal, **kwargs):
        super().__init__(*args, **kwargs)
        self.appeal = appeal

    def perform(self, *, actor):
        return services.decide_appeal(
            appeal=self.appeal,
            actor=actor,
            upheld=self.cleaned_data["decision"] == "uphold",
            decision_reason=self.cleaned_data["decision_reason"],
            expected_version=self.cleaned_data["version"],
        )


class OutcomeForm(VersionedForm):
    """What happens to a listed person of a confirmed list."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=EliminationEntry.Outcome.choices)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=REASON_WIDGET)

    def __init__(self, *args, entry, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        if entry.outcome:
            self.fields["outcome"].initial = entry.outcome
            self.fields["note"].initial = entry.outcome_note

    def perform(self, *, actor):
        return services.record_outcome(
            entry=self.entry,
            actor=actor,
            outcome=self.cleaned_data["outcome"],
            note=self.cleaned_data["note"],
            expected_version=self.cleaned_data["version"],
        )


class EliminationRuleForm(ServiceForm):
    """A branch's elimination rule: at least one criterion, optional consecutive months, exclusions."""

    bottom_percent = forms.DecimalField(
        label=_("Bottom percent of the branch"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text=_(
            "Everyone in the lowest N percent of their post in the branch (ties at the cut-off included)."
        ),
    )
    bottom_per_hall = forms.IntegerField(
        label=_("Bottom N per hall"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("The lowest N of each post in each hall."),
    )
    total_below = forms.DecimalField(
        label=_("Total below"),
        required=False,
        min_value=Decimal(0),
        max_digits=6,
        decimal_places=2,
        help_text=_("Everyone whose monthly total is below this figure."),
    )
    consecutive_months = forms.IntegerField(
        label=_("Consecutive months in the bottom group"),
        required=False,
        min_value=2,
        max_value=24,
        help_text=_("Leave empty to list after one month."),
    )
    exclude_probation = forms.BooleanField(label=_("Exclude people on probation"), required=False)
    min_service_months = forms.IntegerField(
        label=_("Minimum months of service"), min_value=0, max_value=600, initial=0
    )
    max_leave_days = forms.IntegerField(
        label=_("Exclude with approved leave days in the month of at least"),
        required=False,
        min_value=1,
        max_value=31,
    )

    FIELDS = (
        "bottom_percent",
        "bottom_per_hall",
        "total_below",
        "consecutive_months",
        "exclude_probation",
        "min_service_months",
        "max_leave_days",
    )

    def __init__(self, *args, branch, rule=None, **kwargs):
        initial = {name: getattr(rule, name) for name in self.FIELDS} if rule else {"exclude_probation": True}
        super().__init__(*args, initial=initial, **kwargs)
        self.branch = branch

    def clean(self):
        data = super().clean()
        criteria = ("bottom_percent", "bottom_per_hall", "total_below")
        if not any(name in self.errors for name in criteria) and all(data.get(n) is None for n in criteria):
            self.add_error(
                "bottom_percent", _("Choose at least one of bottom percent, bottom per hall or total below.")
            )
        return data

    def perform(self, *, actor):
        return services.set_elimination_rule(
            branch=self.branch, actor=actor, **{name: self.cleaned_data[name] for name in self.FIELDS}
        )

"""Forms of the scheme editor: a version's name and start, and its indicators as a formset. Every
check the service makes (assessment.services.schemes.validate_indicators) is also made here, so
the errors stand beside the fields; the weights' sum is reported beside every weight. The edit and
activation forms carry the `updated_at` of the version the page showed (`UpdatedAtToken`): the
service compares it under the row lock and refuses a stale one (SchemeEditConflict, HTTP 409)."""

from datetime import datetime
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.forms import MonthField
from assessment.models import MEASURE_SOURCE, Indicator, Measure, Source
from assessment.services.schemes import HUNDRED, IndicatorSpec

SPEC_FIELDS = list(IndicatorSpec.__dataclass_fields__)

# Which parameters each rule needs (the others are cleared on save).
RULE_PARAMETERS = {
    Indicator.Rule.RATIO_TO_TARGET: ("target",),
    Indicator.Rule.LINEAR_BAND: ("band_low", "band_high"),
    Indicator.Rule.DEDUCTION: ("deduction_per_unit", "floor"),
    Indicator.Rule.DIRECT_POINTS: (),
}
PARAMETERS = ("target", "band_low", "band_high", "deduction_per_unit", "floor")


def _number(label, *, required=False, **kwargs):
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


class IndicatorForm(forms.Form):
    """One indicator: code, name, source and measure, aggregate, weight, maximum points, rule and
    the rule's parameters."""

    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Indicator name"), max_length=120)
    # Blank first choices: an untouched extra row posts nothing and is ignored.
    source = forms.ChoiceField(label=_("Source"), choices=[("", "—"), *Source.choices])
    measure = forms.ChoiceField(label=_("Measure"), choices=[("", "—"), *Measure.choices])
    aggregate = forms.ChoiceField(label=_("Aggregate"), choices=[("", "—"), *Indicator.Aggregate.choices])
    weight = _number(_("Weight"), required=True, min_value=Decimal("0.01"), max_value=HUNDRED)
    max_points = _number(_("Maximum points"), required=True, min_value=Decimal("0.01"))
    rule = forms.ChoiceField(label=_("Scoring rule"), choices=[("", "—"), *Indicator.Rule.choices])
    target = _number(_("Target"))
    band_low = _number(_("Band low"))
    band_high = _number(_("Band high"))
    deduction_per_unit = _number(_("Deduction per occurrence"))
    floor = _number(_("Floor"), min_value=Decimal(0))
    when_missing = forms.ChoiceField(
        label=_("When there are no facts"),
        choices=Indicator.WhenMissing.choices,
        initial=Indicator.WhenMissing.ZERO,
    )

    def clean(self):
        data = super().clean()
        source, measure, rule = data.get("source"), data.get("measure"), data.get("rule")
        if source and measure and MEASURE_SOURCE.get(measure) != source:
            self.add_error("measure", _("This measure does not belong to the chosen source."))
        if not rule:
            return data
        for name in RULE_PARAMETERS[rule]:
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, _("The chosen rule needs this figure."))
        if rule == Indicator.Rule.RATIO_TO_TARGET and data.get("target") is not None and data["target"] <= 0:
            self.add_error("target", _("The target must be above zero."))
        low, high = data.get("band_low"), data.get("band_high")
        if rule == Indicator.Rule.LINEAR_BAND and low is not None and high is not None and high <= low:
            self.add_error("band_high", _("The band's high must be above its low."))
        deduction, floor, points = data.get("deduction_per_unit"), data.get("floor"), data.get("max_points")
        if rule == Indicator.Rule.DEDUCTION:
            if deduction is not None and deduction <= 0:
                self.add_error("deduction_per_unit", _("The deduction must be above zero."))
            if floor is not None and points is not None and floor > points:
                self.add_error("floor", _("The floor cannot be above the maximum points."))
        for name in PARAMETERS:
            if name not in RULE_PARAMETERS[rule]:
                data[name] = None
        return data

    def spec(self) -> IndicatorSpec:
        return IndicatorSpec(**{name: self.cleaned_data[name] for name in SPEC_FIELDS})

    def rule_fields(self):
        return [self[name] for name in PARAMETERS]


class BaseIndicatorFormSet(forms.BaseFormSet):
    """The indicators of one version: unique codes, weights adding up to exactly 100."""

    def kept_forms(self):
        """Filled-in rows not marked for deletion (an untouched extra row is ignored)."""
        return [
            f
            for f in self.forms
            if (f.has_changed() or f.initial) and not (self.can_delete and self._should_delete_form(f))
        ]

    def clean(self):
        if any(self.errors):
            return
        kept = self.kept_forms()
        if not kept:
            raise forms.ValidationError(_("A scheme needs at least one indicator."))
        seen = {}
        for form in kept:
            code = form.cleaned_data["code"]
            if code in seen:
                form.add_error("code", _("Another indicator already has this code."))
            seen[code] = form
        total = sum((form.cleaned_data["weight"] for form in kept), Decimal(0))
        if total != HUNDRED:
            message = _("The weights add up to %(total)s; they must add up to 100.") % {"total": total}
            for form in kept:
                form.add_error("weight", message)
            raise forms.ValidationError(message)

    def specs(self) -> list[IndicatorSpec]:
        return [form.spec() for form in self.kept_forms()]


IndicatorFormSet = forms.formset_factory(
    IndicatorForm, formset=BaseIndicatorFormSet, extra=1, can_delete=True, max_num=40, validate_max=True
)


def indicator_initial(scheme) -> list[dict]:
    """The formset's initial rows: the scheme's indicators in order."""
    return [{name: getattr(i, name) for name in SPEC_FIELDS} for i in scheme.indicators.all()]


STALE_PAGE = _(
    "This page did not say which state of the version it showed. Nothing was saved; it is shown as it is now."
)


class UpdatedAtToken(forms.Form):
    """A hidden `updated_at`: the state of the version the page showed, as an ISO timestamp."""

    updated_at = forms.CharField(
        widget=forms.HiddenInput,
        max_length=40,
        error_messages={"required": STALE_PAGE, "max_length": STALE_PAGE},
    )

    def clean_updated_at(self) -> datetime:
        value = self.cleaned_data["updated_at"]
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            stamp = None
        if stamp is None or stamp.tzinfo is None:
            raise forms.ValidationError(STALE_PAGE)
        return stamp


def updated_at_token(scheme) -> str:
    """The token a page carries for `scheme` (read from the database: the trigger sets it)."""
    return scheme.updated_at.isoformat()


class SchemeVersionForm(forms.Form):
    """The name of the version and the month it is meant to start."""

    name = forms.CharField(label=_("Scheme name"), max_length=120)
    effective_from = MonthField(label=_("In force from"))


class SchemeEditForm(SchemeVersionForm, UpdatedAtToken):
    """Editing a version: its name (the start is changed by activation), posted with the
    `updated_at` the editor showed."""


class ActivateForm(UpdatedAtToken):
    effective_from = MonthField(label=_("In force from"))

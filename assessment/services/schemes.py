"""Assessment schemes: versions per post, their indicators, and putting a version in force."""

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from assessment.exceptions import SchemeEditConflict, SchemeFrozen, SchemeInvalid
from assessment.models import MEASURE_SOURCE, AssessmentScheme, Indicator, MonthlyResult, ResultRun
from halls.audit import record_audit
from halls.permissions import require_permission

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    source: str
    measure: str
    aggregate: str
    weight: Decimal
    max_points: Decimal
    rule: str
    target: Decimal | None = None
    band_low: Decimal | None = None
    band_high: Decimal | None = None
    deduction_per_unit: Decimal | None = None
    floor: Decimal | None = None
    when_missing: str = Indicator.WhenMissing.ZERO


def validate_indicators(indicators: list[IndicatorSpec]) -> None:
    """A scheme is valid only when its weights sum to exactly 100 and every rule has its parameters."""
    if not indicators:
        raise SchemeInvalid(_("A scheme needs at least one indicator."))
    codes = [i.code for i in indicators]
    if len(set(codes)) != len(codes):
        raise SchemeInvalid(_("Indicator codes must be unique within a scheme."))
    total = sum((Decimal(i.weight) for i in indicators), Decimal(0))
    if total != HUNDRED:
        raise SchemeInvalid(_("The weights add up to %(total)s; they must add up to 100.") % {"total": total})
    for i in indicators:
        name = {"code": i.code}
        if MEASURE_SOURCE.get(i.measure) != i.source:
            raise SchemeInvalid(_("Indicator %(code)s: the measure does not belong to the source.") % name)
        if i.aggregate not in Indicator.Aggregate.values or i.rule not in Indicator.Rule.values:
            raise SchemeInvalid(_("Indicator %(code)s: unknown aggregate or rule.") % name)
        if not Decimal(0) < Decimal(i.weight) <= HUNDRED or Decimal(i.max_points) <= 0:
            raise SchemeInvalid(_("Indicator %(code)s: weight and maximum points must be positive.") % name)
        if i.rule == Indicator.Rule.RATIO_TO_TARGET and not (i.target and i.target > 0):
            raise SchemeInvalid(_("Indicator %(code)s: a ratio needs a positive target.") % name)
        if i.rule == Indicator.Rule.LINEAR_BAND and (
            i.band_low is None or i.band_high is None or i.band_high <= i.band_low
        ):
            raise SchemeInvalid(_("Indicator %(code)s: a band needs a low below its high.") % name)
        if i.rule == Indicator.Rule.DEDUCTION and (
            not i.deduction_per_unit
            or i.deduction_per_unit <= 0
            or i.floor is None
            or not 0 <= i.floor <= i.max_points
        ):
            raise SchemeInvalid(
                _("Indicator %(code)s: a deduction needs a positive deduction and a floor within the points.")
                % name
            )


def lock_scheme(scheme: AssessmentScheme, expected_updated_at: datetime | None) -> AssessmentScheme:
    """The scheme version, locked (SELECT ... FOR UPDATE); refuses a stale `expected_updated_at`,
    the `updated_at` the page showed (None: no check). Every write of a scheme goes through
    `scheme.save()`, and the database trigger moves `updated_at` on each one, so a page older than
    the last change is caught here, under the lock, before anything is written."""
    locked = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
    if expected_updated_at is not None and locked.updated_at != expected_updated_at:
        raise SchemeEditConflict(
            _(
                "Someone else changed this scheme version since you opened it. Nothing was saved; "
                "it is shown as it is now."
            )
        )
    return locked


def is_frozen(scheme: AssessmentScheme) -> bool:
    """Used by a run that was published: the scheme can then only be superseded."""
    return ResultRun.objects.filter(schemes=scheme, published_at__isnull=False).exists()


@transaction.atomic
def create_scheme_version(
    *, actor, post: str, name: str, effective_from: date, indicators: list[IndicatorSpec]
) -> AssessmentScheme:
    """A new draft version of a post's scheme (version = last + 1), valid (weights sum to 100)."""
    require_permission(actor, "assessment.manage_schemes")
    validate_indicators(indicators)
    last = AssessmentScheme.objects.filter(post=post).aggregate(v=Max("version"))["v"] or 0
    scheme = AssessmentScheme.objects.create(
        post=post, version=last + 1, name=name, effective_from=effective_from.replace(day=1)
    )
    Indicator.objects.bulk_create(
        [Indicator(scheme=scheme, position=n, **asdict(spec)) for n, spec in enumerate(indicators)]
    )
    record_audit(actor=actor, action="assessment.scheme.created", subject=scheme, data={"post": post})
    return scheme


@transaction.atomic
def update_scheme(
    *,
    actor,
    scheme: AssessmentScheme,
    indicators: list[IndicatorSpec],
    name: str | None = None,
    expected_updated_at: datetime | None = None,
):
    """Replace a scheme's indicators (matched by code). Refuses a scheme changed since the caller
    read it (`expected_updated_at`, the `updated_at` the editor showed: SchemeEditConflict, nothing
    saved; None skips the check), a scheme used by a published month (SchemeFrozen: create a new
    version instead) and removing an indicator that computed results already point to. Drafts
    computed with the old rules become stale (publish refuses them)."""
    require_permission(actor, "assessment.manage_schemes")
    scheme = lock_scheme(scheme, expected_updated_at)
    if is_frozen(scheme):
        raise SchemeFrozen(_("This scheme was used by a published month; create a new version instead."))
    validate_indicators(indicators)
    existing = {i.code: i for i in scheme.indicators.all()}
    removed = [i.pk for code, i in existing.items() if code not in {s.code for s in indicators}]
    # Every result computed with the scheme has a score per indicator (indicator scores carry no
    # index on indicator: the scheme's results stand for them).
    if removed and MonthlyResult.objects.filter(scheme=scheme).exists():
        raise SchemeFrozen(_("Computed results use an indicator you removed; create a new version instead."))
    Indicator.objects.filter(pk__in=removed).delete()
    for n, spec in enumerate(indicators):
        Indicator.objects.update_or_create(
            scheme=scheme, code=spec.code, defaults={"position": n, **asdict(spec)}
        )
    if name:
        scheme.name = name
    scheme.save()
    record_audit(actor=actor, action="assessment.scheme.updated", subject=scheme, data={"post": scheme.post})
    return scheme


@transaction.atomic
def activate_scheme(
    *,
    actor,
    scheme: AssessmentScheme,
    effective_from: date | None = None,
    expected_updated_at: datetime | None = None,
) -> AssessmentScheme:
    """Put a valid draft version in force from a month; the version in force before it ends the day
    before. Refuses a version changed since the confirmation page showed it (`expected_updated_at`:
    SchemeEditConflict, nothing saved; None skips the check), an invalid scheme, a start on or before
    the start of the version in force, and a start in a month already published with the previous
    version (history is never rewritten)."""
    require_permission(actor, "assessment.manage_schemes")
    scheme = lock_scheme(scheme, expected_updated_at)
    if scheme.status != AssessmentScheme.Status.DRAFT:
        raise SchemeInvalid(_("Only a draft version can be put in force."), field="scheme")
    start = (effective_from or scheme.effective_from).replace(day=1)
    validate_indicators(
        [
            IndicatorSpec(**{f: getattr(i, f) for f in IndicatorSpec.__dataclass_fields__})
            for i in scheme.indicators.all()
        ]
    )
    active = AssessmentScheme.objects.select_for_update().filter(
        post=scheme.post, status=AssessmentScheme.Status.ACTIVE
    )
    if active.filter(effective_from__gte=start).exists():
        raise SchemeInvalid(
            _("A version in force already starts on or after that month."), field="effective_from"
        )
    if ResultRun.objects.filter(
        published_at__isnull=False, month__gte=start, schemes__post=scheme.post
    ).exists():
        raise SchemeFrozen(_("A month from then on is already published with the previous version."))
    active.filter(effective_to__isnull=True).update(effective_to=start - timedelta(days=1))
    active.filter(effective_to__gte=start).update(effective_to=start - timedelta(days=1))
    scheme.status = AssessmentScheme.Status.ACTIVE
    scheme.effective_from = start
    scheme.save()
    record_audit(
        actor=actor,
        action="assessment.scheme.activated",
        subject=scheme,
        data={"post": scheme.post, "from": start.isoformat()},
    )
    return scheme

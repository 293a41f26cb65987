"""Star-rating assessment: schemes, score facts, monthly result runs, star levels.

Numbers follow one rounding rule everywhere (SQL and Python): NUMERIC values
rounded half away from zero (half-up for the non-negative figures used here) to
2 decimals, averages of facts to 4 decimals first. See assessment/scoring.py.
"""

import re
from datetime import date

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from halls.models import Hall, Region, Role
from halls.scoping import scope_for
from halls.triggers import touch_updated_at
from staffing.models import Staff


class Source(models.TextChoices):
    MYSTERY_SHOP = "mystery_shop", _("Mystery shop")
    CUSTOMER_EVALUATION = "customer_evaluation", _("Customer evaluation")
    SUPERVISOR = "supervisor", _("Supervisor rating")
    KPI = "kpi", _("Quantitative indicator (KPI)")
    COMPLAINT = "complaint", _("Complaint")
    DISCIPLINE = "discipline", _("Labour discipline")
    TRAINING = "training", _("Training")


# "中文名 English name": Chinese (with no ASCII letters), a space, then ASCII only.
BILINGUAL_NAME = re.compile(r"^(?P<zh>[^\x00-\x7f][^A-Za-z]*?)\s+(?P<en>[A-Za-z][\x00-\x7f]*)$")


def bilingual_part(name: str) -> str:
    """The part of a "中文名 English name" name for the active language; any other name whole."""
    match = BILINGUAL_NAME.match(name)
    if match is None:
        return name
    return match["zh"] if (get_language() or "").startswith("zh") else match["en"]


class Measure(models.TextChoices):
    """What one fact's value measures. Each measure belongs to one source (MEASURE_SOURCE)."""

    EVALUATION_SCORE = (
        "evaluation_score",
        _("Evaluation score (very satisfied 100, satisfied 80, dissatisfied 0)"),
    )
    TRANSACTIONS = "transactions", _("Transactions handled")
    RECOMMENDATIONS = "recommendations", _("Recommendations made (say one more sentence)")
    SALES = "sales", _("Sales")
    SUPERVISOR_POINTS = "supervisor_points", _("Supervisor rating points")
    DISCIPLINE_POINTS = "discipline_points", _("Discipline deduction points")
    MYSTERY_SHOP_SCORE = "mystery_shop_score", _("Mystery-shop score")
    COMPLAINT_ACCOUNTABILITY = "complaint_accountability", _("Accountable complaints")
    TRAINING_ABSENCES = "training_absences", _("Training sessions missed without excuse")
    EXAM_SCORE = "exam_score", _("Exam score (percent of the maximum)")
    # Never written by any feeder; kept so that a scheme made with it still validates.
    TRAINING_SCORE = "training_score", _("Training and exam score (legacy, not written)")


MEASURE_SOURCE = {
    Measure.EVALUATION_SCORE: Source.CUSTOMER_EVALUATION,
    Measure.TRANSACTIONS: Source.KPI,
    Measure.RECOMMENDATIONS: Source.KPI,
    Measure.SALES: Source.KPI,
    Measure.SUPERVISOR_POINTS: Source.SUPERVISOR,
    Measure.DISCIPLINE_POINTS: Source.DISCIPLINE,
    Measure.MYSTERY_SHOP_SCORE: Source.MYSTERY_SHOP,
    Measure.COMPLAINT_ACCOUNTABILITY: Source.COMPLAINT,
    Measure.TRAINING_ABSENCES: Source.TRAINING,
    Measure.EXAM_SCORE: Source.TRAINING,
    Measure.TRAINING_SCORE: Source.TRAINING,
}


class EvidenceType(models.TextChoices):
    """What a fact's evidence_id points to."""

    CUSTOMER_EVALUATION = "customer_evaluation", _("Customer evaluation")
    DAILY_KPI = "daily_kpi", _("Daily KPI record")
    SUPERVISOR_RATING = "supervisor_rating", _("Supervisor rating")
    DISCIPLINE_RECORD = "discipline_record", _("Discipline record")
    COMPLAINT = "complaint", _("Complaint")
    COMPLAINT_ACCOUNTABILITY = "complaint_accountability", _("Complaint accountability share")
    VISIT_ITEM = "visit_item", _("Mystery-shop visit item")
    TRAINING_ATTENDANCE = "training_attendance", _("Training attendance")
    TRAINING_EXAM = "training_exam", _("Training exam result")
    # Never written (attendance and exam ids would collide under one type); kept for old rows.
    TRAINING_RECORD = "training_record", _("Training record (legacy, not written)")
    VISIT_SCORE = "visit_score", _("Mystery-shop visit score")


# --- Schemes -------------------------------------------------------------------------------------------


class AssessmentSchemeQuerySet(models.QuerySet):
    def effective_on(self, day):
        """Active schemes in force on `day` (one per post at most)."""
        return self.filter(status=AssessmentScheme.Status.ACTIVE, effective_from__lte=day).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day)
        )


class AssessmentScheme(models.Model):
    """The rules (考核方案) for one post, one version. Drafts are edited; an active version is in force from
    `effective_from` until the next version supersedes it. A version used by a published run is frozen."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")

    post = models.CharField(_("post"), max_length=20, choices=Staff.Post.choices)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssessmentSchemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["post", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["post", "version"], name="scheme_post_version_unique"),
            models.UniqueConstraint(
                fields=["post", "effective_from"],
                condition=Q(status="active"),
                name="scheme_active_post_from_unique",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="scheme_effective_from_month_start"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="scheme_effective_to_after_from",
            ),
            models.CheckConstraint(condition=Q(status__in=["draft", "active"]), name="scheme_status_valid"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.name} v{self.version}"


class Indicator(models.Model):
    """One line of a scheme: which measure of which source, aggregated how, scored by which rule.

    Points run from 0 to `max_points`; the indicator's score is points × weight / max_points, so a
    scheme whose weights sum to 100 scores out of 100.
    """

    class Aggregate(models.TextChoices):
        SUM = "sum", _("Sum of the month's facts")
        AVG = "avg", _("Average of the month's facts")
        COUNT = "count", _("Number of the month's facts")

    class WhenMissing(models.TextChoices):
        ZERO = "zero", _("No points")
        FULL = "full", _("Full points")

    class Rule(models.TextChoices):
        RATIO_TO_TARGET = "ratio_to_target", _("Ratio to target")
        LINEAR_BAND = "linear_band", _("Linear band")
        DEDUCTION = "deduction", _("Deduction per occurrence with a floor")
        DIRECT_POINTS = "direct_points", _("Direct points")

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT, related_name="indicators")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(_("source"), max_length=30, choices=Source.choices)
    measure = models.CharField(_("measure"), max_length=40, choices=Measure.choices)
    aggregate = models.CharField(_("aggregate"), max_length=10, choices=Aggregate.choices)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    max_points = models.DecimalField(_("maximum points"), max_digits=7, decimal_places=2)
    rule = models.CharField(_("scoring rule"), max_length=20, choices=Rule.choices)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2, null=True, blank=True)
    band_low = models.DecimalField(_("band low"), max_digits=14, decimal_places=2, null=True, blank=True)
    band_high = models.DecimalField(_("band high"), max_digits=14, decimal_places=2, null=True, blank=True)
    deduction_per_unit = models.DecimalField(
        _("deduction per occurrence"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    floor = models.DecimalField(_("floor"), max_digits=7, decimal_places=2, null=True, blank=True)
    # An average over no facts (no evaluations, no visit this month) is missing: this says what it earns.
    when_missing = models.CharField(
        _("when there are no facts"), max_length=4, choices=WhenMissing.choices, default=WhenMissing.ZERO
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["scheme", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="indicator_code_unique_in_scheme"),
            models.CheckConstraint(condition=Q(weight__gt=0, weight__lte=100), name="indicator_weight_range"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="indicator_max_points_positive"),
            models.CheckConstraint(
                condition=~Q(rule="ratio_to_target") | Q(target__gt=0), name="indicator_ratio_has_target"
            ),
            models.CheckConstraint(
                condition=~Q(rule="linear_band") | Q(band_high__gt=F("band_low")),
                name="indicator_band_high_above_low",
            ),
            models.CheckConstraint(
                condition=~Q(rule="deduction")
                | Q(deduction_per_unit__gt=0, floor__gte=0, floor__lte=F("max_points")),
                name="indicator_deduction_has_unit_and_floor",
            ),
            models.CheckConstraint(
                condition=Q(aggregate__in=["sum", "avg", "count"]), name="indicator_aggregate_valid"
            ),
            models.CheckConstraint(
                condition=Q(when_missing__in=["zero", "full"]), name="indicator_when_missing_valid"
            ),
            models.CheckConstraint(
                condition=Q(rule__in=["ratio_to_target", "linear_band", "deduction", "direct_points"]),
                name="indicator_rule_valid",
            ),
        ]

    def __str__(self):
        return f"{self.code} ({self.weight})"

    @property
    def display_name(self) -> str:
        """The name in the reader's language: the default schemes (migrations 0002, 0006) name
        their indicators in both languages ("客户评价 Customer evaluation"), which a page shows as
        one label, the Chinese part in Chinese and the English part in English. Any other name
        (what managers type) as it is."""
        return bilingual_part(self.name)


# --- Evidence of the volume sources ----------------------------------------------------------------


def staff_row_scope(user, *, hall_field: str = "hall") -> Q | None:
    """The filter for rows that belong to a staff member and a hall: a clerk sees their own rows,
    managers the rows of the halls they manage, region roles the rows of their subtree.
    None means no restriction (superusers)."""
    scope = scope_for(user)
    if scope.sees_everything:
        return None
    q = Q(staff_id=scope.own_staff_id) if scope.own_staff_id else Q(pk__in=[])
    if scope.managed_hall_ids:
        q |= Q(**{f"{hall_field}_id__in": scope.managed_hall_ids})
    for path in scope.region_paths:
        q |= Q(**{f"{hall_field}__region__path__startswith": path})
    return q


class HallOwnedQuerySet(models.QuerySet):
    """Rows that belong to a hall and a staff member (see staff_row_scope)."""

    def visible_to(self, user):
        q = staff_row_scope(user)
        return self.all() if q is None else self.filter(q)


# Foreign keys of the volume tables (100,000+ rows per import or monthly run) are enforced once per
# statement by triggers (halls.triggers.statement_foreign_key_sql, installed by migration 0012),
# not row by row: their ForeignKeys say db_constraint=False. (child table, column, parent table).
STATEMENT_FOREIGN_KEYS = (
    ("assessment_customerevaluation", "staff_id", "staffing_staff"),
    ("assessment_customerevaluation", "hall_id", "halls_hall"),
    ("assessment_dailykpi", "staff_id", "staffing_staff"),
    ("assessment_dailykpi", "hall_id", "halls_hall"),
    ("assessment_scorefact", "staff_id", "staffing_staff"),
    ("assessment_scorefact", "hall_id", "halls_hall"),
    ("assessment_monthlyresult", "run_id", "assessment_resultrun"),
    ("assessment_monthlyresult", "staff_id", "staffing_staff"),
    ("assessment_monthlyresult", "hall_id", "halls_hall"),
    ("assessment_monthlyresult", "scheme_id", "assessment_assessmentscheme"),
)


# Points of a rating in its evaluation_score fact: one rule for the import, the demo and the bench.
EVALUATION_POINTS = {"very_satisfied": 100, "satisfied": 80, "dissatisfied": 0}


def evaluation_points_sql(column: str) -> str:
    """The same rule as a SQL expression over a rating column."""
    cases = " ".join(f"WHEN '{rating}' THEN {points}" for rating, points in EVALUATION_POINTS.items())
    return f"CASE {column} {cases} END"


class CustomerEvaluation(models.Model):
    """One rated transaction from a window rating device (服务评价器)."""

    class Rating(models.TextChoices):
        VERY_SATISFIED = "very_satisfied", _("Very satisfied")
        SATISFIED = "satisfied", _("Satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    device_txn_id = models.CharField(_("device transaction id"), max_length=64)
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="evaluations", db_constraint=False
    )
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="evaluations", db_constraint=False)
    rated_at = models.DateTimeField(_("rated at"))
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HallOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer evaluation")
        verbose_name_plural = _("customer evaluations")
        constraints = [
            models.UniqueConstraint(fields=["device_txn_id"], name="evaluation_device_txn_unique"),
            models.CheckConstraint(
                condition=Q(rating__in=["very_satisfied", "satisfied", "dissatisfied"]),
                name="evaluation_rating_valid",
            ),
        ]

    def __str__(self):
        return f"{self.device_txn_id} {self.rating}"


class DailyKpi(models.Model):
    """One clerk's quantitative figures for one day."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="daily_kpis", db_constraint=False)
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="daily_kpis", db_constraint=False)
    day = models.DateField(_("day"))
    transactions = models.PositiveIntegerField(_("transactions handled"))
    recommendations = models.PositiveIntegerField(_("recommendations made"))
    sales = models.DecimalField(_("sales"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HallOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily KPI record")
        verbose_name_plural = _("daily KPI records")
        constraints = [
            models.UniqueConstraint(fields=["staff", "day"], name="daily_kpi_staff_day_unique"),
            models.CheckConstraint(condition=Q(sales__gte=0), name="daily_kpi_sales_not_negative"),
        ]

    def __str__(self):
        return f"{self.staff_id} {self.day}"


class SupervisorRating(models.Model):
    """The monthly rating form a hall manager fills for one clerk: four criteria of 0–25 points each."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="supervisor_ratings")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="supervisor_ratings")
    month = models.DateField(_("month"))
    attitude = models.PositiveSmallIntegerField(_("service attitude"), validators=[MaxValueValidator(25)])
    skill = models.PositiveSmallIntegerField(_("professional skill"), validators=[MaxValueValidator(25)])
    teamwork = models.PositiveSmallIntegerField(_("teamwork"), validators=[MaxValueValidator(25)])
    appearance = models.PositiveSmallIntegerField(
        _("appearance and conduct"), validators=[MaxValueValidator(25)]
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisor_ratings_given"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HallOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervisor rating")
        verbose_name_plural = _("supervisor ratings")
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="supervisor_rating_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="supervisor_rating_month_start"),
            models.CheckConstraint(
                condition=Q(attitude__lte=25, skill__lte=25, teamwork__lte=25, appearance__lte=25),
                name="supervisor_rating_criteria_0_to_25",
            ),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.staff_id} {self.month:%Y-%m} {self.points}"

    @property
    def points(self) -> int:
        return self.attitude + self.skill + self.teamwork + self.appearance


class FactImport(models.Model):
    """One accepted import file of a volume source (the audit subject of the import)."""

    class Kind(models.TextChoices):
        EVALUATIONS = "evaluations", _("Customer evaluations")
        KPIS = "kpis", _("Daily KPI records")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    filename = models.CharField(_("file"), max_length=200)
    rows = models.PositiveIntegerField(_("rows"))
    created_rows = models.PositiveIntegerField(_("new rows"))
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["evaluations", "kpis"]), name="fact_import_kind_valid"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.filename}"


# --- The fact table ---------------------------------------------------------------------------------


class ScoreFact(models.Model):
    """One piece of evidence turned into a number: the only input of the monthly job.

    Written only by `assessment.services.record_score_facts`. The natural key
    (evidence_type, evidence_id, measure) makes every write idempotent. `revision` is the
    month's fact revision (FactRevision) that last wrote the row, so a run can tell which
    facts it saw. `hall` is where the fact happened (not where the clerk is ranked).
    """

    # No single-column index: score_fact_staff_month_idx starts with staff and serves the FK's
    # look-ups; one index fewer to maintain on every fact written.
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="score_facts", db_index=False, db_constraint=False
    )
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="score_facts", db_constraint=False)
    month = models.DateField(_("month"))
    occurred_on = models.DateField(_("occurred on"))
    source = models.CharField(_("source"), max_length=30, choices=Source.choices)
    measure = models.CharField(_("measure"), max_length=40, choices=Measure.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    evidence_type = models.CharField(_("evidence type"), max_length=30, choices=EvidenceType.choices)
    evidence_id = models.BigIntegerField(_("evidence id"))
    evidence_label = models.CharField(_("evidence"), max_length=200)
    revision = models.BigIntegerField(_("revision"))
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = HallOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("score fact")
        verbose_name_plural = _("score facts")
        constraints = [
            models.UniqueConstraint(
                fields=["evidence_type", "evidence_id", "measure"], name="score_fact_evidence_unique"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="score_fact_month_start"),
        ]
        indexes = [
            # score_card(staff, month) and the facts read of one card.
            models.Index(fields=["staff", "month", "source", "measure"], name="score_fact_staff_month_idx"),
            # The monthly job scans one month: facts arrive roughly in month order, so BRIN is tiny.
            BrinIndex(fields=["month"], name="score_fact_month_brin"),
        ]

    def __str__(self):
        return f"{self.staff_id} {self.measure}={self.value} ({self.evidence_type}#{self.evidence_id})"


class FactTotal(models.Model):
    """The month's facts of one person, source and measure, added up: the count and the sum of the
    values. Kept by statement-level triggers on the fact table (migration 0014) in the same
    statement as every insert, update or delete of facts, whatever writes them, so it always equals
    the GROUP BY of the facts; a row whose count reaches 0 is removed. The monthly job reads these
    totals (one row per person and measure) instead of scanning the month's millions of facts;
    the score card still lists the facts themselves."""

    pk = models.CompositePrimaryKey("staff_id", "month", "source", "measure")
    # Plain ids, not foreign keys: every row is derived from facts, whose keys are checked.
    staff_id = models.BigIntegerField()
    month = models.DateField(_("month"))
    source = models.CharField(_("source"), max_length=30, choices=Source.choices)
    measure = models.CharField(_("measure"), max_length=40, choices=Measure.choices)
    fact_count = models.PositiveIntegerField(_("facts"))
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("fact total")
        verbose_name_plural = _("fact totals")
        constraints = [
            models.CheckConstraint(condition=Q(fact_count__gte=0), name="fact_total_count_not_negative"),
        ]

    def __str__(self):
        return f"{self.staff_id} {self.month:%Y-%m} {self.measure} {self.fact_count}/{self.total}"


class FactRevision(models.Model):
    """A counter per month, bumped by every write of facts for that month.

    The job reads it under a share lock, so the facts it aggregates are exactly those with
    revision ≤ the run's `fact_revision`; publishing refuses a run whose month has moved on.
    """

    month = models.DateField(primary_key=True)
    revision = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fact revision")
        verbose_name_plural = _("fact revisions")
        constraints = [models.CheckConstraint(condition=Q(month__day=1), name="fact_revision_month_start")]

    def __str__(self):
        return f"{self.month:%Y-%m} r{self.revision}"


# --- Star levels ------------------------------------------------------------------------------------


class StarLevelPolicy(models.Model):
    """Bands (minimum monthly total for each star level) and the movement rules, versioned by month.

    Movement, applied on publish (assessment/scoring.py `next_star_level` states it exactly):
    the level follows the band of the average of the last `average_months` published totals;
    it goes up only when each of the last `promote_after_months` consecutive months was in a band
    at least that high; a month below the lowest band drops one level at once.
    """

    name = models.CharField(_("name"), max_length=120)
    effective_from = models.DateField(_("effective from"))
    level_1_min = models.DecimalField(_("1 star from"), max_digits=5, decimal_places=2)
    level_2_min = models.DecimalField(_("2 stars from"), max_digits=5, decimal_places=2)
    level_3_min = models.DecimalField(_("3 stars from"), max_digits=5, decimal_places=2)
    level_4_min = models.DecimalField(_("4 stars from"), max_digits=5, decimal_places=2)
    level_5_min = models.DecimalField(_("5 stars from"), max_digits=5, decimal_places=2)
    average_months = models.PositiveSmallIntegerField(
        _("months averaged"), default=3, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    promote_after_months = models.PositiveSmallIntegerField(
        _("consecutive months before a promotion"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    demote_below_lowest = models.BooleanField(
        _("drop a level at once after a month below the lowest band"), default=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("star-level policy")
        verbose_name_plural = _("star-level policies")
        ordering = ["-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["effective_from"], name="star_policy_effective_from_unique"),
            models.CheckConstraint(condition=Q(effective_from__day=1), name="star_policy_month_start"),
            models.CheckConstraint(
                condition=Q(level_1_min__gte=0)
                & Q(level_2_min__gt=F("level_1_min"))
                & Q(level_3_min__gt=F("level_2_min"))
                & Q(level_4_min__gt=F("level_3_min"))
                & Q(level_5_min__gt=F("level_4_min"))
                & Q(level_5_min__lte=100),
                name="star_policy_bands_increase",
            ),
            models.CheckConstraint(
                condition=Q(average_months__gte=1, average_months__lte=12, promote_after_months__gte=1)
                & Q(promote_after_months__lte=12),
                name="star_policy_months_range",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.effective_from:%Y-%m})"

    @property
    def band_minimums(self) -> list:
        """Minimum total of levels 1..5, in order."""
        return [self.level_1_min, self.level_2_min, self.level_3_min, self.level_4_min, self.level_5_min]


# --- Results -------------------------------------------------------------------------------------


# Results of a run that was ever published never change (the run's published_at is set once).
FROZEN_RESULT_GUARD = """
IF (SELECT published_at FROM assessment_resultrun WHERE id = OLD.run_id) IS NOT NULL THEN
    RAISE EXCEPTION 'published assessment results are frozen (run %)', OLD.run_id
        USING ERRCODE = 'integrity_constraint_violation';
END IF;
IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
RETURN NEW;
"""

# A published run may only ever move from published to superseded; nothing else about it changes.
FROZEN_RUN_GUARD = """
IF OLD.published_at IS NOT NULL AND (
    TG_OP = 'DELETE'
    OR NOT (OLD.status = 'published' AND NEW.status = 'superseded')
    OR (NEW.month, NEW.branch_id, NEW.version, NEW.input_hash, NEW.fact_revision, NEW.published_at,
        NEW.published_by_id, NEW.star_policy_id) IS DISTINCT FROM
       (OLD.month, OLD.branch_id, OLD.version, OLD.input_hash, OLD.fact_revision, OLD.published_at,
        OLD.published_by_id, OLD.star_policy_id)
) THEN
    RAISE EXCEPTION 'published result run % is frozen', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END IF;
IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
RETURN NEW;
"""


class ResultRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Runs of the branches inside the user's region roles; hall managers and clerks see none.
        Reading them also needs assessment.runs.view (branch management, market department), which
        keeps HR clients to published results."""
        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        q = Q(pk__in=[])
        for path in scope.region_paths:
            q |= Q(branch__path__startswith=path)
        return self.filter(q)


class ResultRun(models.Model):
    """One computed version of a branch's monthly results.

    Lifecycle: computing → draft → published → superseded, or → failed. The results of a
    version are written in one transaction together with the switch to draft, so a run that
    is `computing` has no rows; a killed worker leaves it so, and the retry (which holds the
    same lock) takes it over and completes it. Published runs are frozen by triggers.
    """

    class Status(models.TextChoices):
        COMPUTING = "computing", _("Computing")
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")
        FAILED = "failed", _("Failed")

    branch = models.ForeignKey(
        Region, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="result_runs"
    )
    month = models.DateField(_("month"))
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.COMPUTING)
    schemes = models.ManyToManyField(AssessmentScheme, verbose_name=_("schemes used"), related_name="runs")
    star_policy = models.ForeignKey(
        StarLevelPolicy, verbose_name=_("star-level policy"), on_delete=models.PROTECT, related_name="runs"
    )
    fact_revision = models.BigIntegerField(_("fact revision"), default=0)
    input_hash = models.CharField(_("input hash"), max_length=32, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    progress_note = models.CharField(_("progress note"), max_length=200, blank=True)
    staff_count = models.PositiveIntegerField(_("staff assessed"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResultRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("result run")
        verbose_name_plural = _("result runs")
        ordering = ["-month", "branch", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "month", "version"], name="result_run_version_unique"),
            models.UniqueConstraint(
                fields=["branch", "month"], condition=Q(status="published"), name="result_run_one_published"
            ),
            models.UniqueConstraint(
                fields=["branch", "month"], condition=Q(status="computing"), name="result_run_one_computing"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="result_run_month_start"),
            models.CheckConstraint(
                condition=Q(status__in=["computing", "draft", "published", "superseded", "failed"]),
                name="result_run_status_valid",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="result_run_progress_0_to_100"),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="result_run_published_has_time",
            ),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="result_run_sync_cursor_idx")]
        triggers = [
            touch_updated_at(),
            pgtrigger.Trigger(
                name="result_run_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=FROZEN_RUN_GUARD,
            ),
        ]

    def __str__(self):
        return f"{self.branch.code} {self.month:%Y-%m} v{self.version} ({self.status})"

    @property
    def month_has_ended(self) -> bool:
        """Whether the run's month is over on the local date (Asia/Shanghai). A month that has not
        ended can be computed as a preview but not published (publish_results refuses it)."""
        return month_has_ended(self.month)

    @property
    def publishable_from(self) -> date:
        """The first day on which the run's month can be published: the first of the next month."""
        return date(self.month.year + self.month.month // 12, self.month.month % 12 + 1, 1)


def month_has_ended(month: date, *, today: date | None = None) -> bool:
    """Whether `month` (any day of it) lies wholly before `today` (default: the local date)."""
    today = today or timezone.localdate()
    return (month.year, month.month) < (today.year, today.month)


class MonthlyResultQuerySet(models.QuerySet):
    def published(self):
        return self.filter(run__status=ResultRun.Status.PUBLISHED)

    def visible_to(self, user):
        """Published results of the halls the user sees; a clerk sees only their own. Drafts are
        never visible here (branch management reads drafts through their run)."""
        q = staff_row_scope(user)
        qs = self.published()
        return qs if q is None else qs.filter(q)


class MonthlyResult(models.Model):
    """One person's result in one run: total, ranks, percentile and star levels.

    `hall` and `post` are where the person is ranked for the month (the hall of most posting
    days). Later workflows (elimination list, appeals) reference these rows with PROTECT and
    keep their own state in their own tables: published rows never change.
    """

    # No single-column FK indexes: the composite indexes below lead with these columns.
    run = models.ForeignKey(
        ResultRun, on_delete=models.CASCADE, related_name="results", db_index=False, db_constraint=False
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="monthly_results", db_index=False, db_constraint=False
    )
    hall = models.ForeignKey(
        Hall, on_delete=models.PROTECT, related_name="monthly_results", db_index=False, db_constraint=False
    )
    post = models.CharField(_("post"), max_length=20, choices=Staff.Post.choices)
    month = models.DateField(_("month"))
    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.PROTECT, related_name="results", db_constraint=False
    )
    posting_days = models.PositiveSmallIntegerField(_("days in the hall"))
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2)
    rank_in_hall = models.PositiveIntegerField(_("rank in hall"))
    hall_size = models.PositiveIntegerField(_("ranked in hall"))
    rank_in_branch = models.PositiveIntegerField(_("rank in branch"))
    branch_size = models.PositiveIntegerField(_("ranked in branch"))
    percentile = models.DecimalField(_("percentile"), max_digits=5, decimal_places=2)
    band_level = models.PositiveSmallIntegerField(_("band of this month"))
    average_total = models.DecimalField(_("average of recent months"), max_digits=6, decimal_places=2)
    star_level_before = models.PositiveSmallIntegerField(_("star level before"))
    proposed_star_level = models.PositiveSmallIntegerField(_("proposed star level"))
    # The breakdown behind `total`, one element per indicator of the scheme (in indicator id order):
    # stored on the result itself, in the row the job writes anyway (a run is one row per person,
    # not eight), and read as rows through the IndicatorScore view. The database checks that the
    # arrays have one length and no negative points (monthly_result_indicator_breakdown, added in
    # SQL by migration 0011: Django's CheckConstraint cannot say ALL()).
    indicator_ids = ArrayField(models.BigIntegerField(), verbose_name=_("indicators"), default=list)
    indicator_fact_counts = ArrayField(models.PositiveIntegerField(), verbose_name=_("facts"), default=list)
    indicator_measure_values = ArrayField(
        models.DecimalField(max_digits=16, decimal_places=4, null=True),
        verbose_name=_("measured values"),
        default=list,
    )
    indicator_points = ArrayField(
        models.DecimalField(max_digits=7, decimal_places=2), verbose_name=_("points"), default=list
    )
    indicator_weighted_scores = ArrayField(
        models.DecimalField(max_digits=6, decimal_places=2), verbose_name=_("weighted scores"), default=list
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MonthlyResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly result")
        verbose_name_plural = _("monthly results")
        ordering = ["run", "rank_in_branch", "staff_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "staff"], name="monthly_result_one_per_staff_in_run"),
            models.CheckConstraint(
                condition=Q(total__gte=0, total__lte=100), name="monthly_result_total_range"
            ),
            models.CheckConstraint(
                condition=Q(rank_in_hall__gte=1, rank_in_hall__lte=F("hall_size")),
                name="monthly_result_rank_in_hall_range",
            ),
            models.CheckConstraint(
                condition=Q(rank_in_branch__gte=1, rank_in_branch__lte=F("branch_size")),
                name="monthly_result_rank_in_branch_range",
            ),
            models.CheckConstraint(
                condition=Q(band_level__lte=5, star_level_before__lte=5, proposed_star_level__lte=5),
                name="monthly_result_star_levels_0_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="monthly_result_sync_idx"),
            models.Index(fields=["staff", "month"], name="monthly_result_staff_month_idx"),
            models.Index(fields=["hall", "month"], name="monthly_result_hall_month_idx"),
        ]
        triggers = [
            touch_updated_at(),
            pgtrigger.Trigger(
                name="monthly_result_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=FROZEN_RESULT_GUARD,
            ),
        ]

    def __str__(self):
        return f"{self.staff_id} {self.month:%Y-%m} {self.total}"


class IndicatorScore(models.Model):
    """One indicator's figures behind a result: the aggregated measure, the facts counted, the points
    the rule gave and the weighted score.

    A read-only database view over MonthlyResult's indicator_* arrays (migration 0011): one row per
    element. Filters by result go into the view (the score card reads one result's rows through
    the result's primary key). Updating or deleting through it is refused by the database; the rows
    go with their result."""

    pk = models.CompositePrimaryKey("result", "indicator")
    result = models.ForeignKey(
        MonthlyResult, on_delete=models.DO_NOTHING, related_name="indicator_scores", db_constraint=False
    )
    # DO_NOTHING: an indicator whose scheme has results is never deleted (update_scheme refuses it).
    indicator = models.ForeignKey(
        Indicator, on_delete=models.DO_NOTHING, related_name="scores", db_constraint=False
    )
    fact_count = models.PositiveIntegerField(_("facts"))
    measure_value = models.DecimalField(_("measured value"), max_digits=16, decimal_places=4, null=True)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    score = models.DecimalField(_("weighted score"), max_digits=6, decimal_places=2)

    class Meta:
        managed = False
        db_table = "assessment_indicatorscore"
        verbose_name = _("indicator score")
        verbose_name_plural = _("indicator scores")

    def __str__(self):
        return f"{self.result_id}/{self.indicator_id} {self.score}"


class StarLevelChangeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(staff__in=Staff.objects.visible_to(user))


class StarLevelChange(models.Model):
    """History of a person's star level: written when a run's proposals are applied on publish."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="star_level_changes")
    run = models.ForeignKey(ResultRun, on_delete=models.PROTECT, related_name="star_level_changes")
    month = models.DateField(_("month"))
    from_level = models.PositiveSmallIntegerField(pgettext_lazy("star-level change", "from"))
    to_level = models.PositiveSmallIntegerField(pgettext_lazy("star-level change", "to"))
    average_total = models.DecimalField(_("average of recent months"), max_digits=6, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StarLevelChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("star-level change")
        verbose_name_plural = _("star-level changes")
        ordering = ["-month", "staff_id"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="star_level_change_one_per_month"),
            models.CheckConstraint(condition=~Q(from_level=F("to_level")), name="star_level_change_changes"),
            models.CheckConstraint(
                condition=Q(from_level__lte=5, to_level__lte=5), name="star_level_change_0_to_5"
            ),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="star_level_change_sync_idx")]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.staff_id} {self.month:%Y-%m} {self.from_level}→{self.to_level}"

    @property
    def hall(self):
        return self.staff.hall


# --- Bottom-elimination list (末位淘汰) -------------------------------------------------------------


class EliminationRule(models.Model):
    """A branch's rule for the bottom-elimination list. The bottom group of a month is everyone
    eligible matched by any configured criterion (bottom percent of the branch's post, bottom N of
    the hall's post, total below a threshold); with `consecutive_months` K, only people in the bottom
    group in each of the K latest published months (this one included) are listed. Probation,
    short service and long approved leave in the month make a person ineligible."""

    branch = models.OneToOneField(
        Region, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="elimination_rule"
    )
    bottom_percent = models.DecimalField(
        _("bottom percent of the branch"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    bottom_per_hall = models.PositiveSmallIntegerField(_("bottom N per hall"), null=True, blank=True)
    total_below = models.DecimalField(_("total below"), max_digits=6, decimal_places=2, null=True, blank=True)
    consecutive_months = models.PositiveSmallIntegerField(
        _("consecutive months in the bottom group"), null=True, blank=True
    )
    exclude_probation = models.BooleanField(_("exclude people on probation"), default=True)
    min_service_months = models.PositiveSmallIntegerField(_("minimum months of service"), default=0)
    max_leave_days = models.PositiveSmallIntegerField(
        _("exclude with approved leave days in the month of at least"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("elimination rule")
        verbose_name_plural = _("elimination rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(bottom_percent__isnull=False)
                | Q(bottom_per_hall__isnull=False)
                | Q(total_below__isnull=False),
                name="elimination_rule_has_criterion",
            ),
            models.CheckConstraint(
                condition=Q(bottom_percent__isnull=True) | Q(bottom_percent__gt=0, bottom_percent__lte=100),
                name="elimination_rule_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(bottom_per_hall__isnull=True) | Q(bottom_per_hall__gte=1),
                name="elimination_rule_per_hall_positive",
            ),
            models.CheckConstraint(
                condition=Q(consecutive_months__isnull=True) | Q(consecutive_months__gte=2),
                name="elimination_rule_consecutive_at_least_two",
            ),
            models.CheckConstraint(
                condition=Q(max_leave_days__isnull=True) | Q(max_leave_days__gte=1),
                name="elimination_rule_leave_days_positive",
            ),
        ]

    def __str__(self):
        return f"{self.branch.code} elimination rule"


class EliminationListQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Branch roles see every state of their branches' lists; hall managers and clerks see lists
        under review (to appeal) and confirmed ones; HR clients see confirmed lists only."""
        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        q = Q(pk__in=[])
        for role, paths in scope.region_roles.items():
            states = (
                [EliminationList.Status.CONFIRMED]
                if role == Role.HR_CLIENT
                else [
                    EliminationList.Status.GENERATED,
                    EliminationList.Status.UNDER_REVIEW,
                    EliminationList.Status.CONFIRMED,
                ]
            )
            for path in paths:
                q |= Q(run__branch__path__startswith=path, status__in=states)
        hall_ids = set(scope.managed_hall_ids) | ({scope.own_hall_id} if scope.own_hall_id else set())
        if hall_ids:
            q |= Q(
                entries__hall_id__in=hall_ids,
                status__in=[EliminationList.Status.UNDER_REVIEW, EliminationList.Status.CONFIRMED],
            )
        return self.filter(q).distinct()


class EliminationList(models.Model):
    """The bottom-elimination list of one published run: generated → under_review → confirmed."""

    class Status(models.TextChoices):
        GENERATED = "generated", _("Generated")
        UNDER_REVIEW = "under_review", _("Under review")
        CONFIRMED = "confirmed", _("Confirmed")

    run = models.OneToOneField(
        ResultRun, verbose_name=_("result run"), on_delete=models.PROTECT, related_name="elimination_list"
    )
    month = models.DateField(_("month"))
    rule_snapshot = models.JSONField(_("rule applied"), default=dict)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.GENERATED)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EliminationListQuerySet.as_manager()

    class Meta:
        verbose_name = _("elimination list")
        verbose_name_plural = _("elimination lists")
        ordering = ["-month", "run"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["generated", "under_review", "confirmed"]),
                name="elimination_list_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="elimination_list_confirmed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="elimination_list_sync_idx")]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.run_id} {self.month:%Y-%m} ({self.status})"


class EliminationEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Entries of the lists the user sees, narrowed to the user's rows: hall managers their halls',
        clerks their own (see staff_row_scope)."""
        qs = self.filter(elimination_list__in=EliminationList.objects.visible_to(user))
        q = staff_row_scope(user)
        return qs if q is None else qs.filter(q)


class EliminationEntry(models.Model):
    """One person on a list, with the rules that matched. An upheld appeal sets status
    `removed_on_appeal`; the row stays (HR sync sees the withdrawal)."""

    class Status(models.TextChoices):
        LISTED = "listed", _("Listed")
        REMOVED_ON_APPEAL = "removed_on_appeal", _("Removed on appeal")

    class Outcome(models.TextChoices):
        IMPROVEMENT_PLAN = "improvement_plan", _("Improvement plan")
        WARNING = "warning", _("Warning")
        DISMISSAL = "dismissal", _("Dismissal")

    elimination_list = models.ForeignKey(
        EliminationList, verbose_name=_("elimination list"), on_delete=models.PROTECT, related_name="entries"
    )
    result = models.ForeignKey(
        MonthlyResult, verbose_name=_("monthly result"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="elimination_entries"
    )
    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    reasons = models.JSONField(_("rules matched"), default=list)
    # The position the list's rules looked at: RANK() by total descending (ties share the best
    # rank, as on the results pages) among the eligible people of the post, in the branch and in
    # the hall. Null on lists generated before these were stored.
    rank_among_eligible = models.PositiveIntegerField(_("rank among the eligible"), null=True, blank=True)
    eligible_count = models.PositiveIntegerField(_("eligible people"), null=True, blank=True)
    hall_rank_among_eligible = models.PositiveIntegerField(
        _("rank among the eligible in the hall"), null=True, blank=True
    )
    hall_eligible_count = models.PositiveIntegerField(_("eligible people in the hall"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.LISTED)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome_recorded_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EliminationEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("elimination entry")
        verbose_name_plural = _("elimination entries")
        ordering = ["elimination_list", "staff_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["elimination_list", "staff"], name="elimination_entry_one_per_staff"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["listed", "removed_on_appeal"]), name="elimination_entry_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["", "improvement_plan", "warning", "dismissal"]),
                name="elimination_entry_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(outcome_recorded_at__isnull=False, status="listed"),
                name="elimination_entry_outcome_recorded",
            ),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="elimination_entry_sync_idx")]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.elimination_list_id}/{self.staff_id} ({self.status})"

    @property
    def branch_position(self) -> tuple[int, int]:
        """(rank, people) in the branch as the list's rules saw it: among the eligible people, or
        the result's rank in the branch on lists generated before that was stored."""
        if self.rank_among_eligible is not None:
            return self.rank_among_eligible, self.eligible_count
        return self.result.rank_in_branch, self.result.branch_size

    @property
    def hall_position(self) -> tuple[int, int]:
        if self.hall_rank_among_eligible is not None:
            return self.hall_rank_among_eligible, self.hall_eligible_count
        return self.result.rank_in_hall, self.result.hall_size


class AppealQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(entry__in=EliminationEntry.objects.visible_to(user))


class Appeal(models.Model):
    """An appeal against an entry, filed by the clerk or their hall manager and decided by the branch
    manager with a written reason; upheld removes the entry."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("appeal status", "Pending")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    entry = models.ForeignKey(
        EliminationEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="appeals"
    )
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["entry", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="pending"), name="appeal_one_pending_per_entry"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "upheld", "rejected"]), name="appeal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending")
                | (Q(decided_by__isnull=False, decided_at__isnull=False) & ~Q(decision_reason="")),
                name="appeal_decision_has_reason",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="appeal_has_reason"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"appeal {self.entry_id} ({self.status})"

    @property
    def hall(self):
        return self.entry.hall


# Mystery-shop inspections live in their own subpackage; importing them here registers them in this app.
from assessment.mystery_shop.models import *  # noqa: E402,F401,F403

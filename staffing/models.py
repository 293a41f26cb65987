from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    BigIntegerRangeField,
    DateRangeField,
    DateTimeRangeField,
    RangeOperators,
)
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from halls.models import Hall
from halls.scoping import scope_for
from halls.triggers import touch_updated_at


class StaffQuerySet(models.QuerySet):
    def visible_to(self, user) -> "StaffQuerySet":
        """Staff of the halls the user may see; a clerk sees only their own record."""
        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        q = Q(pk=scope.own_staff_id) if scope.own_staff_id else Q(pk__in=[])
        if scope.managed_hall_ids or scope.region_paths:
            managed = Q(hall_id__in=scope.managed_hall_ids)
            for path in scope.region_paths:
                managed |= Q(hall__region__path__startswith=path)
            q |= managed
        return self.filter(q)

    def current(self) -> "StaffQuerySet":
        return self.exclude(status=Staff.Status.LEFT)


@pghistory.track()
class Staff(models.Model):
    """A person working in a hall: clerk, guide, hall manager, duty manager or VIP manager."""

    class Post(models.TextChoices):
        CLERK = "clerk", _("Clerk")
        GUIDE = "guide", _("Guide")
        HALL_MANAGER = "hall_manager", _("Hall manager")
        DUTY_MANAGER = "duty_manager", _("Duty manager")
        VIP_MANAGER = "vip_manager", _("VIP account manager")

    class EmploymentType(models.TextChoices):
        FORMAL = "formal", _("Formal")
        CONTRACT = "contract", _("Contract")
        TEMPORARY = "temporary", _("Temporary")
        PARTNER = "partner", _("Partner employee")

    class Status(models.TextChoices):
        PROBATION = "probation", _("Probation")
        ACTIVE = "active", _("Active")
        ON_LEAVE = "on_leave", _("On leave")
        LEFT = "left", _("Left")

    employee_no = models.CharField(_("employee number"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="staff")
    post = models.CharField(_("post"), max_length=20, choices=Post.choices)
    employment_type = models.CharField(_("employment type"), max_length=10, choices=EmploymentType.choices)
    hire_date = models.DateField(_("hire date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROBATION)
    star_level = models.PositiveSmallIntegerField(
        _("star level"), default=0, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["employee_no"], name="staff_employee_no_unique"),
            models.CheckConstraint(
                condition=Q(star_level__gte=0, star_level__lte=5), name="staff_star_level_0_to_5"
            ),
            models.CheckConstraint(
                condition=Q(post__in=["clerk", "guide", "hall_manager", "duty_manager", "vip_manager"]),
                name="staff_post_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["probation", "active", "on_leave", "left"]), name="staff_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(employment_type__in=["formal", "contract", "temporary", "partner"]),
                name="staff_employment_type_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="staff_sync_cursor_idx"),
            models.Index(fields=["hall", "post", "status"], name="staff_hall_post_status_idx"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.name} ({self.employee_no})"


class DateRange(Func):
    function = "DATERANGE"
    output_field = DateRangeField()


class SingletonRange(Func):
    """int8range(x, x, '[]'): lets a GiST exclusion constraint test equality of an id with the
    built-in range operator class, so no btree_gist extension is needed (the embedded server
    ships no contrib extensions)."""

    function = "INT8RANGE"
    template = "%(function)s(%(expressions)s, %(expressions)s, '[]')"
    output_field = BigIntegerRangeField()


class StaffPostingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(staff__in=Staff.objects.visible_to(user))

    def on(self, day):
        return self.filter(started_on__lte=day).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))


class StaffPosting(models.Model):
    """Where a person worked when: one row per stay in a hall, inclusive dates; the open row is current.

    Written by staffing.services (create_staff, transfer_staff); never overlapping for one person.
    """

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="postings")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="postings")
    post = models.CharField(_("post"), max_length=20, choices=Staff.Post.choices)
    started_on = models.DateField(pgettext_lazy("first day of a date range", "from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StaffPostingQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["staff", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="staff_posting_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["staff"], condition=Q(ended_on__isnull=True), name="staff_posting_one_open_per_staff"
            ),
            ExclusionConstraint(
                name="staff_posting_no_overlap",
                expressions=[
                    (SingletonRange("staff"), RangeOperators.EQUAL),
                    (DateRange("started_on", "ended_on", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
            ),
        ]
        indexes = [models.Index(fields=["hall", "started_on"], name="staff_posting_hall_idx")]

    def __str__(self):
        return f"{self.staff} @ {self.hall.code} {self.started_on}–{self.ended_on or ''}"


# --- Rostering ------------------------------------------------------------------------------


class TimestampRange(Func):
    """tstzrange(start, end, '[)'): the time a shift occupies, for the overlap exclusion."""

    function = "TSTZRANGE"
    template = "%(function)s(%(expressions)s, '[)')"
    output_field = DateTimeRangeField()


class DutyPost(models.TextChoices):
    """The post someone holds during a shift; a window needs a valid qualification."""

    WINDOW = "window", _("Service window")
    GUIDE = "guide", _("Guide")
    DUTY = "duty", _("Duty manager")
    VIP = "vip", _("VIP service zone")


class PostRange(Func):
    """int8range(n, n, '[]') of the post's number (see SingletonRange): an exclusion constraint
    compares posts with the built-in range operator class (no btree_gist for text equality)."""

    function = "INT8RANGE"
    template = "%(function)s(%(expressions)s, %(expressions)s, '[]')"
    output_field = BigIntegerRangeField()

    def __init__(self, field: str):
        number = models.Case(
            *[
                models.When(**{field: value}, then=models.Value(i))
                for i, value in enumerate(DutyPost.values, 1)
            ],
            default=models.Value(0),
            output_field=models.BigIntegerField(),
        )
        super().__init__(number)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return sql, (*params, *params)  # the template uses the expression twice


class HallOwnedQuerySet(models.QuerySet):
    hall_path = "hall"

    def visible_to(self, user):
        return self.filter(**{f"{self.hall_path}__in": Hall.objects.visible_to(user)})


class ShiftType(models.Model):
    """A hall's shift (班次): code, times and unpaid break. Shifts end on the day they start."""

    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="shift_types"
    )
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=60)
    start = models.TimeField(_("starts at"))
    end = models.TimeField(_("ends at"))
    break_minutes = models.PositiveSmallIntegerField(_("unpaid break (minutes)"), default=0)
    colour = models.CharField(_("colour"), max_length=7, default="#4e79a7")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HallOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift type")
        verbose_name_plural = _("shift types")
        ordering = ["hall", "start", "code"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "code"], name="shift_type_code_unique_per_hall"),
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="shift_type_starts_before_end"
            ),
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="shift_type_colour_hex"
            ),
            models.CheckConstraint(condition=Q(break_minutes__lte=240), name="shift_type_break_at_most_4h"),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="shift_type_sync_cursor_idx")]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.code} {self.start:%H:%M}–{self.end:%H:%M}"


class CoveragePolicy(models.Model):
    """How a hall is covered and rostered. A hall without a row uses the field defaults
    (`staffing.roster_services.coverage_policy_for`)."""

    hall = models.OneToOneField(Hall, on_delete=models.CASCADE, related_name="coverage_policy")
    service_level = models.DecimalField(
        _("service-level target"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        help_text=_("Share of customers served within the answer time."),
    )
    answer_seconds = models.PositiveIntegerField(_("answer time (seconds)"), default=600)
    peak_ratio = models.DecimalField(
        _("peak threshold"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.75"),
        help_text=_("An hour is a peak hour when its forecast reaches this share of the day's busiest hour."),
    )
    forecast_weeks = models.PositiveSmallIntegerField(_("forecast history (weeks)"), default=8)
    min_rest_hours = models.PositiveSmallIntegerField(_("minimum rest between shifts (hours)"), default=11)
    min_weekly_hours = models.PositiveSmallIntegerField(_("minimum hours per week"), null=True, blank=True)
    max_weekly_hours = models.PositiveSmallIntegerField(
        _("maximum hours per week"), null=True, blank=True, default=44
    )
    min_consecutive_days = models.PositiveSmallIntegerField(_("minimum consecutive working days"), default=1)
    max_consecutive_days = models.PositiveSmallIntegerField(_("maximum consecutive working days"), default=6)
    min_days_off_in_row = models.PositiveSmallIntegerField(_("minimum consecutive days off"), default=1)
    max_weekends_per_4_weeks = models.PositiveSmallIntegerField(
        _("maximum weekends worked per 4 weeks"), null=True, blank=True
    )
    max_shifts_per_type = models.JSONField(
        _("maximum of each shift type per period"), default=dict, blank=True, help_text=_('e.g. {"L": 8}')
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = HallOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("coverage policy")
        verbose_name_plural = _("coverage policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(service_level__gt=0, service_level__lt=1),
                name="coverage_policy_level_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=Q(peak_ratio__gt=0, peak_ratio__lte=1), name="coverage_policy_peak_ratio_valid"
            ),
            models.CheckConstraint(
                condition=Q(forecast_weeks__gte=1), name="coverage_policy_forecast_weeks_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_consecutive_days__gte=models.F("min_consecutive_days")),
                name="coverage_policy_consecutive_days_ordered",
            ),
            models.CheckConstraint(
                condition=Q(min_weekly_hours__isnull=True)
                | Q(max_weekly_hours__isnull=True)
                | Q(max_weekly_hours__gte=models.F("min_weekly_hours")),
                name="coverage_policy_weekly_hours_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.hall.code}: {self.service_level:.0%} / {self.answer_seconds}s"


class SolverStatus(models.TextChoices):
    """How the roster solver ended (staffing.rostering.solver: OR-Tools' status names, or GREEDY
    when the greedy starting roster is the answer); recorded in staffing.roster.generated."""

    OPTIMAL = "OPTIMAL", _("Optimal")
    FEASIBLE = "FEASIBLE", _("Feasible, not proven optimal")
    INFEASIBLE = "INFEASIBLE", _("No feasible roster")
    UNKNOWN = "UNKNOWN", _("Stopped without a result")
    MODEL_INVALID = "MODEL_INVALID", _("Invalid model")
    GREEDY = "GREEDY", _("Starting roster (not optimised)")


class RosterQuerySet(HallOwnedQuerySet):
    def visible_to(self, user):
        """Rosters of the halls a user manages or oversees; a clerk sees only published ones."""
        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        managed = Hall.objects.visible_to(user)
        if scope.own_hall_id and scope.own_hall_id not in scope.managed_hall_ids:
            managed = managed.exclude(pk=scope.own_hall_id)
            own = Q(hall_id=scope.own_hall_id, status=Roster.Status.PUBLISHED)
            return self.filter(Q(hall__in=managed) | own)
        return self.filter(hall__in=managed)


class Roster(models.Model):
    """One version of a hall's roster (排班) for a period. Generating or copying makes a new
    version; publishing one supersedes the hall's published roster for the same period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")

    class Method(models.TextChoices):
        MANUAL = "manual", _("Manual")
        ROTATION = "rotation", _("Rotation pattern")
        SOLVER = "solver", _("Optimised")
        IMPORT = "import", _("Imported")

    class Generation(models.TextChoices):
        NONE = "none", _("Not generated")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="rosters")
    period_start = models.DateField(pgettext_lazy("first day of a date range", "from"))
    period_end = models.DateField(_("until"))
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.MANUAL)
    rotation = models.JSONField(_("rotation pattern"), null=True, blank=True)
    time_limit_seconds = models.PositiveSmallIntegerField(_("time limit (seconds)"), default=20)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("generated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    generation_status = models.CharField(
        _("generation"), max_length=10, choices=Generation.choices, default=Generation.NONE
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    generation_error = models.TextField(_("generation error"), blank=True)
    solver_status = models.CharField(_("solver status"), max_length=20, blank=True)
    objective = models.FloatField(_("objective"), null=True, blank=True)
    penalties = models.JSONField(_("penalty breakdown"), default=dict, blank=True)
    unmet = models.JSONField(_("unmet hours"), default=list, blank=True)
    unmet_requests = models.JSONField(_("unmet requests"), default=list, blank=True)
    # {"2026-03-02": {"9": 3, ...}}: the requirement the roster was built against, frozen with it.
    requirement = models.JSONField(_("required staff per hour"), default=dict, blank=True)
    wall_time_seconds = models.FloatField(_("generation time (seconds)"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RosterQuerySet.as_manager()

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["hall", "-period_start", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "period_start", "period_end", "version"], name="roster_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="roster_period_ordered"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="roster_progress_at_most_100"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "superseded"]), name="roster_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="roster_published_has_time",
            ),
            ExclusionConstraint(
                name="roster_one_published_per_hall_and_day",
                expressions=[
                    (SingletonRange("hall"), RangeOperators.EQUAL),
                    (DateRange("period_start", "period_end", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="published"),
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="roster_sync_cursor_idx"),
            models.Index(fields=["hall", "period_start"], name="roster_hall_period_idx"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.hall.code} {self.period_start}–{self.period_end} v{self.version}"

    @property
    def solver_status_label(self) -> str:
        """How the solver ended, in the reader's words (the API keeps the code)."""
        if self.solver_status in SolverStatus.values:
            return SolverStatus(self.solver_status).label
        return self.solver_status


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(roster__in=Roster.objects.visible_to(user))


class Assignment(models.Model):
    """One person on one shift on one date in a roster version. `starts_at`/`ends_at` are the
    shift's instants in the hall's time zone (set by the service), so the database itself refuses
    two overlapping shifts of one person in a roster."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="assignments"
    )
    date = models.DateField(_("date"))
    shift_type = models.ForeignKey(
        ShiftType, verbose_name=_("shift"), on_delete=models.PROTECT, related_name="assignments"
    )
    post = models.CharField(_("post"), max_length=10, choices=DutyPost.choices, default=DutyPost.WINDOW)
    window_no = models.PositiveSmallIntegerField(_("window number"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["roster", "date", "starts_at", "staff"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="assignment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(post__in=["window", "guide", "duty", "vip"]), name="assignment_post_valid"
            ),
            ExclusionConstraint(
                name="assignment_no_overlapping_shifts",
                expressions=[
                    (SingletonRange("roster"), RangeOperators.EQUAL),
                    (SingletonRange("staff"), RangeOperators.EQUAL),
                    (TimestampRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="assignment_sync_cursor_idx"),
            # staff's own schedule and the assignment API's staff filter
            models.Index(fields=["staff", "date"], name="assignment_staff_date_idx"),
            models.Index(fields=["roster", "date"], name="assignment_roster_date_idx"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.staff_id} {self.date} {self.shift_type_id}"


class StaffOwnedQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(staff__in=Staff.objects.visible_to(user))


class Leave(models.Model):
    """Leave of a staff member, inclusive dates. Only approved leave blocks rostering."""

    class Kind(models.TextChoices):
        ANNUAL = "annual", _("Annual leave")
        SICK = "sick", _("Sick leave")
        PERSONAL = "personal", _("Personal leave")
        MARRIAGE = "marriage", _("Marriage leave")
        MATERNITY = "maternity", _("Maternity or paternity leave")
        COMPENSATORY = "compensatory", _("Time off in lieu")
        OTHER = "other", _("Other")

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="leaves"
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    start_date = models.DateField(pgettext_lazy("first day of a date range", "from"))
    end_date = models.DateField(_("until"))
    approved = models.BooleanField(_("approved"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StaffOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leave")
        ordering = ["staff", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="leave_dates_ordered"
            ),
        ]
        indexes = [models.Index(fields=["staff", "start_date"], name="leave_staff_start_idx")]

    def __str__(self):
        return f"{self.staff_id} {self.kind} {self.start_date}–{self.end_date}"


class StaffRequest(models.Model):
    """A clerk's wish for a date: a day off, or for or against a shift; weight 1 (nice) to 10."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WANT_SHIFT = "want_shift", _("Wants this shift")
        AVOID_SHIFT = "avoid_shift", _("Avoids this shift")

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="roster_requests"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    shift_type = models.ForeignKey(
        ShiftType, verbose_name=_("shift"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StaffOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff request")
        verbose_name_plural = _("staff requests")
        ordering = ["date", "staff"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=10), name="staff_request_weight_1_to_10"
            ),
            models.CheckConstraint(
                condition=Q(kind="day_off", shift_type__isnull=True)
                | Q(kind__in=["want_shift", "avoid_shift"], shift_type__isnull=False),
                name="staff_request_shift_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["staff", "date", "kind", "shift_type"],
                nulls_distinct=False,
                name="staff_request_unique",
            ),
        ]

    def __str__(self):
        return f"{self.staff_id} {self.date} {self.kind}"


class LoanRecord(models.Model):
    """Staff lent by their hall to another hall for a span of dates (inclusive). On those dates
    they may be rostered only in the receiving hall."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="loans"
    )
    from_hall = models.ForeignKey(Hall, verbose_name=_("lent by"), on_delete=models.PROTECT, related_name="+")
    to_hall = models.ForeignKey(
        Hall, verbose_name=_("lent to"), on_delete=models.PROTECT, related_name="loans_in"
    )
    start_date = models.DateField(pgettext_lazy("first day of a date range", "from"))
    end_date = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StaffOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="loan_dates_ordered"
            ),
            models.CheckConstraint(condition=~Q(from_hall=models.F("to_hall")), name="loan_to_another_hall"),
            ExclusionConstraint(
                name="loan_no_overlap_per_staff",
                expressions=[
                    (SingletonRange("staff"), RangeOperators.EQUAL),
                    (DateRange("start_date", "end_date", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
            ),
        ]
        indexes = [models.Index(fields=["to_hall", "start_date"], name="loan_to_hall_start_idx")]

    def __str__(self):
        return f"{self.staff_id} → {self.to_hall_id} {self.start_date}–{self.end_date}"


class TrafficRecord(models.Model):
    """One hour of a hall's traffic from the queue and billing systems: queue tickets issued
    (arrivals), transactions completed and their average handling time."""

    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.CASCADE, related_name="traffic")
    hour = models.DateTimeField(_("hour"))
    tickets_issued = models.PositiveIntegerField(_("tickets issued"))
    transactions = models.PositiveIntegerField(_("transactions"))
    avg_handling_seconds = models.PositiveIntegerField(_("average handling time (seconds)"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HallOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("traffic record")
        verbose_name_plural = _("traffic records")
        ordering = ["hall", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "hour"], name="traffic_record_one_per_hall_hour"),
            models.CheckConstraint(
                condition=Q(avg_handling_seconds__lte=4 * 3600), name="traffic_record_handling_at_most_4h"
            ),
        ]

    def __str__(self):
        return f"{self.hall_id} {self.hour:%Y-%m-%d %H}h"


class Qualification(models.Model):
    """A post qualification (上岗资格) of a staff member, valid from `granted_on` through
    `expires_on` (open-ended when empty). Granted through `staffing.qualifications`."""

    class Source(models.TextChoices):
        TRAINING = "training", _("Training and exam")
        MANUAL = "manual", _("Entered by a manager")
        IMPORT = "import", _("Imported")

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="qualifications"
    )
    post = models.CharField(_("post"), max_length=10, choices=DutyPost.choices)
    granted_on = models.DateField(_("granted on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("post qualification")
        verbose_name_plural = _("post qualifications")
        ordering = ["staff", "post", "granted_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("granted_on")),
                name="qualification_expires_after_grant",
            ),
            models.CheckConstraint(
                condition=Q(post__in=["window", "guide", "duty", "vip"]), name="qualification_post_valid"
            ),
            ExclusionConstraint(
                name="qualification_no_overlap_per_staff_post",
                expressions=[
                    (SingletonRange("staff"), RangeOperators.EQUAL),
                    (PostRange("post"), RangeOperators.EQUAL),
                    (DateRange("granted_on", "expires_on", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="qualification_sync_cursor_idx"),
            models.Index(fields=["staff", "post", "granted_on"], name="qualification_lookup_idx"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.staff_id} {self.post} {self.granted_on}–{self.expires_on or ''}"


class DisciplineRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Records of the staff the user may see (a clerk: their own)."""
        return self.filter(staff__in=Staff.objects.visible_to(user))


class DisciplineRecord(models.Model):
    """A labour-discipline incident (劳动纪律): late, absent, or leaving the post (脱岗), with the
    points it deducts. Counted in assessment through a score fact written by
    assessment.services.record_discipline_incident."""

    class Kind(models.TextChoices):
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        LEFT_POST = "left_post", _("Left the post")

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="discipline_records")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="discipline_records")
    occurred_on = models.DateField(_("occurred on"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    deduction = models.DecimalField(_("deduction (points)"), max_digits=5, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="discipline_records_recorded"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DisciplineRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("discipline record")
        verbose_name_plural = _("discipline records")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["late", "absent", "left_post"]), name="discipline_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(deduction__gt=0, deduction__lte=100), name="discipline_deduction_range"
            ),
        ]
        indexes = [models.Index(fields=["staff", "occurred_on"], name="discipline_staff_day_idx")]

    def __str__(self):
        return f"{self.staff_id} {self.occurred_on} {self.kind}"


# Points a discipline incident deducts unless the recorder states otherwise.
DEFAULT_DISCIPLINE_DEDUCTIONS = {
    DisciplineRecord.Kind.LATE: Decimal("1.00"),
    DisciplineRecord.Kind.LEFT_POST: Decimal("2.00"),
    DisciplineRecord.Kind.ABSENT: Decimal("5.00"),
}

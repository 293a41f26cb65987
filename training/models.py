"""Training records: programmes and their stages, sessions, attendance, exam results, weak-point
improvement plans (短板提升计划). The qualification expiry job's reminders are halls.Notification
rows (halls.notifications).

Post qualifications (上岗资格) are staffing's `Qualification`; training grants them through
`staffing.qualifications.grant_qualification` and never writes that table itself.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from halls.models import Hall
from halls.scoping import scope_for
from halls.triggers import touch_updated_at
from staffing.models import DutyPost, Staff


def oversight_q(user, hall_field: str = "hall") -> Q:
    """Rows in the halls `user` manages or oversees (hall managers, region roles). A clerk's own
    hall is not oversight: a clerk sees only their own rows (see `own_or_overseen`)."""
    scope = scope_for(user)
    q = Q(**{f"{hall_field}_id__in": scope.managed_hall_ids}) if scope.managed_hall_ids else Q(pk__in=[])
    for path in scope.region_paths:
        q |= Q(**{f"{hall_field}__region__path__startswith": path})
    return q


class StaffRecordQuerySet(models.QuerySet):
    """Records about one person in one hall: seen by whoever oversees the hall and by the person."""

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        q = oversight_q(user)
        if scope.own_staff_id:
            q |= Q(staff_id=scope.own_staff_id)
        return self.filter(q)


class ProgramKind(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    IN_SERVICE = "in_service", _("In-service (periodic)")
    SPECIALISED = "specialised", _("Specialised")


class SessionKind(models.TextChoices):
    CLASSROOM = "classroom", _("Classroom")
    ONLINE = "online", _("Online")
    PRE_SHIFT = "pre_shift", _("Pre-shift meeting")
    POST_SHIFT = "post_shift", _("Post-shift meeting")
    MORNING_MEETING = "morning_meeting", _("Morning meeting")
    DRILL = "drill", _("On-the-job drill")
    SIMULATION = "simulation", _("Scenario simulation")
    DAILY_QUESTION = "daily_question", _("Daily question")


class ExamKind(models.TextChoices):
    WRITTEN = "written", _("Written")
    ORAL = "oral", _("Oral")
    INTERACTIVE = "interactive", _("Interactive")


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


def _choices_check(field: str, choices, name: str, *, blank: bool = False) -> models.CheckConstraint:
    values = [value for value, _label in choices] + ([""] if blank else [])
    return models.CheckConstraint(condition=Q(**{f"{field}__in": values}), name=name)


class TrainingProgramQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Programmes are company-wide: everyone with a role sees them all."""
        scope = scope_for(user)
        if scope.sees_everything or scope.roles:
            return self.all()
        return self.none()

    def active(self):
        return self.filter(is_active=True)


class TrainingProgram(models.Model):
    """A planned programme (onboarding, periodic in-service, specialised) for some posts, with a
    number of required hours split into ordered stages. Completing an onboarding programme and
    passing its exam grants the post qualification for `qualification_valid_months`."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=ProgramKind.choices)
    target_posts = ArrayField(
        models.CharField(max_length=20, choices=Staff.Post.choices),
        verbose_name=_("target posts"),
        default=list,
        blank=True,
    )
    required_hours = models.DecimalField(_("required hours"), max_digits=6, decimal_places=1)
    qualification_post = models.CharField(
        _("qualification granted"),
        max_length=10,
        choices=DutyPost.choices,
        blank=True,
        help_text=_("Onboarding only: the post a clerk is qualified for after passing."),
    )
    qualification_valid_months = models.PositiveSmallIntegerField(
        _("qualification valid for (months)"), default=24
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrainingProgramQuerySet.as_manager()

    class Meta:
        verbose_name = _("training programme")
        verbose_name_plural = _("training programmes")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="training_program_code_unique"),
            _choices_check("kind", ProgramKind.choices, "training_program_kind_valid"),
            models.CheckConstraint(condition=Q(required_hours__gt=0), name="training_program_hours_positive"),
            models.CheckConstraint(
                condition=Q(kind="onboarding", qualification_post__in=DutyPost.values)
                | (~Q(kind="onboarding") & Q(qualification_post="")),
                name="training_program_onboarding_grants_a_post",
            ),
            models.CheckConstraint(
                condition=Q(qualification_valid_months__gte=1, qualification_valid_months__lte=120),
                name="training_program_validity_1_to_120_months",
            ),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="training_program_sync_idx")]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.name} ({self.code})"


class ProgramStage(models.Model):
    """One stage of a programme, in order, with the hours a trainee must attend in it."""

    program = models.ForeignKey(
        TrainingProgram, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="stages"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    required_hours = models.DecimalField(_("required hours"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("programme stage")
        verbose_name_plural = _("programme stages")
        ordering = ["program", "order"]
        constraints = [
            models.UniqueConstraint(fields=["program", "order"], name="program_stage_order_unique"),
            models.CheckConstraint(condition=Q(required_hours__gt=0), name="program_stage_hours_positive"),
        ]

    def __str__(self):
        return f"{self.order}. {self.name}"


class TrainingSessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sessions held in at least one hall the user may see (a clerk: their own hall's)."""
        if scope_for(user).sees_everything:
            return self.all()
        through = TrainingSession.halls.through
        in_visible_hall = through.objects.filter(
            trainingsession_id=OuterRef("pk"), hall__in=Hall.objects.visible_to(user)
        )
        return self.filter(Exists(in_visible_hall))

    def in_hall(self, hall):
        through = TrainingSession.halls.through
        return self.filter(Exists(through.objects.filter(trainingsession_id=OuterRef("pk"), hall=hall)))


class TrainingSession(models.Model):
    """One training event for one or more halls: a classroom day, a morning meeting, a drill, a
    daily question… Optionally part of a programme stage, optionally with an exam."""

    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    topic = models.CharField(_("topic"), max_length=200)
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    trainer = models.CharField(_("trainer"), max_length=60)
    halls = models.ManyToManyField(Hall, verbose_name=_("halls"), related_name="training_sessions")
    program = models.ForeignKey(
        TrainingProgram,
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    stage = models.ForeignKey(
        ProgramStage,
        verbose_name=_("stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    exam_kind = models.CharField(_("exam"), max_length=12, choices=ExamKind.choices, blank=True)
    exam_max_score = models.DecimalField(
        _("maximum score"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    exam_pass_mark = models.DecimalField(
        _("pass mark"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["date", "starts_at", "id"]
        constraints = [
            _choices_check("kind", SessionKind.choices, "training_session_kind_valid"),
            _choices_check("exam_kind", ExamKind.choices, "training_session_exam_kind_valid", blank=True),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=720),
                name="training_session_duration_1_to_720",
            ),
            models.CheckConstraint(
                condition=Q(stage__isnull=True) | Q(program__isnull=False),
                name="training_session_stage_needs_program",
            ),
            models.CheckConstraint(
                condition=Q(exam_kind="", exam_max_score__isnull=True, exam_pass_mark__isnull=True)
                | (
                    ~Q(exam_kind="")
                    & Q(exam_max_score__gt=0, exam_pass_mark__gt=0)
                    & Q(exam_pass_mark__lte=models.F("exam_max_score"))
                ),
                name="training_session_exam_marks_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["date", "starts_at"], name="training_session_date_idx"),
            models.Index(fields=["updated_at", "id"], name="training_session_sync_idx"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}: {self.topic}"

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.duration_minutes) / 60).quantize(Decimal("0.01"))


class Attendance(models.Model):
    """Whether a person attended a session, in the hall they attended for, and the hours credited
    (the session's length when present, none otherwise). Entered in bulk for a whole hall."""

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=pgettext_lazy("training", "session"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="training_attendances"
    )
    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("attendance"), max_length=10, choices=AttendanceStatus.choices)
    hours = models.DecimalField(_("hours credited"), max_digits=5, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session", "staff"]
        constraints = [
            models.UniqueConstraint(fields=["session", "staff"], name="attendance_once_per_session_staff"),
            _choices_check("status", AttendanceStatus.choices, "attendance_status_valid"),
            models.CheckConstraint(
                condition=Q(status="present", hours__gt=0) | (~Q(status="present") & Q(hours=0)),
                name="attendance_hours_only_when_present",
            ),
        ]
        indexes = [
            models.Index(fields=["staff", "session"], name="attendance_staff_idx"),
            models.Index(fields=["updated_at", "id"], name="attendance_sync_idx"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.staff_id} @ {self.session_id}: {self.status}"


class ExamResult(models.Model):
    """A person's exam score (written, oral or interactive) against the exam's pass mark."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="exam_results"
    )
    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=pgettext_lazy("training", "session"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exam_results",
    )
    program = models.ForeignKey(
        TrainingProgram,
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exam_results",
    )
    kind = models.CharField(_("exam"), max_length=12, choices=ExamKind.choices)
    taken_on = models.DateField(_("taken on"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    max_score = models.DecimalField(_("maximum score"), max_digits=5, decimal_places=1)
    pass_mark = models.DecimalField(_("pass mark"), max_digits=5, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("exam result")
        verbose_name_plural = _("exam results")
        ordering = ["taken_on", "id"]
        constraints = [
            _choices_check("kind", ExamKind.choices, "exam_result_kind_valid"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=models.F("max_score")),
                name="exam_result_score_within_range",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gt=0, pass_mark__lte=models.F("max_score")),
                name="exam_result_pass_mark_within_range",
            ),
            models.UniqueConstraint(
                fields=["session", "staff"],
                condition=Q(session__isnull=False),
                name="exam_result_once_per_session_staff",
            ),
        ]
        indexes = [
            models.Index(fields=["staff", "taken_on"], name="exam_result_staff_idx"),
            models.Index(fields=["updated_at", "id"], name="exam_result_sync_idx"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.staff_id} {self.kind} {self.score}/{self.max_score}"

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark


class PlanStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("improvement plan status", "Open")
    CLOSED = "closed", _("Closed")


class PlanVerdict(models.TextChoices):
    IMPROVED = "improved", _("Improved")
    NOT_IMPROVED = "not_improved", _("Not improved")
    ENDED = "ended", _("Ended")


class ImprovementPlan(models.Model):
    """A weak-point improvement plan (短板提升计划): a clerk's weakest indicators in a published
    month, small dated steps, an owner who drives it, the hall manager's follow-ups and a verdict
    after the next month's result."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="improvement_plans"
    )
    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("assessment month"))
    owner = models.ForeignKey(Staff, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    goal = models.TextField(_("goal"))
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    verdict = models.CharField(_("verdict"), max_length=15, choices=PlanVerdict.choices, blank=True)
    verdict_note = models.TextField(_("verdict note"), blank=True)
    verdict_on = models.DateField(_("verdict given on"), null=True, blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement plan")
        verbose_name_plural = _("improvement plans")
        ordering = ["-month", "staff"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="improvement_plan_one_per_staff_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="improvement_plan_month_first_day"),
            _choices_check("status", PlanStatus.choices, "improvement_plan_status_valid"),
            _choices_check("verdict", PlanVerdict.choices, "improvement_plan_verdict_valid", blank=True),
            models.CheckConstraint(
                condition=Q(status="open", verdict="", verdict_on__isnull=True)
                | (Q(status="closed", verdict_on__isnull=False) & ~Q(verdict="")),
                name="improvement_plan_verdict_closes_it",
            ),
        ]
        indexes = [models.Index(fields=["hall", "status"], name="improvement_plan_hall_idx")]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.staff_id} {self.month:%Y-%m}"


class ImprovementWeakPoint(models.Model):
    """One weak indicator of the plan's month: code, name, the clerk's score and the indicator's
    maximum points (entered by hand, or filled from the assessment's published results)."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="weak_points")
    indicator_code = models.CharField(_("indicator code"), max_length=50)
    indicator_name = models.CharField(_("indicator"), max_length=120)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    max_points = models.DecimalField(_("maximum points"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("weak point")
        verbose_name_plural = _("weak points")
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "indicator_code"], name="weak_point_once_per_plan"),
            models.CheckConstraint(
                condition=Q(max_points__gt=0, score__lte=models.F("max_points")),
                name="weak_point_score_within_max",
            ),
        ]

    def __str__(self):
        return f"{self.indicator_code} {self.score}/{self.max_points}"


class ImprovementStep(models.Model):
    """A small dated step of a plan; `done_on` is set when it is done."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="steps")
    due_on = models.DateField(_("due on"))
    description = models.CharField(_("step"), max_length=300)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("improvement step")
        verbose_name_plural = _("improvement steps")
        ordering = ["due_on", "id"]

    def __str__(self):
        return f"{self.due_on}: {self.description}"


class ImprovementFollowUp(models.Model):
    """A hall manager's follow-up note on a plan."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="follow_ups")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_on = models.DateField(_("date"))
    note = models.TextField(_("follow-up"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["written_on", "id"]

    def __str__(self):
        return f"{self.plan_id} {self.written_on}"

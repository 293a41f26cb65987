from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import BigIntegerRangeField, DateRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _

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
    started_on = models.DateField(_("from"))
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

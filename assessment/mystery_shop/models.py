"""Mystery-shop models. Imported by assessment/models.py so Django registers them in `assessment`.

Secrecy: a visit is visible to the hall's manager and staff (and every role that is not the market
department) only once it has been published (`first_published_at` set); before that it exists for
inspectors of its region only. `Visit.objects.visible_to(user)` is the one rule; every other model
of a visit reaches its rows through it. Checklist versions do not depend on visits at all
(`ChecklistTemplate.objects.visible_to`: outside the market department, the versions that have
been in force), so no visit, covert or not, changes which versions anyone reads.
"""

import uuid
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from halls.models import Hall, Role
from halls.permissions import has_permission
from halls.scoping import scope_for
from halls.triggers import touch_updated_at
from staffing.models import Staff

HUNDRED = Decimal("100")


def photo_path(instance, filename: str) -> str:
    """Server-made storage names: the uploader's file name is never used."""
    now = timezone.now()
    return f"inspections/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.jpg"


# --- Checklists -----------------------------------------------------------------------------------


# pg_advisory_xact_lock(namespace, hash of the lowered name): the namespace keeps other apps' locks
# apart (complaints 5001, training 6001).
CHECKLIST_NAME_LOCK_NAMESPACE = 7_001

# A checklist name has one spelling: a row whose name equals another row's but for case is refused
# (SQLSTATE 23505, so Django raises IntegrityError as for a unique index). The transaction-level
# advisory lock on the lowered name makes two writers of one name wait for each other, so the
# second one's look-up sees the first one's committed row (READ COMMITTED: a new snapshot per
# statement); a hash collision only makes two unrelated names wait.
ONE_SPELLING_PER_NAME = f"""
PERFORM pg_advisory_xact_lock({CHECKLIST_NAME_LOCK_NAMESPACE}, hashtext(lower(NEW.name)));
IF EXISTS (
    SELECT 1 FROM {{meta.db_table}} t
    WHERE lower(t.name) = lower(NEW.name) AND t.name <> NEW.name AND t.id <> NEW.id
) THEN
    RAISE EXCEPTION 'checklist name "%" is already used in another spelling', NEW.name
        USING ERRCODE = 'unique_violation', TABLE = '{{meta.db_table}}',
              CONSTRAINT = 'mystery_template_one_spelling_per_name';
END IF;
RETURN NEW;
"""


class ChecklistTemplateQuerySet(models.QuerySet):
    def in_force(self) -> "ChecklistTemplateQuerySet":
        """The versions in force, one per checklist name (a hall checklist, a phone checklist…),
        ordered by name: what an inspector chooses from when starting a visit."""
        return self.filter(is_active=True).order_by("name")

    def visible_to(self, user) -> "ChecklistTemplateQuerySet":
        """The versions `user` may read. The market department (`mystery.manage_templates`) reads
        every version, drafts included. Everyone else — the hall's manager and clerks, branch
        managers, HR clients — reads the versions that have been in force (`first_in_force_at`):
        those in force and the retired ones, which the halls were judged by in their time. A draft
        is absent like a version that does not exist. Nothing here depends on visits, so an
        unpublished covert visit changes nothing anyone else can read."""
        if has_permission(user, "mystery.manage_templates"):
            return self.all()
        return self.filter(first_in_force_at__isnull=False)


class ChecklistTemplate(models.Model):
    """One version of a checklist (检查表). A version used by a visit is frozen: changes make a new
    version (checklist_services.create_template_version), so past visits keep the items they were
    judged by. Only a draft — neither active nor used — is edited (checklist_services.update_template).

    `version` numbers the versions of one name; `revision` counts the edits of this version: the
    editor posts the revision it showed and a stale one is refused (VersionConflict).

    A checklist *is* its name: names are compared without case, and one name has one spelling
    across its versions ("Phone checklist" v1 and "phone checklist" v2 cannot both exist). The
    database holds this with the unique (lower(name), version) index — a new name starts at
    version 1, so two creations of one name in two spellings collide there — and the
    `one_spelling_per_name` trigger for any other row (ONE_SPELLING_PER_NAME)."""

    name = models.CharField(_("name"), max_length=120)
    version = models.PositiveIntegerField(_("version"))
    is_active = models.BooleanField(_("active"), default=False)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    # When the version was first put in force (activate_template); a draft has none. Retired
    # versions keep theirs: they stay readable to the halls they judged.
    first_in_force_at = models.DateTimeField(_("first in force"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChecklistTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["name", "-version"]
        constraints = [
            # Also serves the trigger's look-up of a name in another spelling (lower(name) = …).
            models.UniqueConstraint(Lower("name"), "version", name="mystery_template_name_ci_version_unique"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(is_active=True), name="mystery_template_one_active_per_name"
            ),
            models.CheckConstraint(
                condition=~Q(name="") & Q(name=Trim("name")), name="mystery_template_name_trimmed"
            ),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(first_in_force_at__isnull=False),
                name="mystery_template_in_force_since",
            ),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="mystery_template_sync_idx")]
        triggers = [
            touch_updated_at(),
            pgtrigger.Trigger(
                name="one_spelling_per_name",
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("name"),
                when=pgtrigger.Before,
                func=pgtrigger.Func(ONE_SPELLING_PER_NAME),
            ),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class ChecklistCategory(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("checklist category")
        verbose_name_plural = _("checklist categories")
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="mystery_category_position_unique"),
            models.UniqueConstraint(fields=["template", "name"], name="mystery_category_name_unique"),
        ]

    def __str__(self):
        return self.name


class ChecklistItem(models.Model):
    """One line of a checklist: judged for the hall or for each clerk observed, with the points a
    failure deducts; a veto item (一票否决) failed zeroes the score it belongs to."""

    class Scope(models.TextChoices):
        HALL = "hall", _("Per hall")
        CLERK = "clerk", _("Per clerk")

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    category = models.ForeignKey(ChecklistCategory, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=20)
    text = models.CharField(_("item"), max_length=300)
    guidance = models.CharField(_("how to judge"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("position"))
    deduction = models.DecimalField(
        _("deduction points"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(HUNDRED)],
    )
    scope = models.CharField(_("judged"), max_length=10, choices=Scope.choices, default=Scope.CLERK)
    photo_required = models.BooleanField(_("photo required on failure"), default=False)
    is_veto = models.BooleanField(_("veto item (一票否决)"), default=False)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="mystery_item_code_unique"),
            models.UniqueConstraint(fields=["template", "position"], name="mystery_item_position_unique"),
            models.CheckConstraint(
                condition=Q(deduction__gte=0, deduction__lte=100), name="mystery_item_deduction_0_to_100"
            ),
            models.CheckConstraint(condition=Q(scope__in=["hall", "clerk"]), name="mystery_item_scope_valid"),
        ]

    def __str__(self):
        return f"{self.code} {self.text}"


# --- Visits ---------------------------------------------------------------------------------------


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user) -> "VisitQuerySet":
        """Published visits of the halls the user sees, plus — for the market department of the
        region only — visits not yet published. Everyone else cannot tell an unpublished visit
        from one that does not exist."""
        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        q = Q(first_published_at__isnull=False, hall__in=Hall.objects.visible_to(user))
        for path in scope.region_roles.get(Role.INSPECTOR, ()):
            q |= Q(hall__region__path__startswith=path)
        return self.filter(q)

    def published(self) -> "VisitQuerySet":
        return self.filter(status__in=[Visit.Status.PUBLISHED, Visit.Status.CLOSED])


class Visit(models.Model):
    """One inspection of one hall (明查 overt / 暗访 covert) by a market-department inspector.

    Status: draft → submitted → published → closed; a published visit may be reopened to draft
    (audited). `version` counts changes of the visit's own fields and status: forms post the
    version they showed and a stale one is refused (VersionConflict)."""

    class Mode(models.TextChoices):
        OVERT = "overt", _("Overt (明查)")
        COVERT = "covert", _("Covert (暗访)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("checklist"), on_delete=models.PROTECT, related_name="visits"
    )
    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="+"
    )
    visited_at = models.DateTimeField(_("visited at"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    wait_minutes = models.PositiveSmallIntegerField(
        _("observed wait (minutes)"), null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    summary = models.TextField(_("summary"), blank=True)
    hall_score = models.DecimalField(_("hall score"), max_digits=5, decimal_places=2, null=True, blank=True)
    vetoed = models.BooleanField(_("vetoed"), default=False)
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection visit")
        verbose_name_plural = _("inspection visits")
        ordering = ["-visited_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=["overt", "covert"]), name="mystery_visit_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "published", "closed"]),
                name="mystery_visit_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["published", "closed"])
                | Q(published_at__isnull=False, first_published_at__isnull=False, hall_score__isnull=False),
                name="mystery_visit_published_has_score",
            ),
            models.CheckConstraint(
                condition=Q(hall_score__isnull=True) | Q(hall_score__gte=0, hall_score__lte=100),
                name="mystery_visit_hall_score_0_to_100",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="mystery_visit_sync_idx"),
            models.Index(fields=["hall", "visited_at"], name="mystery_visit_hall_time_idx"),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.hall_id} {self.visited_at:%Y-%m-%d} ({self.mode})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status in (self.Status.PUBLISHED, self.Status.CLOSED)


class VisitClerk(models.Model):
    """A clerk observed during a visit, picked by employee (badge) number or by window."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="clerks")
    staff = models.ForeignKey(Staff, verbose_name=_("clerk"), on_delete=models.PROTECT, related_name="+")
    window_no = models.PositiveSmallIntegerField(_("window number"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("clerk observed")
        verbose_name_plural = _("clerks observed")
        ordering = ["visit", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "staff"], name="mystery_visit_clerk_unique")]

    def __str__(self):
        return f"{self.visit_id}: {self.staff_id}"


class Answer(models.Model):
    """The judgement of one item (for a clerk item: of one clerk). `version` is this answer's own
    edit counter: the entry form autosaves each item separately and posts the version it showed."""

    class Result(models.TextChoices):
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")
        NOT_APPLICABLE = "na", _("Not applicable")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="answers")
    clerk = models.ForeignKey(
        VisitClerk, null=True, blank=True, on_delete=models.CASCADE, related_name="answers"
    )
    result = models.CharField(_("result"), max_length=5, choices=Result.choices)
    deduction = models.DecimalField(_("deduction"), max_digits=5, decimal_places=2, default=Decimal("0"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["visit", "item__position", "clerk_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "item", "clerk"], nulls_distinct=False, name="mystery_answer_unique"
            ),
            models.CheckConstraint(
                condition=Q(result__in=["pass", "fail", "na"]), name="mystery_answer_result_valid"
            ),
            models.CheckConstraint(
                condition=Q(result="fail", deduction__gte=0, deduction__lte=100) | Q(deduction=0),
                name="mystery_answer_deduction_only_on_fail",
            ),
        ]

    def __str__(self):
        return f"{self.visit_id}/{self.item_id}/{self.clerk_id}: {self.result}"


class AnswerPhoto(models.Model):
    """A photo of an answer, re-encoded as JPEG without metadata (mystery_shop.photos)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        ordering = ["answer", "id"]

    def __str__(self):
        return self.file.name


class VisitScore(models.Model):
    """A published score of one person from one visit — a clerk observed (their own score) or a
    hall manager of the hall (the hall's score): the evidence of a `mystery_shop_score` fact.
    Kept across a reopen (one row per visit and person) so republishing updates the same fact."""

    class Kind(models.TextChoices):
        CLERK = "clerk", _("Clerk observed")
        HALL = "hall", _("Hall score")

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="scores")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    score = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("visit score")
        verbose_name_plural = _("visit scores")
        constraints = [
            models.UniqueConstraint(fields=["visit", "staff"], name="mystery_visit_score_unique"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="mystery_visit_score_0_to_100"
            ),
        ]

    def __str__(self):
        return f"{self.visit_id}/{self.staff_id}={self.score}"


# --- Rectification ----------------------------------------------------------------------------------


class RectificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(visit__in=Visit.objects.visible_to(user))


class Rectification(models.Model):
    """The rectification task (整改) opened for one failed answer on publication: the hall's owner
    brings evidence by the deadline; the inspector accepts it or sends it back."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("rectification status", "Open")
        SUBMITTED = "submitted", _("Evidence submitted")
        ACCEPTED = "accepted", _("Accepted")
        CANCELLED = "cancelled", _("Cancelled")

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="rectifications")
    answer = models.OneToOneField(Answer, on_delete=models.PROTECT, related_name="rectification")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateField(_("deadline"))
    required_evidence = models.CharField(_("evidence required"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    evidence_note = models.TextField(_("evidence"), blank=True)
    evidence_photo = models.FileField(upload_to=photo_path, max_length=200, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "submitted", "accepted", "cancelled"]),
                name="mystery_rectification_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
                name="mystery_rectification_accepted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="mystery_rectification_sync_idx"),
            # The reminder job: open tasks by deadline (tasks.remind_overdue_rectifications).
            models.Index(
                fields=["deadline"], condition=Q(status="open"), name="mystery_rectification_open_idx"
            ),
        ]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.visit_id}/{self.answer_id} ({self.status})"

    @property
    def on_time(self) -> bool | None:
        if self.status != self.Status.ACCEPTED or self.submitted_at is None:
            return None
        return timezone.localdate(self.submitted_at) <= self.deadline


__all__ = [
    "Answer",
    "AnswerPhoto",
    "ChecklistCategory",
    "ChecklistItem",
    "ChecklistTemplate",
    "Rectification",
    "Visit",
    "VisitClerk",
    "VisitScore",
]

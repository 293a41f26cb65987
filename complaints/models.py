import os
import uuid

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from halls.models import Hall, Region
from halls.triggers import touch_updated_at
from staffing.models import Staff


class Channel(models.TextChoices):
    HALL_COUNTER = "hall_counter", _("Hall counter")
    HOTLINE = "hotline", _("Hotline")
    ONLINE = "online", _("Online")
    REGULATOR = "regulator", _("Regulator (MIIT) complaint")
    SOCIAL_MEDIA = "social_media", _("Social media")


class Category(models.TextChoices):
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    HANDLING_ERROR = "handling_error", _("Business handling error")
    BILLING = "billing", _("Billing")
    NETWORK_QUALITY = "network_quality", _("Network quality")
    WAITING_TIME = "waiting_time", _("Waiting time")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SENSITIVE = "sensitive", _("Sensitive")
    MAJOR = "major", _("Major")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Replied to customer")
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")


OPEN_STATUSES = (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS)


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


def _choices_check(field: str, choices, name: str, *, nullable: bool = False) -> models.CheckConstraint:
    condition = Q(**{f"{field}__in": [value for value, _label in choices]})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


class SlaPolicy(models.Model):
    """How long a complaint may take, by severity and channel. A row without a channel applies to
    every channel that has no row of its own; complaints copy the figures when they are received."""

    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, null=True, blank=True)
    resolve_hours = models.PositiveSmallIntegerField(
        _("time limit (hours)"), validators=[MinValueValidator(1), MaxValueValidator(2000)]
    )
    count_business_hours = models.BooleanField(
        _("count only the hall's business hours"),
        default=False,
        help_text=_(
            "Skips closed hours, statutory holidays and branch days off; make-up working days count."
        ),
    )
    due_soon_minutes = models.PositiveIntegerField(_("due soon when this many minutes remain"), default=240)
    branch_escalation_minutes = models.PositiveIntegerField(
        _("escalate to the branch after this many minutes overdue"), default=0
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["severity", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["severity", "channel"],
                condition=Q(channel__isnull=False),
                name="sla_policy_one_per_severity_channel",
            ),
            models.UniqueConstraint(
                fields=["severity"],
                condition=Q(channel__isnull=True),
                name="sla_policy_one_default_per_severity",
            ),
            models.CheckConstraint(condition=Q(resolve_hours__gte=1), name="sla_policy_hours_positive"),
            _choices_check("severity", Severity.choices, "sla_policy_severity_valid"),
            _choices_check("channel", Channel.choices, "sla_policy_channel_valid", nullable=True),
        ]

    def __str__(self):
        channel = self.get_channel_display() if self.channel else _("any channel")
        return f"{self.get_severity_display()} / {channel}: {self.resolve_hours} h"


class BranchCalendarOverride(models.Model):
    """A branch's own answer for one date (a local day off or an extra working day), overriding
    China's statutory calendar when complaint deadlines count business hours."""

    branch = models.ForeignKey(
        Region, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="calendar_overrides"
    )
    date = models.DateField(_("date"))
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("branch calendar day")
        verbose_name_plural = _("branch calendar days")
        ordering = ["branch", "date"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "date"], name="branch_calendar_override_one_per_date")
        ]

    def __str__(self):
        return f"{self.branch.code} {self.date}: {self.is_working_day}"


class ComplaintNumberCounter(models.Model):
    """The last complaint number issued in a month (period "YYYYMM"). Incremented by one
    INSERT … ON CONFLICT DO UPDATE, whose row lock serialises concurrent intakes until commit."""

    period = models.CharField(max_length=6)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period"], name="complaint_number_counter_period_unique")
        ]

    def __str__(self):
        return f"{self.period}: {self.last_value}"


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ComplaintQuerySet":
        """Complaints of the halls the user may see (one scoping rule: Hall.objects.visible_to)."""
        return self.filter(hall__in=Hall.objects.visible_to(user))

    def open(self) -> "ComplaintQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now=None) -> "ComplaintQuerySet":
        """Open, not paused, past the deadline."""
        return self.open().filter(paused_at__isnull=True, due_at__lt=now or timezone.now())


class Complaint(models.Model):
    """A customer complaint (投诉). `first_receiver` owns it to the end (首问负责制) and never
    changes (a database trigger refuses it); `current_handler` moves on hand-over."""

    number = models.CharField(_("number"), max_length=20)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"))
    customer_name = models.CharField(_("customer name"), max_length=60)
    customer_phone = models.CharField(_("customer phone"), max_length=20)
    # Keyed hash of the normalised phone: finds repeat complainants without reading phones.
    phone_hash = models.CharField(max_length=64, editable=False)
    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="complaints"
    )
    clerks = models.ManyToManyField(
        Staff, verbose_name=_("clerks involved"), blank=True, related_name="complaints"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    first_receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first receiver"),
        on_delete=models.PROTECT,
        related_name="complaints_first_received",
    )
    current_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("current handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_handling",
    )
    # The SLA terms copied from the policy at intake: later policy edits do not move deadlines.
    sla_hours = models.PositiveSmallIntegerField(_("time limit (hours)"))
    sla_business_hours = models.BooleanField(_("counted in business hours"), default=False)
    due_soon_minutes = models.PositiveIntegerField(default=240)
    branch_escalation_minutes = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(_("due at"))
    sla_state = models.CharField(
        _("deadline state"), max_length=10, choices=SlaState.choices, default=SlaState.ON_TRACK
    )
    paused_at = models.DateTimeField(_("waiting on the customer since"), null=True, blank=True)
    reply = models.TextField(_("reply to the customer"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    met_deadline = models.BooleanField(_("replied in time"), null=True, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    satisfaction = models.CharField(
        _("customer satisfaction"), max_length=20, choices=Satisfaction.choices, null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Optimistic concurrency: a write names the version it read; a stale one is a conflict (409).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="complaint_number_unique"),
            _choices_check("channel", Channel.choices, "complaint_channel_valid"),
            _choices_check("category", Category.choices, "complaint_category_valid"),
            _choices_check("severity", Severity.choices, "complaint_severity_valid"),
            _choices_check("status", Status.choices, "complaint_status_valid"),
            _choices_check("sla_state", SlaState.choices, "complaint_sla_state_valid"),
            _choices_check(
                "satisfaction", Satisfaction.choices, "complaint_satisfaction_valid", nullable=True
            ),
            models.CheckConstraint(
                condition=Q(status="received") | Q(current_handler__isnull=False),
                name="complaint_assigned_has_handler",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["replied", "closed"]) | (~Q(reply="") & Q(replied_at__isnull=False)),
                name="complaint_replied_has_reply",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed")
                | (~Q(root_cause="") & Q(satisfaction__isnull=False) & Q(closed_at__isnull=False)),
                name="complaint_closed_has_root_cause_and_satisfaction",
            ),
            models.CheckConstraint(
                condition=Q(paused_at__isnull=True) | Q(status="in_progress"),
                name="complaint_paused_only_in_progress",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="complaint_version_positive"),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="complaint_sync_cursor_idx"),
            models.Index(fields=["hall", "received_at"], name="complaint_hall_received_idx"),
            # The deadline job: open complaints whose due_at is near (complaints.services.process_deadlines).
            models.Index(
                fields=["hall", "due_at"],
                condition=Q(status__in=["received", "assigned", "in_progress"]),
                name="complaint_open_due_idx",
            ),
            # The queue board's "mine" filter.
            models.Index(
                fields=["current_handler", "due_at"],
                condition=Q(status__in=["received", "assigned", "in_progress"]),
                name="complaint_open_handler_idx",
            ),
        ]
        triggers = [
            touch_updated_at(),
            pgtrigger.ReadOnly(
                name="complaint_first_receiver_read_only", fields=["first_receiver", "number", "received_at"]
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class EventKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned")
    HANDED_OVER = "handed_over", _("Handed over")
    STARTED = "started", _("Handling started")
    PAUSED = "paused", _("Waiting on the customer")
    RESUMED = "resumed", _("Resumed")
    REPLIED = "replied", _("Replied to customer")
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")
    REOPENED = "reopened", _("Reopened")
    NOTE = "note", _("Note")
    ATTACHMENT = "attachment", _("Attachment added")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    ESCALATED = "escalated", _("Escalated")
    ACCOUNTABILITY = "accountability", _("Accountability decided")


class ComplaintEvent(models.Model):
    """One line of a complaint's timeline: every action and message, never edited."""

    Kind = EventKind

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="complaint_event_timeline_idx")]
        constraints = [_choices_check("kind", EventKind.choices, "complaint_event_kind_valid")]

    def __str__(self):
        return f"{self.complaint_id} {self.kind}"


def attachment_path(instance, filename: str) -> str:
    """Server-made names: complaints/<year>/<month>/<uuid><ext>; the client's name is kept apart."""
    ext = os.path.splitext(filename)[1].lower()[:10]
    now = timezone.localtime()
    return f"complaints/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{ext}"


class ComplaintAttachment(models.Model):
    """A file attached to a complaint (photo, recording, letter), stored under a server-made name."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("original name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="complaint_attachment_not_empty")]

    def __str__(self):
        return self.original_name


class EscalationKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    SENSITIVE = "sensitive", _("Sensitive or major complaint")


class Escalation(models.Model):
    """A reminder or escalation that has been sent. Its natural key makes the deadline job
    idempotent: a row is inserted once per complaint, kind, level and reopen cycle."""

    Kind = EscalationKind

    class Level(models.IntegerChoices):
        HANDLER = 0, _("Handler")
        HALL_MANAGER = 1, _("Hall manager")
        BRANCH_MANAGER = 2, _("Branch manager")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="escalations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    cycle = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "kind", "level", "cycle"], name="escalation_once_per_kind_level_cycle"
            ),
            _choices_check("kind", EscalationKind.choices, "escalation_kind_valid"),
            models.CheckConstraint(condition=Q(level__lte=2), name="escalation_level_valid"),
        ]

    def __str__(self):
        return f"{self.complaint_id} {self.kind} L{self.level}"


class Finding(models.TextChoices):
    AT_FAULT = "at_fault", _("At fault")
    NOT_AT_FAULT = "not_at_fault", _("Not at fault")
    SHARED = "shared", _("Shared responsibility")


class AccountabilityQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(complaint__hall__in=Hall.objects.visible_to(user))


class Accountability(models.Model):
    """The accountability finding (责任认定) of a complaint: at fault, not at fault or shared, with
    the responsible clerks and a deduction each. Final once recorded; its shares become score
    facts (complaints.scoring.score_facts_for_accountability)."""

    Finding = Finding

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="accountability")
    finding = models.CharField(_("finding"), max_length=15, choices=Finding.choices)
    reason = models.TextField(_("reason"))
    # The assessment month the deductions count in (first day of the month).
    month = models.DateField(_("assessment month"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    objects = AccountabilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("accountability finding")
        verbose_name_plural = _("accountability findings")
        constraints = [
            _choices_check("finding", Finding.choices, "accountability_finding_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="accountability_has_reason"),
        ]

    def __str__(self):
        return f"{self.complaint.number}: {self.get_finding_display()}"


class AccountabilityShare(models.Model):
    """One responsible clerk of a finding and the points deducted from them."""

    accountability = models.ForeignKey(Accountability, on_delete=models.PROTECT, related_name="shares")
    staff = models.ForeignKey(Staff, verbose_name=_("clerk"), on_delete=models.PROTECT, related_name="+")
    deduction = models.DecimalField(
        _("deduction (points)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0.01), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("responsible clerk")
        verbose_name_plural = _("responsible clerks")
        ordering = ["accountability", "staff"]
        constraints = [
            models.UniqueConstraint(
                fields=["accountability", "staff"], name="accountability_share_one_per_staff"
            ),
            models.CheckConstraint(
                condition=Q(deduction__gt=0, deduction__lte=100), name="accountability_share_deduction_range"
            ),
        ]

    def __str__(self):
        return f"{self.staff} −{self.deduction}"

import hashlib
import secrets

import pghistory
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halls.triggers import touch_updated_at


class Role(models.TextChoices):
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    INSPECTOR = "inspector", _("Market inspector")
    HALL_MANAGER = "hall_manager", _("Hall manager")
    CLERK = "clerk", _("Clerk")
    HR_CLIENT = "hr_client", _("HR API client")


REGION_ROLES = {Role.BRANCH_MANAGER, Role.INSPECTOR}
HALL_ROLES = {Role.HALL_MANAGER}


class RegionQuerySet(models.QuerySet):
    def subtree_of(self, region: "Region") -> "RegionQuerySet":
        return self.filter(path__startswith=region.path)

    def visible_to(self, user) -> "RegionQuerySet":
        from halls.scoping import scope_for

        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        if not scope.region_paths and not scope.hall_ids:
            return self.none()
        q = Q(pk__in=[])
        for path in scope.region_paths:
            q |= Q(path__startswith=path)
        if scope.hall_ids:
            q |= Q(halls__in=scope.hall_ids)
        return self.filter(q).distinct()


@pghistory.track()
class Region(models.Model):
    """A branch (分公司) or county office (县公司); a tree stored with a materialized path."""

    class Kind(models.TextChoices):
        BRANCH = "branch", _("Branch")
        COUNTY = "county", _("County office")

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "/BR01/CT02/": subtree queries are one indexed prefix match (set by halls.services.create_region).
    path = models.CharField(_("path"), max_length=255, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="region_code_unique"),
            models.UniqueConstraint(fields=["path"], name="region_path_unique"),
            models.CheckConstraint(
                condition=Q(kind="branch", parent__isnull=True) | Q(kind="county", parent__isnull=False),
                name="region_branch_is_root_county_has_parent",
            ),
            models.CheckConstraint(condition=Q(path__endswith="/"), name="region_path_ends_with_slash"),
        ]
        indexes = [models.Index(fields=["path"], name="region_path_idx", opclasses=["varchar_pattern_ops"])]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def branch(self) -> "Region":
        return self if self.parent_id is None else self.parent


class HallQuerySet(models.QuerySet):
    def visible_to(self, user) -> "HallQuerySet":
        """The halls a user may see: the one scoping rule every hall-owned model delegates to."""
        from halls.scoping import scope_for

        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        q = Q(pk__in=scope.hall_ids) if scope.hall_ids else Q(pk__in=[])
        for path in scope.region_paths:
            q |= Q(region__path__startswith=path)
        return self.filter(q)

    def active(self) -> "HallQuerySet":
        return self.filter(is_active=True)


# Minimum staff on duty (off-peak, peak) by hall class, from the source documents.
CLASS_MINIMUM_STAFF = {"A": (3, 4), "B": (2, 3)}


@pghistory.track()
class Hall(models.Model):
    """A service hall (营业厅)."""

    class HallClass(models.TextChoices):
        A = "A", _("Class A (flagship)")
        B = "B", _("Class B")

    class Operation(models.TextChoices):
        SELF = "self", _("Self-operated")
        PARTNER = "partner", _("Partner-operated")

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    hall_class = models.CharField(_("class"), max_length=1, choices=HallClass.choices)
    operation = models.CharField(_("operation"), max_length=10, choices=Operation.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="halls"
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    window_count = models.PositiveSmallIntegerField(
        _("service windows"), default=4, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    has_vip_zone = models.BooleanField(_("VIP service zone"), default=False)
    min_staff_offpeak = models.PositiveSmallIntegerField(
        _("minimum staff on duty (off-peak)"), validators=[MinValueValidator(1)]
    )
    min_staff_peak = models.PositiveSmallIntegerField(
        _("minimum staff on duty (peak)"), validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HallQuerySet.as_manager()

    class Meta:
        verbose_name = _("service hall")
        verbose_name_plural = _("service halls")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="hall_code_unique"),
            models.CheckConstraint(condition=Q(hall_class__in=["A", "B"]), name="hall_class_valid"),
            models.CheckConstraint(
                condition=Q(operation__in=["self", "partner"]), name="hall_operation_valid"
            ),
            models.CheckConstraint(condition=Q(window_count__gte=1), name="hall_window_count_positive"),
            models.CheckConstraint(
                condition=Q(min_staff_offpeak__gte=1), name="hall_min_staff_offpeak_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_staff_peak__gte=models.F("min_staff_offpeak")),
                name="hall_min_staff_peak_at_least_offpeak",
            ),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="hall_sync_cursor_idx")]
        triggers = [touch_updated_at()]

    def __str__(self):
        return f"{self.name} ({self.code})"


class OpeningHours(models.Model):
    """Opening hours of a hall on one weekday (0 = Monday). A weekday without a row is closed."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["hall", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "weekday"], name="opening_hours_one_per_weekday"),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="opening_hours_open_before_close"
            ),
        ]

    def __str__(self):
        return f"{self.hall.code} {self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        from halls.scoping import scope_for

        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        return self.filter(user=user)


class Membership(models.Model):
    """A role a user holds over a region subtree (branch manager, inspector) or a hall (hall manager).

    Clerks are not memberships: a clerk is the user linked to a Staff record.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    hall = models.ForeignKey(
        Hall, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=["branch_manager", "inspector"], region__isnull=False, hall__isnull=True)
                    | Q(role="hall_manager", hall__isnull=False, region__isnull=True)
                ),
                name="membership_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=Q(region__isnull=False),
                name="membership_region_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "hall"],
                condition=Q(hall__isnull=False),
                name="membership_hall_unique",
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} – {self.region or self.hall}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiResource(models.TextChoices):
    """The resource families an API client's scopes name (`staff:read`, `staff:write`, …)."""

    HALLS = "halls", _("Halls")
    STAFF = "staff", _("Staff")
    ROSTERS = "rosters", _("Rosters")
    ASSESSMENT = "assessment", _("Assessment results")
    ELIMINATION = "elimination", _("Elimination lists")
    COMPLAINTS = "complaints", _("Complaints")
    TRAINING = "training", _("Training")
    QUALIFICATIONS = "qualifications", _("Qualifications")
    INSPECTIONS = "inspections", _("Mystery-shop inspections")


READ, WRITE = "read", "write"
ALL_READ_SCOPES = tuple(f"{resource}:{READ}" for resource in ApiResource.values)
ALL_SCOPES = tuple(f"{resource}:{mode}" for resource in ApiResource.values for mode in (READ, WRITE))


class ApiClient(models.Model):
    """An external system (an HR system) calling the REST API with a token.

    The token is shown once at creation or rotation; only its SHA-256 is stored. A client sees
    the halls of its regions, and of those only the resource families its `scopes` name
    (`staff:read`; `staff:write` includes reading). After a rotation the previous token keeps
    working until `previous_token_expires_at` (a short grace period), then answers 401.
    """

    name = models.CharField(_("name"), max_length=100)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    token_prefix = models.CharField(max_length=8, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    previous_token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    previous_token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), related_name="api_clients")
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("requests per minute"), default=120, validators=[MinValueValidator(1), MaxValueValidator(100000)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="api_client_token_hash_unique"),
            models.UniqueConstraint(fields=["name"], name="api_client_name_unique"),
            models.CheckConstraint(
                condition=Q(rate_limit_per_minute__gte=1), name="api_client_rate_positive"
            ),
        ]
        # The authentication's lookup of a rotated token during its grace period.
        indexes = [
            models.Index(
                fields=["previous_token_hash"],
                condition=~Q(previous_token_hash=""),
                name="api_client_prev_token_idx",
            )
        ]

    def __str__(self):
        return self.name

    @staticmethod
    def new_token() -> str:
        return "hop_" + secrets.token_urlsafe(32)

    @property
    def can_write(self) -> bool:
        return any(scope.endswith(f":{WRITE}") for scope in self.scopes)

    def allows(self, resource: str, *, write: bool) -> bool:
        """May this client read (or write) the resource family?"""
        if f"{resource}:{WRITE}" in self.scopes:
            return True
        return not write and f"{resource}:{READ}" in self.scopes


class ApiRequestLog(models.Model):
    """One row per API request (one INSERT, written by halls.middleware.ApiRequestLogMiddleware).
    Never holds secrets: no headers, no tokens, no bodies, no query strings. Purged daily."""

    client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.CASCADE, related_name="request_logs"
    )
    route = models.CharField(_("endpoint"), max_length=100)
    method = models.CharField(_("method"), max_length=10)
    status = models.PositiveSmallIntegerField(_("status"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    request_id = models.CharField(_("request id"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("API request")
        verbose_name_plural = _("API requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The client's settings page: its last 50 requests.
            models.Index(fields=["client", "-created_at"], name="api_request_log_client_idx"),
            # The daily retention purge.
            models.Index(fields=["created_at"], name="api_request_log_created_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.method} {self.route} {self.status}"


class ClockTimestamp(models.Func):
    function = "clock_timestamp"
    template = "%(function)s()"
    output_field = models.DateTimeField()


class TombstoneQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(hall__in=Hall.objects.visible_to(user))


class Tombstone(models.Model):
    """A row that left a sync resource: deleted, closed, revoked or moved. Written by the
    service that removes it, in the same transaction (`halls.tombstones.record_tombstones`), and
    served as `/api/v1/<resource>/deleted/` with the same (updated_at, id) cursor as live rows.
    `updated_at` is the time of removal (the cursor's column)."""

    class Resource(models.TextChoices):
        STAFF = "staff", _("Staff")
        ASSIGNMENT = "assignment", _("Roster assignment")
        ELIMINATION_ENTRY = "elimination_entry", _("Elimination entry")
        QUALIFICATION = "qualification", _("Qualification")
        EXAM_RESULT = "exam_result", _("Exam result")

    class Reason(models.TextChoices):
        DELETED = "deleted", _("Deleted")
        LEFT = "left", _("Staff member left")
        REMOVED_ON_APPEAL = "removed_on_appeal", _("Removed on appeal")
        REVOKED = "revoked", _("Revoked")
        MOVED = "moved", _("Moved to another hall")

    resource = models.CharField(_("resource"), max_length=30, choices=Resource.choices)
    object_id = models.BigIntegerField(_("object id"))
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    # The database's clock, like the touch_updated_at trigger of live rows, so a tombstone and a
    # live row of the same object compare on one clock (the later one is the truth).
    updated_at = models.DateTimeField(_("removed at"), db_default=ClockTimestamp())

    objects = TombstoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        # /api/v1/<resource>/deleted/?updated_since=…: one resource, in cursor order.
        indexes = [models.Index(fields=["resource", "updated_at", "id"], name="tombstone_sync_idx")]

    def __str__(self):
        return f"{self.resource} {self.object_id} {self.reason}"


class WebhookEvent(models.TextChoices):
    MONTH_PUBLISHED = "assessment.month_published", _("Month published")
    ELIMINATION_CONFIRMED = "elimination.list_confirmed", _("Elimination list confirmed")
    STAFF_CHANGED = "staff.changed", _("Staff changed")
    QUALIFICATION_EXPIRED = "qualification.expired", _("Qualification expired")


class WebhookSubscription(models.Model):
    """An API client's subscription: the events it wants POSTed to `url`, signed with `secret`
    (HMAC-SHA256 over `timestamp.body`). The secret is shown once, when the subscription is made."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=64, editable=False)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["client", "url"], name="webhook_subscription_url_unique")
        ]

    def __str__(self):
        return f"{self.client} → {self.url}"


class WebhookDelivery(models.Model):
    """One event for one subscription: the outbox row, written in the event's transaction and
    sent afterwards by halls.webhooks.deliver_due (retries with exponential backoff)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(_("event id"))
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", next_attempt_at__isnull=False) | ~Q(status="pending"),
                name="webhook_delivery_pending_has_next_attempt",
            ),
        ]
        indexes = [
            # deliver_due: pending rows whose next attempt is due, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub_idx"),
        ]

    def __str__(self):
        return f"{self.event} {self.event_id} ({self.status})"


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        from halls.scoping import scope_for

        scope = scope_for(user)
        if scope.sees_everything:
            return self.all()
        halls = Hall.objects.visible_to(user)
        return self.filter(Q(hall__in=halls) | Q(hall__isnull=True, actor=user))

    def for_object(self, obj):
        return self.filter(subject_type=ContentType.objects.get_for_model(obj), subject_id=str(obj.pk))


class AuditEvent(models.Model):
    """A business action (publish, confirm, decide, transfer …), written by the service that does it,
    in the same transaction. Field-level history of halls and staff comes from pghistory triggers."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    action = models.CharField(_("action"), max_length=100)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    subject_id = models.CharField(max_length=64)
    hall = models.ForeignKey(
        Hall, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-created_at"], name="audit_subject_idx"),
            models.Index(fields=["hall", "-created_at"], name="audit_hall_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` for one POST: the first request claims it (in flight), its
    response is stored when it finishes (done) and replayed for every retry with the same key.
    Written only by halls.idempotency.run_idempotently."""

    class Status(models.TextChoices):
        IN_FLIGHT = "in_flight", _("In flight")
        DONE = "done", _("Done")

    key = models.CharField(_("key"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    # SHA-256 of method, path and canonical JSON body: the same key with another payload is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    locked_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
            models.CheckConstraint(
                condition=Q(status="in_flight") | Q(status="done", response_status__isnull=False),
                name="idempotency_key_done_has_response",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created_idx")]

    def __str__(self):
        return f"{self.user_id}:{self.key} ({self.status})"


class UserSession(AbstractBaseSession):
    """A database session that records whose it is (`halls.sessions.SessionStore` fills `user`
    from the session's login data on every save), so that all of a user's sessions end with one
    DELETE (`halls.services.deactivate_user`) instead of decoding every session row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self):
        # Not the session key: that is the cookie's value and must not appear in pages or logs.
        return f"{self.user_id or '-'} {self.expire_date:%Y-%m-%d %H:%M}"

    @classmethod
    def get_session_store_class(cls):
        from halls.sessions import SessionStore

        return SessionStore


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "NotificationQuerySet":
        """A user's own notifications only, whatever their roles (an administrator included)."""
        return self.filter(recipient=user) if user.is_authenticated else self.none()

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message to one user, e-mailed once when they have an address. Written only by
    halls.notifications.notify; `kind` names the sender's event ("complaints.overdue",
    "training.qualification_expiry", ...), `dedup_key` makes each message to a recipient unique,
    so a job that runs twice never notifies twice."""

    kind = models.CharField(_("kind"), max_length=60)
    hall = models.ForeignKey(
        Hall, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    dedup_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedup_key"], name="halls_notification_once_per_recipient_key"
            ),
            models.CheckConstraint(condition=~Q(dedup_key=""), name="halls_notification_dedup_key_set"),
            models.CheckConstraint(condition=~Q(kind=""), name="halls_notification_kind_set"),
        ]
        indexes = [
            # The navbar badge and the unread filter: a user's unread notifications, newest first.
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="halls_notification_unread_idx",
            ),
            # send_pending_emails() without ids: recent notifications not yet e-mailed.
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True),
                name="halls_notification_unsent_idx",
            ),
        ]

    def __str__(self):
        return self.subject


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Statutory holiday")
    MAKEUP_WORKDAY = "makeup_workday", _("Make-up working day")


class StatutoryCalendarDay(models.Model):
    """One day of China's national calendar as the State Council announced it: a statutory holiday
    (a day off, including the bridging days of a holiday block) or a make-up working day (调休,
    a weekend day worked). Entered or loaded for years the `chinese_calendar` package does not
    cover yet; a date here beats the package. A year with at least one row counts as covered."""

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=CalendarDayKind.choices)
    name = models.CharField(_("holiday name"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("statutory calendar day")
        verbose_name_plural = _("statutory calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["date"], name="statutory_calendar_day_one_per_date"),
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "makeup_workday"]), name="statutory_calendar_day_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class BranchCalendarDay(models.Model):
    """A branch's own answer for one date (a local day off or an extra working day), beating the
    national calendar for every hall of the branch, in rosters and complaint deadlines alike."""

    branch = models.ForeignKey(
        Region, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="calendar_days"
    )
    date = models.DateField(_("date"))
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("branch calendar day")
        verbose_name_plural = _("branch calendar days")
        ordering = ["branch", "date"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "date"], name="branch_calendar_day_one_per_date")
        ]

    def __str__(self):
        return f"{self.branch.code} {self.date}: {self.is_working_day}"

"""Webhooks through an outbox. The apps' services call `emit_event(...)` inside their own
transaction: it writes one WebhookDelivery per interested subscription, so a delivery exists
exactly when the event does. Sending happens afterwards, never inside the event's transaction:
on commit (a task) and every minute (beat), through `deliver_due`.

Delivery is at least once; receivers deduplicate on `X-HallOps-Event-Id`. Each request is signed:
`X-HallOps-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>` with the Unix time
in `X-HallOps-Timestamp` (`verify_signature` is the receiver's check). A failed attempt is retried
after 1, 2, 4, … 256 minutes (about 8.5 hours in all) and then marked failed; an administrator
can deliver it again.
"""

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from datetime import timedelta

import requests
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from halls.audit import record_audit
from halls.exceptions import DomainError
from halls.models import ApiResource, WebhookDelivery, WebhookEvent, WebhookSubscription
from halls.permissions import require_permission

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-HallOps-Signature"
TIMESTAMP_HEADER = "X-HallOps-Timestamp"
EVENT_ID_HEADER = "X-HallOps-Event-Id"
EVENT_HEADER = "X-HallOps-Event"
MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 60
CONNECT_TIMEOUT, READ_TIMEOUT = 5, 10
BATCH_SIZE = 50

# A client hears an event only if its scopes let it read what the event is about.
EVENT_RESOURCES = {
    WebhookEvent.MONTH_PUBLISHED: ApiResource.ASSESSMENT,
    WebhookEvent.ELIMINATION_CONFIRMED: ApiResource.ELIMINATION,
    WebhookEvent.STAFF_CHANGED: ApiResource.STAFF,
    WebhookEvent.QUALIFICATION_EXPIRED: ApiResource.QUALIFICATIONS,
}


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, … minutes."""
    return timedelta(seconds=FIRST_RETRY_SECONDS * 2 ** (attempts - 1))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    *,
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """The receiver's check: the signature matches and the timestamp is within `tolerance` seconds."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


def stable_event_id(event: str, key: str) -> uuid.UUID:
    """The same id for the same event about the same thing (for events a job may emit twice)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"hallops:{event}:{key}")


def new_secret() -> str:
    return secrets.token_hex(32)


def emit_event(*, event: str, data: dict, hall=None, region=None, event_id: uuid.UUID | None = None) -> int:
    """Queue `event` for every active subscription to it whose client is active, may read the
    event's resource and covers `hall` (or overlaps `region`, for branch-wide events). Call inside
    the service's transaction; sending starts after commit. A caller that may emit the same event
    again passes a stable `event_id` (uuid5 of its natural key): a repeat then adds nothing.
    Returns how many deliveries were queued."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit_event belongs inside the event's transaction (the outbox).")
    path = hall.region.path if hall is not None else region.path
    subscriptions = (
        WebhookSubscription.objects.filter(
            is_active=True, client__is_active=True, client__user__is_active=True, events__contains=[event]
        )
        .select_related("client")
        .prefetch_related("client__regions")
    )
    stable = event_id is not None
    event_id = event_id or uuid.uuid4()
    payload = {
        "id": str(event_id),
        "event": event,
        "occurred_at": timezone.now().isoformat(),
        "hall": hall.pk if hall is not None else None,
        "region": (hall.region if hall is not None else region).code,
        "data": data,
    }
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    rows = []
    for subscription in subscriptions:
        client = subscription.client
        if not client.allows(EVENT_RESOURCES[event], write=False):
            continue
        paths = [r.path for r in client.regions.all()]
        if hall is not None:
            covered = any(path.startswith(p) for p in paths)
        else:
            covered = any(path.startswith(p) or p.startswith(path) for p in paths)
        if covered:
            rows.append(
                WebhookDelivery(subscription=subscription, event_id=event_id, event=event, payload=payload)
            )
    if rows and stable:
        sent = set(
            WebhookDelivery.objects.filter(
                event_id=event_id, subscription__in=[r.subscription for r in rows]
            ).values_list("subscription_id", flat=True)
        )
        rows = [row for row in rows if row.subscription_id not in sent]
    # ignore_conflicts: a concurrent emitter of the same stable event id wrote the row already.
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=stable)
    if rows:
        from halls.tasks import deliver_webhooks

        transaction.on_commit(deliver_webhooks.delay)
    return len(rows)


def _claim(limit: int) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries for this worker. The row locks (SKIP LOCKED) keep two
    workers from claiming the same row; the claim counts the attempt and sets the next one, so a
    worker that dies mid-send leaves the row to be retried on schedule, not lost."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        for delivery in due:
            delivery.attempts += 1
            delivery.last_attempt_at = now
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        WebhookDelivery.objects.bulk_update(due, ["attempts", "last_attempt_at", "next_attempt_at"])
    return due


def _send(delivery: WebhookDelivery) -> tuple[bool, int | None, str]:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "HallOps-Webhooks/1",
        SIGNATURE_HEADER: sign(delivery.subscription.secret, stamp, body),
        TIMESTAMP_HEADER: str(stamp),
        EVENT_ID_HEADER: str(delivery.event_id),
        EVENT_HEADER: delivery.event,
    }
    try:
        response = requests.post(
            delivery.subscription.url,
            data=body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return False, None, f"{type(exc).__name__}"[:500]
    ok = 200 <= response.status_code < 300
    return ok, response.status_code, "" if ok else f"HTTP {response.status_code}"


def _record(delivery: WebhookDelivery, ok: bool, status: int | None, error: str) -> None:
    changes = {"response_status": status, "last_error": error}
    if ok:
        changes.update(
            status=WebhookDelivery.Status.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None
        )
    elif delivery.attempts >= MAX_ATTEMPTS:
        changes.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    # Only the claim we made: a redelivery in the meantime reset `attempts` and owns the row now.
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(**changes)


def deliver_due(*, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send every due delivery, batch after batch, outside any event's transaction. Safe to run
    in several workers at once and to run again (a delivered row is never sent again by it)."""
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    while True:
        batch = _claim(limit)
        for delivery in batch:
            ok, status, error = _send(delivery)
            _record(delivery, ok, status, error)
            if ok:
                counts["delivered"] += 1
            elif delivery.attempts >= MAX_ATTEMPTS:
                counts["failed"] += 1
            else:
                counts["retrying"] += 1
                logger.info("webhook %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
        if len(batch) < limit:
            return counts


@transaction.atomic
def subscribe(*, actor, client, url: str, events) -> tuple[WebhookSubscription, str]:
    """Subscribe an API client's `url` to `events`; returns the subscription and its signing
    secret (shown once). Refuses unknown events and a URL the client already uses. Audited."""
    require_permission(actor, "api_client.manage")
    events = sorted(set(events))
    if not events or set(events) - set(WebhookEvent.values):
        raise DomainError(_("Choose one or more known events."), field="events")
    if not url.startswith(("https://", "http://")):
        raise DomainError(_("The URL must start with https:// or http://."), field="url")
    if WebhookSubscription.objects.filter(client=client, url=url).exists():
        raise DomainError(_("This client already has a subscription for this URL."), field="url")
    secret = new_secret()
    subscription = WebhookSubscription.objects.create(client=client, url=url, secret=secret, events=events)
    record_audit(
        actor=actor, action="halls.webhook.subscribed", subject=client, data={"url": url, "events": events}
    )
    return subscription, secret


@transaction.atomic
def unsubscribe(*, actor, subscription: WebhookSubscription) -> None:
    """Stop a subscription: no new deliveries; pending ones are not sent any more. Audited."""
    require_permission(actor, "api_client.manage")
    changed = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(is_active=False)
    WebhookDelivery.objects.filter(subscription=subscription, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None, last_error="unsubscribed"
    )
    if changed:
        record_audit(
            actor=actor,
            action="halls.webhook.unsubscribed",
            subject=subscription.client,
            data={"url": subscription.url},
        )


@transaction.atomic
def redeliver(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a delivery again (failed, delivered or pending), with a fresh attempt count, sent
    after commit with the same event id. Refuses a stopped subscription. Audited."""
    require_permission(actor, "api_client.manage")
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("subscription__client").get(pk=delivery.pk)
    )
    if not delivery.subscription.is_active:
        raise DomainError(_("This subscription has been stopped."))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        delivered_at=None,
        last_error="",
    )
    record_audit(
        actor=actor,
        action="halls.webhook.redelivered",
        subject=delivery.subscription.client,
        data={"delivery": delivery.pk, "event_id": str(delivery.event_id)},
    )
    from halls.tasks import deliver_webhooks

    transaction.on_commit(deliver_webhooks.delay)
    delivery.refresh_from_db()
    return delivery

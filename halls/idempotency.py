"""Idempotent POSTs for other systems (a hotline system retrying a create).

A request carries `Idempotency-Key: <client-chosen string>`. The first request claims the
key in its own committed transaction, so a concurrent retry sees it *in flight* (409). The
handler then runs in one transaction that also stores its response on the key, so the
object and the stored response exist together or not at all. A retry of a finished request
gets the stored response again (same status and body) without running the handler; the
same key with a different payload is a client bug (422). A handler that raises releases
the key, so the client may fix the request and retry with the same key. A claim older than
IN_FLIGHT_TIMEOUT (a crashed worker) may be taken over.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from halls.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
IN_FLIGHT_TIMEOUT = timedelta(minutes=5)


class IdempotencyKeyInFlight(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still being processed; retry later.")
    default_code = "idempotency_key_in_flight"


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was already used with a different request.")
    default_code = "idempotency_key_reused"


def request_fingerprint(request) -> str:
    """SHA-256 of the method, the path and the body as canonical JSON (key order ignored)."""
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        body = request.body.decode("utf-8", "replace")
    raw = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def idempotency_key_from(request, *, required: bool) -> str | None:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        if required:
            raise ValidationError({HEADER: [_("This header is required.")]})
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: [_("At most 255 characters.")]})
    return key


def run_idempotently(request, handler: Callable[[], Response], *, required: bool = True) -> Response:
    """Run `handler()` (which returns a DRF Response) at most once per (user, Idempotency-Key).

    Replays the stored response for a finished key, answers 409 for a key in flight and 422
    for a key reused with another payload. Without a key, runs the handler plainly unless
    `required`, in which case the request is refused with a 400."""
    key = idempotency_key_from(request, required=required)
    if key is None:
        return handler()
    fingerprint = request_fingerprint(request)
    record, replay = _claim(user=request.user, key=key, fingerprint=fingerprint)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            response = handler()
            body = response.data
            IdempotencyKey.objects.filter(pk=record.pk).update(
                status=IdempotencyKey.Status.DONE,
                response_status=response.status_code,
                response_body=json.loads(json.dumps(body, default=str)) if body is not None else None,
                completed_at=timezone.now(),
            )
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk, status=IdempotencyKey.Status.IN_FLIGHT).delete()
        raise
    response["Idempotency-Key"] = key
    return response


def _claim(*, user, key: str, fingerprint: str) -> tuple[IdempotencyKey | None, Response | None]:
    """Claim the key (committed at once, so concurrent retries see it) or return the replay."""
    now = timezone.now()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, locked_at=now)
        return record, None
    except IntegrityError:
        pass
    record = IdempotencyKey.objects.get(user=user, key=key)
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.status == IdempotencyKey.Status.DONE:
        replay = Response(record.response_body, status=record.response_status)
        replay["Idempotency-Key"] = key
        replay["Idempotent-Replayed"] = "true"
        return None, replay
    # Compare-and-set: only one retry takes over an abandoned claim.
    taken = IdempotencyKey.objects.filter(
        pk=record.pk, status=IdempotencyKey.Status.IN_FLIGHT, locked_at__lt=now - IN_FLIGHT_TIMEOUT
    ).update(locked_at=now)
    if taken:
        return record, None
    raise IdempotencyKeyInFlight()


KEEP_KEYS_FOR = timedelta(days=7)


def purge_idempotency_keys(*, now=None, older_than: timedelta = KEEP_KEYS_FOR) -> int:
    """Delete finished keys older than `older_than` (a client retries within minutes, not weeks)
    and claims abandoned for as long. Returns how many rows went. Idempotent."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted

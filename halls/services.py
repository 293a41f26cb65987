"""Writes for regions, halls and API clients: one use case, one function, one transaction."""

from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from halls.audit import changed_fields, record_audit
from halls.exceptions import (
    ApiClientNameTaken,
    CannotDeactivateSelf,
    DomainError,
    HallCodeTaken,
    RegionParentInvalid,
)
from halls.models import (
    ALL_READ_SCOPES,
    ALL_SCOPES,
    CLASS_MINIMUM_STAFF,
    ApiClient,
    Hall,
    OpeningHours,
    Region,
    UserSession,
    hash_token,
)
from halls.permissions import require_permission

HALL_FIELDS = (
    "code",
    "name",
    "hall_class",
    "operation",
    "region",
    "address",
    "window_count",
    "has_vip_zone",
    "min_staff_offpeak",
    "min_staff_peak",
    "is_active",
)


@transaction.atomic(durable=True)
def deactivate_user(*, actor, user) -> dict[str, int]:
    """Deactivate a user account and end its access at once: the account can no longer log in,
    every session of the user is deleted (one DELETE on `UserSession.user`) and the user's API
    client token is revoked. Administrators only; refuses the actor's own account
    (CannotDeactivateSelf). Idempotent: a second call finds nothing left to end.
    Returns how many sessions and API clients it ended; the audit row records the same."""
    require_permission(actor, "user.deactivate")
    if user.pk == actor.pk:
        raise CannotDeactivateSelf(_("You cannot deactivate your own account."))
    user = type(user).objects.select_for_update().get(pk=user.pk)
    was_active = user.is_active
    if was_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    sessions_ended, _by_model = UserSession.objects.filter(user=user).delete()
    clients_revoked = ApiClient.objects.filter(user=user, is_active=True).update(is_active=False)
    ended = {"sessions_ended": sessions_ended, "api_clients_revoked": clients_revoked}
    if was_active or sessions_ended or clients_revoked:
        record_audit(actor=actor, action="halls.user.deactivated", subject=user, data=ended)
    return ended


@transaction.atomic
def create_region(*, code: str, name: str, kind: str, parent: Region | None = None, actor=None) -> Region:
    """Create a branch (root) or a county office under a branch; sets the materialized path."""
    if kind == Region.Kind.BRANCH and parent is not None:
        raise RegionParentInvalid(_("A branch has no parent region."))
    if kind == Region.Kind.COUNTY and parent is None:
        raise RegionParentInvalid(_("A county office belongs to a branch."))
    path = f"{parent.path if parent else '/'}{code}/"
    region = Region.objects.create(code=code, name=name, kind=kind, parent=parent, path=path)
    if actor is not None:
        record_audit(actor=actor, action="halls.region.created", subject=region)
    return region


def class_default_minimums(hall_class: str) -> tuple[int, int]:
    """(off-peak, peak) minimum staff on duty for a hall class: A 3/4, B 2/3."""
    return CLASS_MINIMUM_STAFF[hall_class]


def _check_minimums(offpeak: int, peak: int) -> None:
    if peak < offpeak:
        raise DomainError(_("The peak minimum cannot be below the off-peak minimum."), field="min_staff_peak")


@transaction.atomic
def create_hall(
    *, actor, code: str, name: str, hall_class: str, operation: str, region: Region, **fields
) -> Hall:
    """Create a hall in a region the actor manages. Minimum staff default to the class's."""
    require_permission(actor, "hall.create")
    if not Region.objects.visible_to(actor).filter(pk=region.pk).exists():
        raise DomainError(_("You cannot create halls in this region."), field="region")
    offpeak, peak = class_default_minimums(hall_class)
    fields.setdefault("min_staff_offpeak", offpeak)
    fields.setdefault("min_staff_peak", peak)
    _check_minimums(fields["min_staff_offpeak"], fields["min_staff_peak"])
    if Hall.objects.filter(code=code).exists():
        raise HallCodeTaken(_("A hall with this code already exists."))
    try:
        with transaction.atomic():
            hall = Hall.objects.create(
                code=code, name=name, hall_class=hall_class, operation=operation, region=region, **fields
            )
    except IntegrityError as exc:  # a concurrent create of the same code
        raise HallCodeTaken(_("A hall with this code already exists.")) from exc
    record_audit(actor=actor, action="halls.hall.created", subject=hall, hall=hall)
    return hall


@transaction.atomic
def update_hall(*, actor, hall: Hall, **changes) -> Hall:
    """Change a hall's attributes; locks the row so concurrent edits apply one after another."""
    require_permission(actor, "hall.change", hall=hall)
    hall = Hall.objects.select_for_update().select_related("region").get(pk=hall.pk)
    unknown = set(changes) - set(HALL_FIELDS)
    if unknown:
        raise DomainError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "region" in changes and not Region.objects.visible_to(actor).filter(pk=changes["region"].pk).exists():
        raise DomainError(_("You cannot move halls into this region."), field="region")
    if "code" in changes and Hall.objects.filter(code=changes["code"]).exclude(pk=hall.pk).exists():
        raise HallCodeTaken(_("A hall with this code already exists."))
    before = {name: getattr(hall, name) for name in changes}
    for name, value in changes.items():
        setattr(hall, name, value)
    _check_minimums(hall.min_staff_offpeak, hall.min_staff_peak)
    hall.save()
    changed = changed_fields(before, changes)
    if changed:
        record_audit(actor=actor, action="halls.hall.updated", subject=hall, hall=hall, data=changed)
    return hall


@transaction.atomic
def set_opening_hours(*, actor, hall: Hall, hours: dict[int, tuple[time, time] | None]) -> list[OpeningHours]:
    """Replace a hall's weekly opening hours: weekday -> (opens, closes), or None for closed."""
    require_permission(actor, "hall.change", hall=hall)
    for weekday, span in hours.items():
        if not 0 <= weekday <= 6:
            raise DomainError(_("Weekday must be 0 (Monday) to 6 (Sunday)."), field="weekday")
        if span is not None and span[0] >= span[1]:
            raise DomainError(_("Opening time must be before closing time."), field=f"weekday_{weekday}")
    OpeningHours.objects.filter(hall=hall, weekday__in=list(hours)).delete()
    rows = [
        OpeningHours(hall=hall, weekday=weekday, opens_at=span[0], closes_at=span[1])
        for weekday, span in sorted(hours.items())
        if span is not None
    ]
    OpeningHours.objects.bulk_create(rows)
    record_audit(
        actor=actor,
        action="halls.opening_hours.set",
        subject=hall,
        hall=hall,
        data={str(d): (f"{s[0]:%H:%M}-{s[1]:%H:%M}" if s else None) for d, s in hours.items()},
    )
    return rows


def _check_scopes(scopes) -> list[str]:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise DomainError(_("Unknown scopes: %(scopes)s") % {"scopes": ", ".join(unknown)}, field="scopes")
    return sorted(set(scopes))


def _check_rate(rate: int) -> int:
    if not 1 <= rate <= 100000:
        raise DomainError(
            _("The rate limit must be between 1 and 100000 requests a minute."), field="rate_limit_per_minute"
        )
    return rate


def _api_client_user(name: str):
    """A login-less user for a new client: unusable password, unique username."""
    users = get_user_model()
    base = "api-" + (slugify(name) or "client")
    username, n = base[:140], 1
    while users.objects.filter(username=username).exists():
        n += 1
        username = f"{base[:136]}-{n}"
    user = users(username=username)
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def create_api_client(
    *,
    actor,
    name: str,
    regions,
    user=None,
    scopes=ALL_READ_SCOPES,
    rate_limit_per_minute: int = 120,
    raw_token: str | None = None,
) -> tuple[ApiClient, str]:
    """Register an external system (an HR system) and issue its token. Administrators only.

    Returns the client and the raw token, which is never stored (only its SHA-256 and an
    8-character prefix are) and so can be shown exactly once. Without `user` a login-less user
    is made for the client. `scopes` default to reading every resource family. `raw_token` lets
    the demo seed issue a token derived from its seed; everything else leaves it to `new_token()`.
    Refuses a name already in use (ApiClientNameTaken) and unknown scopes."""
    require_permission(actor, "api_client.manage")
    if ApiClient.objects.filter(name=name).exists():
        raise ApiClientNameTaken(_("An API client with this name already exists."))
    scopes = _check_scopes(scopes)
    _check_rate(rate_limit_per_minute)
    raw = raw_token or ApiClient.new_token()
    client = ApiClient.objects.create(
        name=name,
        user=user or _api_client_user(name),
        token_prefix=raw[:8],
        token_hash=hash_token(raw),
        scopes=scopes,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    client.regions.set(regions)
    record_audit(
        actor=actor,
        action="halls.api_client.created",
        subject=client,
        data={
            "name": name,
            "regions": sorted(r.code for r in client.regions.all()),
            "scopes": scopes,
            "rate_limit_per_minute": rate_limit_per_minute,
        },
    )
    return client, raw


@transaction.atomic
def update_api_client(
    *, actor, client: ApiClient, name: str, regions, scopes, rate_limit_per_minute: int
) -> ApiClient:
    """Change a client's name, regions, scopes and rate limit; audited with before and after of
    what changed. The client's next request sees the change. Administrators only."""
    require_permission(actor, "api_client.manage")
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if ApiClient.objects.filter(name=name).exclude(pk=client.pk).exists():
        raise ApiClientNameTaken(_("An API client with this name already exists."))
    before = {
        "name": client.name,
        "regions": sorted(client.regions.values_list("code", flat=True)),
        "scopes": sorted(client.scopes),
        "rate_limit_per_minute": client.rate_limit_per_minute,
    }
    client.name = name
    client.scopes = _check_scopes(scopes)
    client.rate_limit_per_minute = _check_rate(rate_limit_per_minute)
    client.save(update_fields=["name", "scopes", "rate_limit_per_minute"])
    client.regions.set(regions)
    after = {
        "name": client.name,
        "regions": sorted(client.regions.values_list("code", flat=True)),
        "scopes": client.scopes,
        "rate_limit_per_minute": client.rate_limit_per_minute,
    }
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        record_audit(actor=actor, action="halls.api_client.updated", subject=client, data=changed)
    return client


@transaction.atomic
def rotate_api_client_token(*, actor, client: ApiClient, grace_minutes: int = 0) -> str:
    """Replace a client's token and return the new raw token (shown once). The old token stops
    working at commit, or after `grace_minutes` (at most a day) so the client can switch over;
    a rotation ends any earlier grace period. Administrators only."""
    require_permission(actor, "api_client.manage")
    if not 0 <= grace_minutes <= 24 * 60:
        raise DomainError(_("The grace period must be between 0 and 1440 minutes."), field="grace_minutes")
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    raw = ApiClient.new_token()
    if grace_minutes:
        client.previous_token_hash = client.token_hash
        client.previous_token_expires_at = timezone.now() + timedelta(minutes=grace_minutes)
    else:
        client.previous_token_hash, client.previous_token_expires_at = "", None
    client.token_prefix, client.token_hash = raw[:8], hash_token(raw)
    client.save(
        update_fields=["token_prefix", "token_hash", "previous_token_hash", "previous_token_expires_at"]
    )
    record_audit(
        actor=actor,
        action="halls.api_client.token_rotated",
        subject=client,
        data={"grace_minutes": grace_minutes},
    )
    return raw


@transaction.atomic
def revoke_api_client(*, actor, client: ApiClient) -> ApiClient:
    """Deactivate a client: its token (and a rotated one in its grace period) answers 401 from
    then on, and its webhooks stop. Revoking twice changes nothing more. Administrators only."""
    require_permission(actor, "api_client.manage")
    changed = ApiClient.objects.filter(pk=client.pk, is_active=True).update(
        is_active=False, previous_token_hash="", previous_token_expires_at=None
    )
    if changed:
        record_audit(actor=actor, action="halls.api_client.revoked", subject=client)
    client.refresh_from_db()
    return client

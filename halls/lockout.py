"""Failed-login lockout, on django-axes (settings `AXES_*`; the choice is explained under "Security"
in docs/ARCHITECTURE.md).

Two limits within the cool-off window: `AXES_FAILURE_LIMIT` failures of one username from one
address lock that (username, address) pair; `HALLOPS_LOGIN_FAILURE_LIMIT_PER_ADDRESS` failures
from one address, whatever the usernames, lock the address. A username alone is never locked, so
nobody can keep a real user out from another address.
"""

import ipaddress
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q, Sum
from django.shortcuts import render
from django.utils.translation import ngettext


class LoginLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a separate, higher limit for an address than for a pair."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """Failures that count against this request: the pair's, raised to the pair limit when the
        address alone is over its own limit. One aggregate query."""
        username = get_client_username(request, credentials)
        totals = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=get_cool_off_threshold(request),
        ).aggregate(
            address=Sum("failures_since_start"),
            pair=Sum("failures_since_start", filter=Q(username=username)),
        )
        pair = totals["pair"] or 0
        if (totals["address"] or 0) >= settings.HALLOPS_LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful login forget the pair's failures only: a valid account must not
        reset the count of an address that is trying other usernames."""
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials), ip_address=request.axes_ip_address
        ).delete()
        return count


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return ngettext(
        "Too many failed log-in attempts. Logging in from your address is paused for %(minutes)d "
        "minute; try again later or ask your branch administrator.",
        "Too many failed log-in attempts. Logging in from your address is paused for %(minutes)d "
        "minutes; try again later or ask your branch administrator.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """The login page again, with the lockout message instead of a password error (HTTP 429).
    The form is unbound: validating it again would count as one more attempt."""
    form = AuthenticationForm(request, initial={"username": get_client_username(request, credentials)})
    context = {"form": form, "lockout_message": lockout_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind `HALLOPS_TRUSTED_PROXY_COUNT` proxies that each
    append to X-Forwarded-For, the entry the outermost trusted proxy appended (entries left of it
    come from the client and can be forged)."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.HALLOPS_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


def purge_login_records(*, now=None) -> dict[str, int]:
    """Delete login records nobody needs any more (daily beat job; running it twice deletes nothing more).

    Failure counters (``AccessAttempt``) only matter within the cool-off, so those older than a day
    go; the login and failure logs are a security trail and stay ``HALLOPS_LOGIN_LOG_RETENTION_DAYS``
    (default 90)."""
    from axes.models import AccessFailureLog, AccessLog
    from django.utils import timezone

    now = now or timezone.now()
    counters_before = now - max(settings.AXES_COOLOFF_TIME, timedelta(days=1))
    logs_before = now - timedelta(days=settings.HALLOPS_LOGIN_LOG_RETENTION_DAYS)
    return {
        "attempts": AccessAttempt.objects.filter(attempt_time__lt=counters_before).delete()[0],
        "failure_logs": AccessFailureLog.objects.filter(attempt_time__lt=logs_before).delete()[0],
        "access_logs": AccessLog.objects.filter(attempt_time__lt=logs_before).delete()[0],
    }

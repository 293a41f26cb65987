"""Token authentication for API clients (HR systems). Tokens are stored hashed."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions

from halls.models import ApiClient, hash_token


class ApiClientTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        digest, now = hash_token(raw), timezone.now()
        # The current token, or the one rotated away while its grace period lasts.
        client = (
            ApiClient.objects.select_related("user")
            .filter(Q(token_hash=digest) | Q(previous_token_hash=digest, previous_token_expires_at__gt=now))
            .filter(is_active=True, user__is_active=True)
            .first()
        )
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        # For the request log (halls.middleware.ApiRequestLogMiddleware), which sees Django's request.
        request._request.hallops_api_client_id = client.pk
        # One UPDATE at most a minute per client keeps last-used useful without a write per request.
        if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        return client.user, client

    def authenticate_header(self, request):
        return self.keyword


class ApiClientTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token header in the OpenAPI schema."""

    target_class = "halls.authentication.ApiClientTokenAuthentication"
    name = "apiClientToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")

"""Per-client rate limits for the API: each API client's own requests-per-minute, kept in the
cache (`CACHES["default"]`; share one cache between processes in production, or each process
counts on its own). Session users are not throttled here. Over the limit: 429 with Retry-After."""

from rest_framework.throttling import SimpleRateThrottle

from halls.models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"
    rate = None  # set per request from the client's rate_limit_per_minute

    def get_rate(self):
        return None

    def allow_request(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        self.rate = f"{client.rate_limit_per_minute}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

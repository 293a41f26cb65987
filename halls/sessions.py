"""The session engine (SESSION_ENGINE = "halls.sessions"): Django's database sessions, stored in
`halls.models.UserSession` with the signed-in user's id beside the encoded data.

The user id is written from the session's own `_auth_user_id` each time the session is saved, so
it follows every path that changes who a session belongs to (login, key rotation on login or
password change, logout, flush) without a signal handler that could miss one.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from halls.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = _user_id(data)
        return instance

    async def acreate_model_instance(self, data):
        instance = await super().acreate_model_instance(data)
        instance.user_id = _user_id(data)
        return instance


def _user_id(data: dict) -> int | None:
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None

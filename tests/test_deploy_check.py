"""Production settings pass `manage.py check --deploy` with nothing to report, and switch cookies,
HSTS and JSON logs on; development settings log plain text."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def database_url() -> str:
    """The test run's own database as a DATABASE_URL (a socket directory goes in ?host=)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or ""
    if host.startswith("/"):
        return f"postgres://{credentials}@/{db['NAME']}?host={quote(host)}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="hallops.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="hallops.example.com",
        DATABASE_URL=database_url(),
    )
    env.update(overrides)
    return env


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def settings_of(env, *names) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_reports_nothing_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_would_catch_insecure_cookies():
    """The same check fails when production cookies are not secure: the test above can fail."""
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(DJANGO_SECURE_COOKIES="0"),
    )

    assert result.returncode != 0
    assert "security.W012" in result.stderr and "security.W016" in result.stderr


def test_production_settings_secure_cookies_and_log_json_lines():
    values = settings_of(
        production_env(),
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "LOG_FORMAT",
    )

    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 2592000,
        "LOG_FORMAT": "json",
    }


def test_development_settings_log_plain_text_unless_told_otherwise():
    debug = production_env(DJANGO_DEBUG="1")
    assert settings_of(debug, "LOG_FORMAT") == {"LOG_FORMAT": "plain"}
    assert settings_of({**debug, "DJANGO_LOG_FORMAT": "json"}, "LOG_FORMAT") == {"LOG_FORMAT": "json"}


def test_a_cache_url_shares_rate_limit_counters_through_redis_and_a_bad_one_is_refused():
    shared = settings_of(production_env(DJANGO_CACHE_URL="redis://127.0.0.1:6379/1"), "CACHES")["CACHES"]
    assert shared["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    local = settings_of(production_env(), "CACHES")["CACHES"]
    assert local["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    refused = run(["manage.py", "check"], production_env(DJANGO_CACHE_URL="memcached://x"))
    assert refused.returncode != 0 and "DJANGO_CACHE_URL must be a redis://" in refused.stderr

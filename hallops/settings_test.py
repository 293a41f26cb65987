"""Test settings: only what makes the suite fast and hermetic."""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghij")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from hallops.settings import *  # noqa: E402,F403
from hallops.settings import STORAGES  # noqa: E402

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run tasks in-process unless a test starts a real worker against Redis itself.
CELERY_TASK_ALWAYS_EAGER = True
LANGUAGE_CODE = "zh-hans"
# No collectstatic in tests: WhiteNoise serves from the finders, pages from templates.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

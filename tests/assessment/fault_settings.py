"""Settings of the worker that tests/assessment/test_worker_kill.py starts: the test settings, pointed
at the test's own database (FAULT_DATABASE, JSON) and its Redis broker (CELERY_BROKER_URL)."""

import json
import os

from hallops.settings_test import *  # noqa: F403

DATABASES = {"default": json.loads(os.environ["FAULT_DATABASE"])}
CELERY_TASK_ALWAYS_EAGER = False

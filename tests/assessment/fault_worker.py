"""A Celery app for the worker-kill test: HallOps' own app and tasks, plus a fault hook.

The hook counts the SQL statements the monthly results task sends. When the file FAULT_PLAN holds
k > 0, the pool process executing the task kills itself with SIGKILL just before statement k, once
per test trial (the file FAULT_MARK records that the kill happened, so the redelivered task runs to
the end). After a task that ran to the end, its statement count is written to FAULT_COUNT, so the test
knows the range of kill points. Start with `celery -A tests.assessment.fault_worker worker`.
"""

import os
import signal

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.assessment.fault_settings"

import django  # noqa: E402

django.setup()

from celery.signals import task_postrun, task_prerun  # noqa: E402
from django.db.backends import utils  # noqa: E402

from hallops.celery import app  # noqa: E402,F401

TASK = "assessment.tasks.compute_month_results_task"
_state = {"active": False, "count": 0, "kill_at": 0}
_execute = utils.CursorWrapper.execute


def _counting_execute(self, sql, params=None):
    if _state["active"]:
        _state["count"] += 1
        mark = os.environ["FAULT_MARK"]
        if _state["count"] == _state["kill_at"] and not os.path.exists(mark):
            with open(mark, "w") as handle:
                handle.write(f"{_state['count']} {' '.join(sql.split())[:60]}")
            os.kill(os.getpid(), signal.SIGKILL)
    return _execute(self, sql, params)


utils.CursorWrapper.execute = _counting_execute


@task_prerun.connect
def _start_counting(sender=None, **kwargs):
    _state["active"], _state["count"] = sender.name == TASK, 0
    with open(os.environ["FAULT_PLAN"]) as handle:
        _state["kill_at"] = int(handle.read().strip() or 0)


@task_postrun.connect
def _stop_counting(sender=None, state=None, **kwargs):
    if sender.name == TASK and state == "SUCCESS":
        with open(os.environ["FAULT_COUNT"], "w") as handle:
            handle.write(str(_state["count"]))
    _state["active"] = False

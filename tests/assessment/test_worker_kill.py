"""Fault test: a real Celery worker (prefork, Redis broker) running the monthly results job is killed
with SIGKILL at random statements, ten times. The task acknowledges late and is rejected when its
worker is lost, so Redis redelivers it; the retry takes the dead run over under the month's advisory
lock. After each retry: the published ranking hashes the same as a clean in-process run of identical
inputs, the month has exactly one run and one result set, and the job's record of itself (the
`assessment.results.computed` audit event) is written once.

Two branches hold identical people and facts (A for the clean run, B for the killed one); each
trial is its own month, published in order so the star-level history stays the same for both.
"""

import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection

from assessment.models import Measure, MonthlyResult, ResultRun
from assessment.services import compute_month_results, publish_results
from assessment.tasks import compute_month_results_task
from halls.models import AuditEvent
from tests.assessment.factories import add_facts, clerk_in, fact_input
from tests.halls.factories import BranchFactory, CountyFactory, HallFactory, UserFactory
from tests.halls.test_celery_worker import REDIS_URL, broker_mode, require_redis

TRIALS = 10
SEED = 20261127
MONTHS = [date(2026, m, 1) for m in range(1, TRIALS + 2)]  # the first is the uninterrupted run
PEOPLE_PER_HALL = 4
PUBLISH_DAY = datetime.datetime(2027, 1, 15, 10, 0, tzinfo=datetime.UTC)


def _branch(letter: str):
    branch = BranchFactory(code=f"F{letter}")
    halls = [
        HallFactory(code=f"{letter}H{i}", region=CountyFactory(code=f"{letter}C{i}", parent=branch))
        for i in range(2)
    ]
    people = [
        clerk_in(hall, employee_no=f"{letter}-{h}{i}", name=f"{letter}{h}{i}")
        for h, hall in enumerate(halls)
        for i in range(PEOPLE_PER_HALL)
    ]
    return branch, people


def _same_facts(people_a, people_b, rng):
    for month in MONTHS:
        facts = []
        for a, b in zip(people_a, people_b, strict=True):
            for measure, low, high in (
                (Measure.SALES, 0, 3000),
                (Measure.EVALUATION_SCORE, 50, 100),
                (Measure.TRANSACTIONS, 100, 700),
                (Measure.DISCIPLINE_POINTS, 0, 3),
            ):
                value, day = rng.randint(low, high), month.replace(day=rng.randint(1, 28))
                facts += [fact_input(a, measure, value, day=day), fact_input(b, measure, value, day=day)]
        add_facts(*facts)


def ranking_hash(run: ResultRun) -> str:
    """The published ranking without database ids or the branch's own codes."""
    rows = sorted(
        (
            r.staff.employee_no[2:],
            r.hall.code[1:],
            r.post,
            str(r.total),
            r.rank_in_hall,
            r.hall_size,
            r.rank_in_branch,
            r.branch_size,
            str(r.percentile),
            r.band_level,
            str(r.average_total),
            r.star_level_before,
            r.proposed_star_level,
        )
        for r in MonthlyResult.objects.filter(run=run).select_related("staff", "hall")
    )
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


class Worker:
    """`celery worker` in its own process, consuming a queue of its own."""

    def __init__(self, tmp: Path, queue: str):
        self.queue, self.tmp = queue, tmp
        self.plan, self.mark, self.count = tmp / "plan", tmp / "mark", tmp / "count"
        self.plan.write_text("0")
        db = connection.settings_dict
        env = {
            **os.environ,
            "FAULT_DATABASE": json.dumps(
                {k: db[k] for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")}
            ),
            "FAULT_PLAN": str(self.plan),
            "FAULT_MARK": str(self.mark),
            "FAULT_COUNT": str(self.count),
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL,
        }
        self.log = open(tmp / "worker.log", "w")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.assessment.fault_worker", "worker"]
            + ["--pool", "prefork", "--concurrency", "1", "-Q", queue, "--loglevel", "INFO"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def stop(self):
        self.process.kill()
        self.process.wait(timeout=30)
        self.log.close()
        redis.Redis.from_url(REDIS_URL).delete(self.queue)

    def run(self, branch, month: date, kill_at: int, timeout: float = 150.0) -> ResultRun:
        self.mark.unlink(missing_ok=True)
        self.plan.write_text(str(kill_at))
        compute_month_results_task.apply_async(args=[branch.pk, month.isoformat()], queue=self.queue)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            run = ResultRun.objects.filter(branch=branch, month=month, status=ResultRun.Status.DRAFT).first()
            if run is not None:
                return run
            time.sleep(0.2)
        raise AssertionError(f"the job did not complete in {timeout}s\n{self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        return (self.tmp / "worker.log").read_text()[-4000:]


@pytest.mark.redis
@pytest.mark.xdist_group("celery-worker")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_at_random_points_of_the_monthly_job_changes_nothing(tmp_path):
    require_redis()
    rng = random.Random(SEED)
    branch_a, people_a = _branch("A")
    branch_b, people_b = _branch("B")
    _same_facts(people_a, people_b, rng)
    actor = UserFactory(username="fault-admin", is_superuser=True, is_staff=True)

    killed_at = []
    with broker_mode():
        worker = Worker(tmp_path, queue=f"faults-{os.getpid()}-{time.time_ns()}")
        try:
            for trial, month in enumerate(MONTHS):
                clean = compute_month_results(branch=branch_a, month=month, actor=actor)
                if trial == 0:
                    run = worker.run(branch_b, month, kill_at=0)
                    statements = int(worker.count.read_text())
                    assert not worker.mark.exists()
                else:
                    kill_at = rng.randint(1, statements)
                    run = worker.run(branch_b, month, kill_at=kill_at)
                    assert worker.mark.exists(), f"trial {trial}: the worker was never killed"
                    killed_at.append(worker.mark.read_text())

                with time_machine.travel(PUBLISH_DAY):  # every month of MONTHS has ended by then
                    publish_results(run=clean, actor=actor)
                    publish_results(run=run, actor=actor)
                run.refresh_from_db()
                assert ranking_hash(run) == ranking_hash(clean), f"trial {trial} ({month:%Y-%m})"
                runs = ResultRun.objects.filter(branch=branch_b, month=month)
                assert list(runs.values_list("version", "status")) == [(1, "published")]
                assert set(
                    MonthlyResult.objects.filter(
                        month=month, hall__region__path__startswith=branch_b.path
                    ).values_list("run_id", flat=True)
                ) == {run.pk}
                assert MonthlyResult.objects.filter(run=run).count() == len(people_b)
                computed = AuditEvent.objects.for_object(run).filter(action="assessment.results.computed")
                assert computed.count() == 1
        finally:
            worker.stop()
    print(f"worker killed {len(killed_at)} times (of {statements} statements) at: {killed_at}")
    assert len(killed_at) == TRIALS

"""A real round trip: producer → Redis broker → an embedded worker → PostgreSQL → Redis result backend."""

import os
import threading
from contextlib import contextmanager

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from kombu import pools as kombu_pools

from hallops.celery import app
from halls.tasks import count_visible_halls
from tests.halls.factories import HallFactory

REDIS_URL = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"
OVERRIDDEN = ("broker_url", "result_backend", "task_always_eager", "task_eager_propagates")


def require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis is unreachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true needs a real broker; .ci/run starts redis-server)")
        pytest.skip(message)


def _reset_connections() -> None:
    # The app caches its broker pool, producer pool and result backend, and its pools live in
    # kombu's process-wide registries keyed by broker URL; close and forget them all so the next
    # use reads the configuration again (a closed pool left registered fails "Acquire on closed
    # pool" when the same URL is used again, as under CI where the test URL is the settings' one).
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()


@contextmanager
def broker_mode():
    saved = {key: app.conf[key] for key in OVERRIDDEN}
    _reset_connections()
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    try:
        yield
    finally:
        _reset_connections()
        app.conf.update(saved)


@pytest.mark.redis
def test_a_task_round_trips_through_redis_and_a_real_worker(transactional_db, cast):
    require_redis()
    HallFactory(region=cast.hall.region)
    before = {key: app.conf[key] for key in OVERRIDDEN}
    with broker_mode(), start_worker(app, pool="solo", perform_ping_check=False):
        result = count_visible_halls.delay(cast.branch_manager.pk)
        assert not isinstance(result, EagerResult)
        assert result.get(timeout=20) == 3
        assert type(app.backend).__name__ == "RedisBackend"
        assert app.backend.get_task_meta(result.id)["status"] == "SUCCESS"
        assert count_visible_halls.apply_async(args=[cast.hall_manager.pk]).get(timeout=20) == 1
    assert {key: app.conf[key] for key in OVERRIDDEN} == before
    assert before["task_always_eager"] is True


def test_outside_the_broker_test_tasks_run_in_process(db, cast):
    assert app.conf.task_always_eager is True
    assert count_visible_halls.delay(cast.branch_manager.pk).get() == 2
    assert count_visible_halls.delay(999_999).get() == 0


@pytest.mark.django_db
def test_the_daily_purge_task_deletes_old_idempotency_keys_once(cast):
    from datetime import timedelta

    from django.utils import timezone

    from halls.models import IdempotencyKey
    from halls.tasks import purge_idempotency_keys

    old = IdempotencyKey.objects.create(key="old", user=cast.branch_manager, fingerprint="x" * 64)
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    IdempotencyKey.objects.create(key="fresh", user=cast.branch_manager, fingerprint="y" * 64)
    assert purge_idempotency_keys.delay().get() == 1
    assert purge_idempotency_keys.delay().get() == 0
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]

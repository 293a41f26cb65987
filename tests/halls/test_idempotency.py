from datetime import timedelta

import pytest
from django.utils import timezone

from halls.idempotency import purge_idempotency_keys
from halls.models import IdempotencyKey
from tests.halls.factories import UserFactory


@pytest.mark.django_db
def test_keys_older_than_a_week_are_purged_and_a_second_run_changes_nothing():
    user = UserFactory()
    now = timezone.now()
    IdempotencyKey.objects.create(user=user, key="old", fingerprint="f", created_at=now - timedelta(days=8))
    IdempotencyKey.objects.create(
        user=user,
        key="recent",
        fingerprint="f",
        status="done",
        response_status=201,
        created_at=now - timedelta(days=6),
    )
    assert purge_idempotency_keys(now=now) == 1
    assert purge_idempotency_keys(now=now) == 0
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


@pytest.mark.django_db
def test_a_finished_key_must_carry_its_response():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError, match="idempotency_key_done_has_response"):
        IdempotencyKey.objects.create(user=UserFactory(), key="k", fingerprint="f", status="done")

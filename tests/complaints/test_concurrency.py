"""Two people acting on one complaint at once, on real transactions in two threads."""

import threading

import pytest
from django.db import connection

from complaints import services
from complaints.exceptions import ComplaintVersionConflict
from complaints.models import Complaint


def run_together(*actions):
    """Run each action in its own thread and database connection, released together."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def worker(index, action):
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_hand_overs_from_the_same_version_one_wins_and_the_other_is_a_conflict(
    in_progress, cast, second_clerk
):
    version = in_progress.version
    results = run_together(
        lambda: services.hand_over_complaint(
            actor=cast.hall_manager,
            complaint=in_progress,
            to_handler=second_clerk.user,
            expected_version=version,
        ),
        lambda: services.hand_over_complaint(
            actor=cast.clerk, complaint=in_progress, to_handler=cast.hall_manager, expected_version=version
        ),
    )
    conflicts = [r for r in results if isinstance(r, ComplaintVersionConflict)]
    winners = [r for r in results if isinstance(r, Complaint)]
    assert (len(winners), len(conflicts)) == (1, 1), results
    stored = Complaint.objects.get(pk=in_progress.pk)
    assert stored.version == version + 1
    assert stored.current_handler_id == winners[0].current_handler_id
    assert stored.events.filter(kind="handed_over").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_unversioned_actions_at_once_both_land_and_neither_is_lost(in_progress, cast, second_clerk):
    """Each service re-reads the row under a lock, so the second writer builds on the first."""
    version = in_progress.version
    results = run_together(
        lambda: services.pause_complaint(
            actor=cast.hall_manager, complaint=in_progress, reason="等客户提供账单"
        ),
        lambda: services.hand_over_complaint(
            actor=cast.clerk, complaint=in_progress, to_handler=second_clerk.user
        ),
    )
    assert all(isinstance(r, Complaint) for r in results), results
    stored = Complaint.objects.get(pk=in_progress.pk)
    assert stored.paused_at is not None and stored.current_handler == second_clerk.user
    assert stored.version == version + 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_distinct_consecutive_numbers(cast, frozen):
    def intake():
        return services.create_complaint(
            actor=cast.hall_manager,
            hall=cast.hall,
            channel="hotline",
            customer_name="客户",
            customer_phone="13900000000",
            category="billing",
            subject="并发受理",
        ).number

    results = run_together(*[intake] * 4)
    assert sorted(results) == [f"TS202611-00000{i}" for i in range(1, 5)], results


@pytest.mark.django_db(transaction=True)
def test_a_check_made_before_a_concurrent_hand_over_is_made_again_under_the_lock(
    in_progress, cast, second_clerk
):
    """The clerk hands over while also trying to pause: whichever runs second sees the other's write."""
    results = run_together(
        lambda: services.hand_over_complaint(
            actor=cast.clerk, complaint=in_progress, to_handler=second_clerk.user
        ),
        lambda: services.pause_complaint(actor=cast.clerk, complaint=in_progress, reason="等客户提供账单"),
    )
    stored = Complaint.objects.get(pk=in_progress.pk)
    assert stored.current_handler == second_clerk.user
    paused = isinstance(results[1], Complaint)
    # Paused only if the pause ran first (the clerk was still the handler then); never both lost.
    assert (stored.paused_at is not None) == paused
    assert stored.version == in_progress.version + (2 if paused else 1)

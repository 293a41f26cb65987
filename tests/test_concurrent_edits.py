"""100 concurrent edits of one record through the API, on real transactions: THREADS threads, each
with its own database connection and test client, released together by a barrier, send 100
requests between them. No update may be lost: a staff PATCH re-reads the row under a lock and
changes only the fields it was sent; a complaint action carries the version it read and a stale one
answers 409 Conflict."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from complaints import services as complaint_services
from complaints.models import Complaint
from staffing.models import Staff
from tests.staffing.factories import StaffFactory

EDITS = 100
THREADS = 20  # concurrent connections; 100 at once would exceed a default PostgreSQL's max_connections


def send_together(user, requests):
    """Send `requests` (callables taking a logged-in client) from THREADS threads at once; return
    the responses in the order of `requests`."""
    barrier = threading.Barrier(THREADS)
    responses: list = [None] * len(requests)
    errors: list = []

    def worker(offset):
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=30)
            for index in range(offset, len(requests), THREADS):
                responses[index] = requests[index](client)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return responses


def _no_value_comes_back(history, field, initial):
    """Along the row's history, a field either keeps its value or takes a new one: going back to an
    older value would be a stale write over a newer one (a lost update)."""
    seen, previous = {initial}, initial
    for event in history:
        value = event[field]
        if value != previous:
            assert value not in seen, f"{field} went back to {value!r}: a lost update"
            seen.add(value)
            previous = value
    return seen - {initial}


@pytest.mark.django_db(transaction=True)
def test_100_concurrent_staff_patches_each_land_and_none_overwrites_another(cast, clerk_staff):
    from pghistory.models import Events

    url = f"/api/v1/staff/{clerk_staff.pk}/"

    def patch(i):
        body = {"name": f"并发{i:03d}"} if i % 2 == 0 else {"phone": f"138{i:08d}"}
        return lambda client: client.patch(url, body, content_type="application/json")

    responses = send_together(cast.hall_manager, [patch(i) for i in range(EDITS)])
    assert Counter(r.status_code for r in responses) == {200: EDITS}

    history = list(
        Events.objects.tracks(clerk_staff)
        .filter(pgh_label="update")
        .order_by("pgh_id")
        .values_list("pgh_data", flat=True)
    )
    assert len(history) == EDITS  # every PATCH wrote its own row version
    names = _no_value_comes_back(history, "name", clerk_staff.name)
    phones = _no_value_comes_back(history, "phone", clerk_staff.phone)
    assert len(names) == EDITS // 2 and len(phones) == EDITS // 2  # each value was written once
    stored = Staff.objects.get(pk=clerk_staff.pk)
    assert (stored.name, stored.phone) == (history[-1]["name"], history[-1]["phone"])


@pytest.mark.django_db(transaction=True)
def test_100_concurrent_actions_on_one_complaint_version_one_wins_the_rest_are_409(cast, hall):
    # About another clerk of the hall: nobody handles a complaint about themselves.
    subject = StaffFactory(hall=hall, name="王营业员")
    complaint = complaint_services.create_complaint(
        actor=cast.clerk,
        hall=cast.hall,
        channel="hall_counter",
        customer_name="张三丰",
        customer_phone="13812345678",
        category="service_attitude",
        subject="营业员态度差",
        clerks=[subject],
    )
    complaint = complaint_services.assign_complaint(
        actor=cast.hall_manager, complaint=complaint, handler=cast.clerk
    )
    complaint = complaint_services.start_handling(actor=cast.clerk, complaint=complaint)
    version, events = complaint.version, complaint.events.count()
    url = f"/api/v1/complaints/{complaint.pk}/pause/"

    def pause(i):
        body = {"version": version, "reason": f"等待客户资料 {i}"}
        return lambda client: client.post(url, body, content_type="application/json")

    responses = send_together(cast.hall_manager, [pause(i) for i in range(EDITS)])
    assert Counter(r.status_code for r in responses) == {200: 1, 409: EDITS - 1}
    assert {r.json()["current_version"] for r in responses if r.status_code == 409} == {version + 1}
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.version == version + 1 and stored.paused_at is not None
    assert stored.events.count() == events + 1

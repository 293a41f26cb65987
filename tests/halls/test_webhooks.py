"""Webhooks: outbox rows written in the event's transaction, sent afterwards (never inside it),
signed, retried with exponential backoff for hours, claimed by one worker at a time, and
redeliverable. A real HTTP receiver runs in a thread on 127.0.0.1."""

import datetime
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections, transaction

from halls import webhooks
from halls.models import AuditEvent, WebhookDelivery, WebhookEvent
from staffing.qualifications import announce_expired_qualifications
from staffing.services import create_staff
from tests.halls.factories import make_api_client
from tests.staffing.factories import StaffFactory, qualify
from tests.test_access_matrix import OCTOBER, elimination_entry

pytestmark = pytest.mark.django_db

STAFF_CHANGED = WebhookEvent.STAFF_CHANGED


class Receiver:
    """A local HTTP endpoint: records every request and answers `status` (or is not listening)."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiver():
    r = Receiver()
    r.start()
    try:
        yield r
    finally:
        r.stop()


def subscribe(admin_user, client, url, events=(STAFF_CHANGED,)):
    return webhooks.subscribe(actor=admin_user, client=client, url=url, events=list(events))


def emit_staff_changed(hall, n=1):
    with transaction.atomic():
        for i in range(n):
            webhooks.emit_event(event=STAFF_CHANGED, hall=hall, data={"staff": i})


def test_the_event_writes_deliveries_in_its_own_transaction_and_sends_only_after_commit(
    cast, admin_user, django_capture_on_commit_callbacks
):
    with receiver() as hook:
        subscribe(admin_user, cast.hr_client, hook.url)
        with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
            webhooks.emit_event(event=STAFF_CHANGED, hall=cast.hall, data={"staff": 1})
            assert WebhookDelivery.objects.count() == 1
        assert hook.requests == []  # nothing was sent inside the transaction
        assert len(callbacks) == 1
        callbacks[0]()  # the on-commit task
        assert len(hook.requests) == 1
        assert WebhookDelivery.objects.get().status == "delivered"


def test_a_rolled_back_event_leaves_no_delivery(cast, admin_user):
    subscribe(admin_user, cast.hr_client, "https://hr.example.invalid/hook")
    with pytest.raises(RuntimeError), transaction.atomic():
        webhooks.emit_event(event=STAFF_CHANGED, hall=cast.hall, data={})
        raise RuntimeError("the event's service failed")
    assert not WebhookDelivery.objects.exists()


def test_only_clients_covering_the_hall_with_the_scope_and_the_event_get_a_delivery(cast, admin_user):
    branch = cast.hall.region.parent
    no_scope, _raw = make_api_client(regions=[branch], name="no-scope", scopes=["halls:read"])
    foreign, _raw = make_api_client(regions=[cast.foreign_hall.region], name="foreign")
    other_event, _raw = make_api_client(regions=[branch], name="other-event")
    subscribe(admin_user, cast.hr_client, "https://a.example.invalid/")
    subscribe(admin_user, no_scope, "https://b.example.invalid/")
    subscribe(admin_user, foreign, "https://c.example.invalid/")
    subscribe(admin_user, other_event, "https://d.example.invalid/", events=[WebhookEvent.MONTH_PUBLISHED])
    emit_staff_changed(cast.hall)
    assert list(WebhookDelivery.objects.values_list("subscription__client__name", flat=True)) == ["hr-system"]


def test_a_delivery_is_signed_and_the_receiver_can_verify_it(cast, admin_user, time_machine):
    time_machine.move_to("2026-11-02 09:00:00+08:00", tick=False)
    with receiver() as hook:
        _subscription, secret = subscribe(admin_user, cast.hr_client, hook.url)
        emit_staff_changed(cast.hall)
        assert webhooks.deliver_due() == {"delivered": 1, "retrying": 0, "failed": 0}
    [request] = hook.requests
    headers, body = request["headers"], request["body"]
    delivery = WebhookDelivery.objects.get()
    assert headers["X-HallOps-Event-Id"] == str(delivery.event_id) == json.loads(body)["id"]
    assert headers["X-HallOps-Event"] == "staff.changed"
    stamp, signature = headers["X-HallOps-Timestamp"], headers["X-HallOps-Signature"]
    now = datetime.datetime(2026, 11, 2, 1, 0, tzinfo=datetime.UTC).timestamp()
    assert stamp == str(int(now))
    assert webhooks.verify_signature(secret=secret, timestamp=stamp, body=body, signature=signature, now=now)
    assert not webhooks.verify_signature(
        secret=secret, timestamp=stamp, body=body + b" ", signature=signature, now=now
    )
    assert not webhooks.verify_signature(
        secret="wrong", timestamp=stamp, body=body, signature=signature, now=now
    )
    assert not webhooks.verify_signature(  # a replay ten minutes later
        secret=secret, timestamp=stamp, body=body, signature=signature, now=now + 600
    )


def test_failures_retry_with_exponential_backoff_for_hours_then_fail(cast, admin_user, time_machine):
    start = datetime.datetime(2026, 11, 2, 1, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    with receiver() as hook:
        hook.status = 500
        subscribe(admin_user, cast.hr_client, hook.url)
        emit_staff_changed(cast.hall)
        waits = []
        for _attempt in range(webhooks.MAX_ATTEMPTS):
            webhooks.deliver_due()
            delivery = WebhookDelivery.objects.get()
            if delivery.status == "failed":
                break
            assert webhooks.deliver_due() == {"delivered": 0, "retrying": 0, "failed": 0}  # not due yet
            waits.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() / 60)
            time_machine.move_to(delivery.next_attempt_at, tick=False)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert delivery.status == "failed" and delivery.attempts == webhooks.MAX_ATTEMPTS == len(hook.requests)
    assert delivery.response_status == 500 and delivery.next_attempt_at is None
    assert delivery.last_attempt_at - start >= datetime.timedelta(hours=1)


def test_a_receiver_down_for_an_hour_loses_nothing(cast, admin_user, time_machine):
    start = datetime.datetime(2026, 11, 2, 1, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    probe = Receiver()  # find a free port, then close it: connections are refused while "down"
    port, url = probe.server.server_address[1], probe.url
    probe.server.server_close()
    subscribe(admin_user, cast.hr_client, url)
    emit_staff_changed(cast.hall, n=3)
    minute, now = datetime.timedelta(minutes=1), start
    while now < start + datetime.timedelta(hours=1):  # beat every minute while the receiver is down
        webhooks.deliver_due()
        now += minute
        time_machine.move_to(now, tick=False)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {6}  # at 0, 1, 3, 7, 15, 31 min
    hook = Receiver(port=port)  # back up
    hook.start()
    try:
        while WebhookDelivery.objects.filter(status="pending").exists() and now < start + datetime.timedelta(
            hours=4
        ):
            webhooks.deliver_due()
            now += minute
            time_machine.move_to(now, tick=False)
    finally:
        hook.stop()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    ids = sorted(r["headers"]["X-HallOps-Event-Id"] for r in hook.requests)
    assert ids == sorted(str(i) for i in WebhookDelivery.objects.values_list("event_id", flat=True))
    # The 7th attempt, 63 minutes in, got through.
    delivered = set(WebhookDelivery.objects.values_list("delivered_at", flat=True))
    assert delivered == {start + datetime.timedelta(minutes=63)}


def test_a_failed_delivery_can_be_delivered_again_with_the_same_event_id(cast, admin_user):
    with receiver() as hook:
        subscribe(admin_user, cast.hr_client, hook.url)
        emit_staff_changed(cast.hall)
        WebhookDelivery.objects.update(status="failed", next_attempt_at=None, attempts=webhooks.MAX_ATTEMPTS)
        assert webhooks.deliver_due() == {"delivered": 0, "retrying": 0, "failed": 0}
        delivery = webhooks.redeliver(actor=admin_user, delivery=WebhookDelivery.objects.get())
        assert (delivery.status, delivery.attempts) == ("pending", 0)
        assert webhooks.deliver_due() == {"delivered": 1, "retrying": 0, "failed": 0}
    assert hook.requests[0]["headers"]["X-HallOps-Event-Id"] == str(delivery.event_id)
    assert AuditEvent.objects.filter(action="halls.webhook.redelivered").count() == 1


def test_a_stopped_subscription_sends_nothing_more(cast, admin_user):
    subscription, _secret = subscribe(admin_user, cast.hr_client, "https://hr.example.invalid/hook")
    emit_staff_changed(cast.hall)
    webhooks.unsubscribe(actor=admin_user, subscription=subscription)
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["failed"]
    emit_staff_changed(cast.hall)
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_delivery(cast, admin_user, monkeypatch):
    monkeypatch.setattr("halls.tasks.deliver_webhooks.delay", lambda: None)  # no sending on commit here
    subscribe(admin_user, cast.hr_client, "https://hr.example.invalid/hook")
    emit_staff_changed(cast.hall, n=4)
    claimed, ready, release = {}, threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                claimed["other"] = webhooks._claim(2)  # holds its row locks until released
                ready.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert ready.wait(10)
    mine = webhooks._claim(10)  # skips the two rows the other worker has locked
    release.set()
    thread.join(10)
    other_ids = {d.pk for d in claimed["other"]}
    my_ids = {d.pk for d in mine}
    assert len(other_ids) == 2 and len(my_ids) == 2 and not other_ids & my_ids
    assert webhooks._claim(10) == []  # all four are claimed: their next attempt lies ahead


def test_staff_changes_emit_staff_changed(cast, admin_user):
    subscribe(admin_user, cast.hr_client, "https://hr.example.invalid/hook")
    staff = create_staff(
        actor=cast.hall_manager,
        employee_no="E9001",
        name="新人",
        hall=cast.hall,
        post="clerk",
        employment_type="contract",
        hire_date=datetime.date(2026, 1, 1),
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"] == {
        "staff": staff.pk,
        "employee_no": "E9001",
        "change": "created",
        "hall": cast.hall.pk,
    }


def test_publishing_a_month_and_confirming_a_list_emit_their_events(cast, admin_user):
    cast.admin_user = admin_user
    subscribe(
        admin_user,
        cast.hr_client,
        "https://hr.example.invalid/hook",
        events=[WebhookEvent.MONTH_PUBLISHED, WebhookEvent.ELIMINATION_CONFIRMED],
    )
    elimination_entry(cast, cast.hall, "confirmed")  # computes, publishes, confirms October
    events = list(WebhookDelivery.objects.order_by("id").values_list("event", "payload__data__month"))
    assert events == [
        ("assessment.month_published", "2026-10"),
        ("elimination.list_confirmed", OCTOBER.isoformat()),
    ]


def test_an_expired_qualification_is_announced_once(cast, admin_user):
    subscribe(
        admin_user,
        cast.hr_client,
        "https://hr.example.invalid/hook",
        events=[WebhookEvent.QUALIFICATION_EXPIRED],
    )
    staff = StaffFactory(hall=cast.hall)
    expired = qualify(staff, granted_on=datetime.date(2025, 1, 1), expires_on=datetime.date(2026, 10, 31))
    qualify(StaffFactory(hall=cast.hall), expires_on=datetime.date(2027, 1, 1))  # still valid
    assert announce_expired_qualifications(today=datetime.date(2026, 11, 2)) == 1
    assert announce_expired_qualifications(today=datetime.date(2026, 11, 3)) == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["qualification"] == expired.pk
    assert delivery.payload["data"]["expired_on"] == "2026-10-31"

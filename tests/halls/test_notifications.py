"""The shared in-app notifications: notify() is idempotent per recipient and dedup key, each
e-mail goes out once even with two senders, and a user only ever sees their own."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halls.models import Notification
from halls.notifications import mark_notification_read, notify, send_pending_emails
from halls.selectors import unread_notification_count
from tests.concurrency import row_committed_while_blocked
from tests.halls.factories import NotificationFactory, UserFactory


def send(users, *, key="tests.event:1", hall=None):
    return notify(
        recipients=users,
        kind="tests.event",
        subject="Something happened",
        body="Details",
        url="/halls/",
        hall=hall,
        dedup_key=key,
    )


# --- notify ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_creates_one_per_recipient_and_never_twice(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = send([cast.clerk, cast.hall_manager, cast.clerk], hall=cast.hall)
    assert sorted(n.recipient_id for n in first) == sorted([cast.clerk.pk, cast.hall_manager.pk])
    assert all(n.pk and n.hall_id == cast.hall.pk for n in first)
    assert {n.pk for n in first} == set(Notification.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = send([cast.clerk, cast.hall_manager])
    assert again == [] and callbacks == []
    # A new recipient of the same event gets it; the others still do not.
    with django_capture_on_commit_callbacks(execute=True):
        added = send([cast.clerk, cast.branch_manager])
    assert [n.recipient_id for n in added] == [cast.branch_manager.pk]
    # Another event is another message.
    assert len(send([cast.clerk], key="tests.event:2")) == 1
    assert Notification.objects.filter(recipient=cast.clerk).count() == 2
    assert len(mail.outbox) == 3  # clerk, hall manager, branch manager: once each


@pytest.mark.django_db
def test_notify_with_nobody_writes_nothing(cast, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert send([]) == []


@pytest.mark.django_db
def test_notify_is_one_insert_whatever_the_number_of_recipients(cast, django_assert_num_queries):
    users = UserFactory.create_batch(6)
    with django_assert_num_queries(1):
        assert len(send(users)) == 6


# --- e-mail ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_emails_go_on_commit_once_and_only_to_users_with_an_address(cast, django_capture_on_commit_callbacks):
    cast.hall_manager.email = ""
    cast.hall_manager.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send([cast.clerk, cast.hall_manager])
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        ([cast.clerk.email], "Something happened", "Details")
    ]
    assert Notification.objects.get(recipient=cast.clerk).emailed_at is not None
    assert Notification.objects.get(recipient=cast.hall_manager).emailed_at is None
    assert send_pending_emails() == 0  # the sweep finds nothing left to send
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_nothing_is_emailed_or_claimed_while_emails_are_off(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.HALLOPS_NOTIFICATION_EMAILS = False
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = send([cast.clerk])
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None
    settings.HALLOPS_NOTIFICATION_EMAILS = True
    assert send_pending_emails() == 1  # the sweep sends it once mail is configured
    assert send_pending_emails() == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_gives_the_claim_back_and_the_beat_sweep_sends_it(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    from halls import notifications
    from halls.tasks import send_notification_emails

    def smtp_down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications, "send_mail", smtp_down)
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = send([cast.clerk])
    notification.refresh_from_db()
    assert notification.emailed_at is None and mail.outbox == []
    monkeypatch.undo()
    assert send_notification_emails.delay().get() == 1  # what beat runs every 10 minutes
    assert send_notification_emails.delay().get() == 0
    assert [m.to for m in mail.outbox] == [[cast.clerk.email]]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_an_email_once(cast):
    notification = NotificationFactory(recipient=cast.clerk)
    claim = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True)
    # Another worker has claimed the e-mail but not committed yet: this sender still sees it
    # pending, waits on the row, then finds it taken.
    with row_committed_while_blocked(lambda: claim.update(emailed_at=timezone.now())):
        sent = send_pending_emails(notification_ids=[notification.pk])
    assert sent == 0
    assert mail.outbox == []
    assert send_pending_emails(notification_ids=[notification.pk]) == 0


@pytest.mark.django_db(transaction=True)
def test_the_sender_that_claims_first_sends(cast):
    notification = NotificationFactory(recipient=cast.clerk)
    assert send_pending_emails(notification_ids=[notification.pk]) == 1
    assert send_pending_emails(notification_ids=[notification.pk]) == 0
    assert [m.to for m in mail.outbox] == [[cast.clerk.email]]


# --- reading --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_users_notification_cannot_be_marked_read(cast):
    own = NotificationFactory(recipient=cast.clerk)
    with pytest.raises(Notification.DoesNotExist):
        mark_notification_read(actor=cast.hall_manager, notification_id=own.pk)
    assert mark_notification_read(actor=cast.clerk, notification_id=own.pk).read_at is not None
    first = Notification.objects.get(pk=own.pk).read_at
    assert mark_notification_read(actor=cast.clerk, notification_id=own.pk).read_at == first


@pytest.mark.django_db
def test_the_list_shows_only_the_users_own_and_filters_unread(client, cast):
    read = NotificationFactory(recipient=cast.clerk, subject="已读通知", read_at=timezone.now())
    unread = NotificationFactory(recipient=cast.clerk, subject="未读通知", hall=cast.hall)
    NotificationFactory(recipient=cast.hall_manager, subject="别人的通知")
    client.force_login(cast.clerk)
    response = client.get(reverse("notification_list"))
    assert list(response.context["page_obj"]) == [unread, read]
    page = response.content.decode()
    assert "未读通知" in page and "已读通知" in page and "别人的通知" not in page
    response = client.get(reverse("notification_list"), {"unread": "1"})
    assert list(response.context["page_obj"]) == [unread]


@pytest.mark.django_db
def test_mark_one_read_answers_303_and_another_users_is_404(client, cast):
    own = NotificationFactory(recipient=cast.clerk, url="/complaints/")
    other = NotificationFactory(recipient=cast.hall_manager)
    client.force_login(cast.clerk)
    response = client.post(reverse("notification_read", args=[own.pk]))
    assert (response.status_code, response["Location"]) == (303, reverse("notification_list"))
    own.refresh_from_db()
    assert own.read_at is not None
    assert client.post(reverse("notification_read", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    assert client.get(reverse("notification_read", args=[own.pk])).status_code == 405


@pytest.mark.django_db
def test_open_marks_read_and_goes_to_the_target_but_never_off_site(client, cast):
    inside = NotificationFactory(recipient=cast.clerk, url="/complaints/")
    outside = NotificationFactory(recipient=cast.clerk, url="https://evil.example/")
    client.force_login(cast.clerk)
    response = client.post(reverse("notification_read", args=[inside.pk]), {"open": "1"})
    assert (response.status_code, response["Location"]) == (303, "/complaints/")
    response = client.post(reverse("notification_read", args=[outside.pk]), {"open": "1"})
    assert (response.status_code, response["Location"]) == (303, reverse("notification_list"))


@pytest.mark.django_db
def test_mark_all_read_touches_only_the_users_own(client, cast):
    NotificationFactory.create_batch(3, recipient=cast.clerk)
    other = NotificationFactory(recipient=cast.hall_manager)
    client.force_login(cast.clerk)
    response = client.post(
        reverse("notification_read_all"), {"next": reverse("notification_list") + "?unread=1"}
    )
    assert (response.status_code, response["Location"]) == (303, reverse("notification_list") + "?unread=1")
    assert unread_notification_count(user=cast.clerk) == 0
    assert unread_notification_count(user=cast.hall_manager) == 1
    other.refresh_from_db()
    assert other.read_at is None


@pytest.mark.django_db
def test_the_navbar_badge_counts_unread_in_one_query(client, cast):
    NotificationFactory.create_batch(2, recipient=cast.clerk)
    NotificationFactory(recipient=cast.clerk, read_at=timezone.now())
    NotificationFactory(recipient=cast.hall_manager)
    client.force_login(cast.clerk)
    response = client.get(reverse("dashboard"))
    assert 'data-unread-count="2"' in response.content.decode()
    badge = response.context["nav_unread_notifications"]
    with CaptureQueriesContext(connection) as queries:
        assert int(str(badge)) == 2
    assert len(queries) == 0  # counted once while rendering
    client.force_login(cast.hall_manager)
    assert 'data-unread-count="1"' in client.get(reverse("dashboard")).content.decode()


# --- query counts ---------------------------------------------------------------------------


def list_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("notification_list"))
    assert response.status_code == 200
    return len(queries), len(response.context["page_obj"])


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_at_n_and_3n(client, cast, other_hall):
    client.force_login(cast.clerk)

    def add(n):
        for i in range(n):
            NotificationFactory(recipient=cast.clerk, hall=cast.hall if i % 2 else other_hall)

    add(5)
    small, shown = list_queries(client)
    assert shown == 5
    add(10)
    large, shown = list_queries(client)
    assert shown == 15
    assert small == large

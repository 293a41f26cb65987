from datetime import date, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from halls.models import Notification
from staffing.models import Staff
from tests.halls.factories import UserFactory
from tests.staffing.factories import StaffFactory, qualify
from tests.training.conftest import SHANGHAI
from training import tasks
from training.reminders import NOTIFICATION_KIND, reminder_due

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

EXPIRES = date(2026, 12, 31)


@pytest.fixture
def run_on(django_capture_on_commit_callbacks):
    """Run the beat job at 07:00 on a day; e-mails go out on commit, as after a real commit."""

    def run(day: date) -> int:
        moment = datetime(day.year, day.month, day.day, 7, 0, tzinfo=SHANGHAI)
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            return tasks.remind_qualification_expiry()

    return run


def reminders():
    """(recipient, days before, expiry date) of every reminder, read from its dedup key."""
    rows = Notification.objects.filter(kind=NOTIFICATION_KIND).values_list("recipient__username", "dedup_key")
    return sorted(
        (username, int(key.split(":")[3]), date.fromisoformat(key.split(":")[2])) for username, key in rows
    )


@pytest.fixture
def expiring(clerk_staff, hall_manager):
    hall_manager.email = ""  # no address: in-app only
    hall_manager.save()
    return qualify(clerk_staff, granted_on=date(2025, 1, 1), expires_on=EXPIRES)


@pytest.mark.parametrize(("days_left", "due"), [(31, None), (30, 30), (8, 30), (7, 7), (0, 7), (-1, None)])
def test_the_due_reminder_is_the_nearest_threshold(days_left, due):
    assert reminder_due(days_left) == due


def test_the_clerk_and_the_hall_manager_hear_30_and_7_days_before_and_never_twice(
    expiring, hall_manager, run_on
):
    assert run_on(date(2026, 11, 30)) == 0
    assert Notification.objects.count() == 0

    assert run_on(date(2026, 12, 1)) == 1
    assert reminders() == [("clerk", 30, EXPIRES), ("hall-manager", 30, EXPIRES)]
    assert [m.to for m in mail.outbox] == [["clerk@example.com"]]
    assert mail.outbox[0].subject == Notification.objects.get(recipient__username="clerk").subject
    notification = Notification.objects.get(recipient__username="clerk")
    assert notification.subject == "The Service window qualification of 李营业员 expires on Dec. 31, 2026"
    assert "30 days from now" in notification.body

    run_on(date(2026, 12, 1))
    run_on(date(2026, 12, 10))
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 1

    run_on(date(2026, 12, 24))
    run_on(date(2026, 12, 24))
    run_on(date(2026, 12, 30))
    assert reminders() == [
        ("clerk", 7, EXPIRES),
        ("clerk", 30, EXPIRES),
        ("hall-manager", 7, EXPIRES),
        ("hall-manager", 30, EXPIRES),
    ]
    assert len(mail.outbox) == 2


def test_a_run_that_missed_the_30_day_mark_still_sends_the_30_day_reminder_once(expiring, run_on):
    run_on(date(2026, 12, 15))
    run_on(date(2026, 12, 16))
    assert reminders() == [("clerk", 30, EXPIRES), ("hall-manager", 30, EXPIRES)]


def test_a_renewed_qualification_or_someone_who_left_is_not_reminded(
    clerk_staff, hall, hall_manager, expiring, run_on
):
    qualify(clerk_staff, granted_on=date(2027, 1, 1), expires_on=date(2028, 12, 31))
    gone = StaffFactory(hall=hall, status=Staff.Status.LEFT, user=UserFactory(username="gone"))
    qualify(gone, granted_on=date(2025, 1, 1), expires_on=EXPIRES)
    assert run_on(date(2026, 12, 24)) == 0
    assert Notification.objects.count() == 0


def test_a_new_expiry_date_after_a_correction_is_reminded_again(expiring, run_on):
    run_on(date(2026, 12, 1))
    type(expiring).objects.filter(pk=expiring.pk).update(expires_on=date(2026, 12, 20))
    run_on(date(2026, 12, 14))
    assert reminders() == [
        ("clerk", 7, date(2026, 12, 20)),
        ("clerk", 30, EXPIRES),
        ("hall-manager", 7, date(2026, 12, 20)),
        ("hall-manager", 30, EXPIRES),
    ]


def test_the_job_fans_out_one_run_per_hall_with_expiring_qualifications(hall, other_hall, expiring, run_on):
    qualify(StaffFactory(hall=other_hall), granted_on=date(2025, 1, 1), expires_on=date(2026, 12, 20))
    qualify(StaffFactory(hall=other_hall), granted_on=date(2025, 1, 1), expires_on=date(2027, 6, 30))
    assert run_on(date(2026, 12, 1)) == 2


def test_reminders_are_the_recipients_own(expiring, hall_manager, clerk, run_on):
    run_on(date(2026, 12, 1))
    assert list(Notification.objects.visible_to(clerk).values_list("recipient", flat=True)) == [clerk.pk]


def test_the_calendar_shows_the_users_own_recent_reminders(client, expiring, hall_manager, clerk, run_on):
    run_on(date(2026, 12, 1))
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        client.force_login(clerk)  # sessions last 12 hours: sign in on the day of the visit
        response = client.get(reverse("training:calendar"), HTTP_ACCEPT_LANGUAGE="en")
    assert [r.recipient for r in response.context["reminders"]] == [clerk]
    assert (
        "The Service window qualification of 李营业员 expires on Dec. 31, 2026" in response.content.decode()
    )

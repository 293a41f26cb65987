"""Failed-login lockout: five failures lock a (username, address) pair for 15 minutes, many
failures lock an address; a username alone is never locked, and failures during a lockout do not
extend it."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from halls.lockout import client_address
from tests.halls.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
ATTACKER = "198.51.100.7"
OFFICE = "203.0.113.20"
LOCKED_ZH = "登录失败次数过多。来自您的地址的登录已暂停 15 分钟，请稍后再试或联系分公司管理员。"


@pytest.fixture
def manager(db):
    return UserFactory(username="manager")


def log_in(client, username, password, address, **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def fail(client, username, address, times):
    return [log_in(client, username, "wrong-password", address).status_code for _ in range(times)]


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_fifth_failure_locks_the_pair_and_shows_the_lockout_message(client, manager):
    assert fail(client, "manager", ATTACKER, 4) == [200, 200, 200, 200]

    response = log_in(client, "manager", "wrong-password", ATTACKER)

    assert response.status_code == 429
    assert LOCKED_ZH in response.content.decode()
    assert response.context["form"]["username"].value() == "manager"


def test_a_locked_pair_is_refused_even_with_the_right_password(client, manager):
    fail(client, "manager", ATTACKER, 5)

    response = log_in(client, "manager", PASSWORD, ATTACKER)

    assert response.status_code == 429
    assert LOCKED_ZH in response.content.decode()
    assert not is_logged_in(client)


def test_the_real_user_still_logs_in_from_another_address_while_the_attacker_is_locked(client, manager):
    fail(client, "manager", ATTACKER, 8)

    response = log_in(client, "manager", PASSWORD, OFFICE)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert is_logged_in(client)


def test_the_lockout_ends_after_the_cool_off_period(client, manager):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, "manager", ATTACKER, 5)
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        assert log_in(client, "manager", PASSWORD, ATTACKER).status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert log_in(client, "manager", PASSWORD, ATTACKER).status_code == 302
    assert is_logged_in(client)


def test_failures_during_a_lockout_do_not_extend_it(client, manager):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, "manager", ATTACKER, 5)
    for minute in (5, 10, 14):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert fail(client, "manager", ATTACKER, 3) == [429, 429, 429]
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert log_in(client, "manager", PASSWORD, ATTACKER).status_code == 302
    assert is_logged_in(client)


def test_a_successful_login_clears_the_pairs_failures(client, manager):
    fail(client, "manager", OFFICE, 4)
    assert log_in(client, "manager", PASSWORD, OFFICE).status_code == 302
    client.post(reverse("logout"))

    assert fail(client, "manager", OFFICE, 4) == [200, 200, 200, 200]
    assert log_in(client, "manager", PASSWORD, OFFICE).status_code == 302


@override_settings(HALLOPS_LOGIN_FAILURE_LIMIT_PER_ADDRESS=9)
def test_an_address_trying_many_usernames_is_locked_for_every_username(client, manager):
    for name in ("anna", "bo", "chen"):
        fail(client, name, ATTACKER, 3)  # 9 failures from one address, no pair at its limit

    assert log_in(client, "manager", PASSWORD, ATTACKER).status_code == 429
    assert not is_logged_in(client)
    assert log_in(client, "manager", PASSWORD, OFFICE).status_code == 302


@override_settings(HALLOPS_LOGIN_FAILURE_LIMIT_PER_ADDRESS=9)
def test_a_valid_login_from_the_address_does_not_reset_its_count_of_other_usernames(client, manager):
    UserFactory(username="accomplice")
    for name in ("anna", "bo"):
        fail(client, name, ATTACKER, 4)
    assert log_in(client, "accomplice", PASSWORD, ATTACKER).status_code == 302
    client.post(reverse("logout"))

    assert fail(client, "chen", ATTACKER, 1) == [429]


def test_the_lockout_message_follows_the_language(client, manager):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    fail(client, "manager", ATTACKER, 4)

    response = log_in(client, "manager", "wrong-password", ATTACKER)

    assert response.status_code == 429
    assert (
        "Too many failed log-in attempts. Logging in from your address is paused for 15 minutes; "
        "try again later or ask your branch administrator."
    ) in response.content.decode()


def test_the_admin_login_shares_the_lockout(client, admin_user):
    fail(client, "admin", ATTACKER, 5)

    response = client.post(
        reverse("admin:login"), {"username": "admin", "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 429
    assert not is_logged_in(client)


@override_settings(HALLOPS_TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended_not_a_forged_one(client, manager):
    proxy = "10.0.0.2"
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        log_in(client, "manager", "wrong-password", proxy, HTTP_X_FORWARDED_FOR=f"{forged}, {ATTACKER}")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    locked = log_in(client, "manager", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=f"9.9.9.9, {ATTACKER}")
    assert locked.status_code == 429
    other = log_in(client, "manager", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=OFFICE)
    assert other.status_code == 302


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.2"),
        (1, "1.1.1.1, 203.0.113.20", "203.0.113.20"),
        (2, "1.1.1.1, 203.0.113.20, 10.0.0.9", "203.0.113.20"),
        (2, "203.0.113.20", "10.0.0.2"),  # fewer entries than proxies: not trustworthy
        (1, "not-an-address", "10.0.0.2"),
    ],
)
def test_client_address_counts_trusted_proxies_from_the_right(rf, count, forwarded, expected):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(HALLOPS_TRUSTED_PROXY_COUNT=count):
        assert client_address(request) == expected


def test_the_daily_purge_drops_old_login_logs_but_not_a_live_lockout(client, manager):
    from axes.models import AccessLog

    from halls.tasks import purge_login_records

    start = timezone.now()
    for days_ago in (120, 91, 10):
        with time_machine.travel(start - timedelta(days=days_ago), tick=False):
            assert log_in(client, "manager", PASSWORD, OFFICE).status_code == 302
            client.logout()
    with time_machine.travel(start, tick=False):
        fail(client, "manager", ATTACKER, 5)
    assert AccessLog.objects.count() == 3
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        counts = purge_login_records.delay().get()
        assert counts == {"attempts": 0, "failure_logs": 0, "access_logs": 2}
        assert AccessLog.objects.count() == 1
        assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["manager"]
        assert log_in(client, "manager", PASSWORD, ATTACKER).status_code == 429  # still locked
        assert purge_login_records.delay().get() == {"attempts": 0, "failure_logs": 0, "access_logs": 0}
    with time_machine.travel(start + timedelta(days=2), tick=False):
        assert purge_login_records.delay().get()["attempts"] == 1  # a counter nobody cleared

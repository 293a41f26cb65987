"""Deactivating a user ends their sessions and API token at once; an inactive user's session is
refused on the next request even when the account was switched off without the service."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from halls.exceptions import CannotDeactivateSelf
from halls.models import ApiClient, AuditEvent, UserSession
from halls.services import deactivate_user

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


def logged_in_client(user, address="203.0.113.20") -> Client:
    """A browser that logged in through the login page (the real path, not force_login)."""
    browser = Client()
    response = browser.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=address
    )
    assert response.status_code == 302
    return browser


def test_a_login_records_the_session_under_its_user_and_a_logout_removes_it(hall_manager):
    browser = logged_in_client(hall_manager)

    [session] = UserSession.objects.filter(user=hall_manager)
    assert session.session_key == browser.session.session_key
    assert session.get_decoded()["_auth_user_id"] == str(hall_manager.pk)

    browser.post(reverse("logout"))
    assert not UserSession.objects.filter(user=hall_manager).exists()


def test_an_anonymous_session_has_no_user(client, db):
    client.get(reverse("login"))  # the CSRF token does not need a session; set something that does
    session = client.session
    session["probe"] = 1
    session.save()

    assert UserSession.objects.get(session_key=session.session_key).user_id is None


def test_deactivating_a_user_ends_every_session_at_once(admin_user, hall_manager, branch_manager):
    desk, phone = logged_in_client(hall_manager), logged_in_client(hall_manager, "198.51.100.9")
    colleague = logged_in_client(branch_manager)
    assert desk.get(reverse("dashboard")).status_code == 200

    ended = deactivate_user(actor=admin_user, user=hall_manager)

    assert ended == {"sessions_ended": 2, "api_clients_revoked": 0}
    for browser in (desk, phone):
        response = browser.get(reverse("dashboard"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert colleague.get(reverse("dashboard")).status_code == 200
    hall_manager.refresh_from_db()
    assert hall_manager.is_active is False
    assert not UserSession.objects.filter(user=hall_manager).exists()


def test_deactivating_an_api_clients_user_revokes_its_token(admin_user, hr_client, api):
    assert api.as_token(hr_client.raw_token).get(reverse("api-hall-list")).status_code == 200

    ended = deactivate_user(actor=admin_user, user=hr_client.user)

    assert ended == {"sessions_ended": 0, "api_clients_revoked": 1}
    hr_client.refresh_from_db()
    assert hr_client.is_active is False
    response = api.as_token(hr_client.raw_token).get(reverse("api-hall-list"))
    assert response.status_code == 401


def test_deactivation_is_audited_with_what_it_ended(admin_user, hall_manager):
    logged_in_client(hall_manager)

    deactivate_user(actor=admin_user, user=hall_manager)

    event = AuditEvent.objects.get(action="halls.user.deactivated")
    assert event.actor == admin_user
    assert event.subject_id == str(hall_manager.pk)
    assert event.data == {"sessions_ended": 1, "api_clients_revoked": 0}


def test_deactivating_twice_ends_nothing_more_and_audits_once(admin_user, hall_manager):
    deactivate_user(actor=admin_user, user=hall_manager)

    assert deactivate_user(actor=admin_user, user=hall_manager) == {
        "sessions_ended": 0,
        "api_clients_revoked": 0,
    }
    assert AuditEvent.objects.filter(action="halls.user.deactivated").count() == 1


@pytest.mark.parametrize("sessions", [1, 3])
def test_deactivation_runs_the_same_queries_for_one_or_many_sessions(
    sessions, admin_user, hall_manager, django_assert_num_queries
):
    for n in range(sessions):
        logged_in_client(hall_manager, f"198.51.100.{n + 1}")

    ContentType.objects.get_for_model(hall_manager)  # cached per process: warm it for a fixed count

    # savepoint, lock the user, deactivate, delete sessions, revoke clients, audit row, release
    with django_assert_num_queries(7):
        ended = deactivate_user(actor=admin_user, user=hall_manager)
    assert ended["sessions_ended"] == sessions


def test_only_administrators_may_deactivate_users(branch_manager, hall_manager):
    with pytest.raises(PermissionDenied):
        deactivate_user(actor=branch_manager, user=hall_manager)
    hall_manager.refresh_from_db()
    assert hall_manager.is_active is True


def test_an_administrator_cannot_deactivate_their_own_account(admin_user):
    with pytest.raises(CannotDeactivateSelf) as refused:
        deactivate_user(actor=admin_user, user=admin_user)
    assert refused.value.field == "user"
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


def test_a_session_of_a_user_switched_off_without_the_service_is_refused_on_the_next_request(
    hall_manager, api
):
    browser = logged_in_client(hall_manager)
    api.as_user(hall_manager)
    assert browser.get(reverse("dashboard")).status_code == 200
    assert api.get(reverse("api-hall-list")).status_code == 200

    type(hall_manager).objects.filter(pk=hall_manager.pk).update(is_active=False)

    response = browser.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert api.get(reverse("api-hall-list")).status_code in (401, 403)
    assert UserSession.objects.filter(user=hall_manager).exists()  # still stored, but worthless


def test_an_inactive_user_cannot_log_in(hall_manager, client):
    type(hall_manager).objects.filter(pk=hall_manager.pk).update(is_active=False)

    response = client.post(reverse("login"), {"username": "hall-manager", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_admin_action_deactivates_the_selected_users(admin_user, hall_manager, clerk, hr_client, client):
    manager_browser = logged_in_client(hall_manager)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:auth_user_changelist"),
        {
            "action": "deactivate_users",
            "_selected_action": [hall_manager.pk, hr_client.user.pk],
        },
        follow=True,
    )

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "已停用用户：2 个。已结束会话：1 个。已吊销 API 令牌：1 个。"
    ]
    assert manager_browser.get(reverse("dashboard")).status_code == 302
    assert ApiClient.objects.get(pk=hr_client.pk).is_active is False
    clerk.refresh_from_db()
    assert clerk.is_active is True
    assert AuditEvent.objects.filter(action="halls.user.deactivated", actor=admin_user).count() == 2


def test_the_admin_action_reports_a_refusal_beside_the_user(admin_user, client):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [admin_user.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["admin: 您不能停用自己的账号。"]
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


@pytest.mark.parametrize(
    "password",
    ["short", "12345678901", "password123", "hall-manager1"],
)
def test_password_validators_refuse_weak_passwords(hall_manager, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=hall_manager)


def test_the_sessions_admin_lists_who_is_signed_in_without_the_session_keys(admin_user, hall_manager, client):
    manager_browser = logged_in_client(hall_manager)
    key = manager_browser.session.session_key
    client.force_login(admin_user)

    response = client.get(reverse("admin:halls_usersession_changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "hall-manager" in html
    assert key not in html
    assert client.get(reverse("admin:halls_usersession_add")).status_code == 403

import re

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from halls.models import ApiClient, AuditEvent, Hall, Region, hash_token
from staffing.models import Staff, StaffPosting
from tests.halls.factories import UserFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"halls", "staffing"}
READ_ONLY = {
    "auditevent",
    "staffposting",
    "regionevent",
    "hallevent",
    "staffevent",
    "roster",
    "assignment",
    "leave",
    "staffrequest",
    "loanrecord",
    "trafficrecord",
    "qualification",
    "idempotencykey",
    "usersession",
    "notification",
    "disciplinerecord",
}


def project_models():
    return [m for m in admin.site._registry if m._meta.app_label in PROJECT_APPS]


def test_every_project_model_is_registered_in_the_admin():
    from django.apps import apps

    registered = {m._meta.label for m in project_models()}
    expected = {m._meta.label for app in PROJECT_APPS for m in apps.get_app_config(app).get_models()}
    assert registered == expected


def test_every_admin_changelist_and_form_opens(client, admin_user, cast, clerk_staff):
    client.force_login(admin_user)
    for model in project_models():
        opts = model._meta
        changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.label
        add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert add.status_code == (403 if opts.model_name in READ_ONLY else 200), opts.label
        obj = model.objects.first()
        if obj is not None:
            change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            assert change.status_code == 200, opts.label


def test_evidence_is_read_only_in_the_admin(client, admin_user, cast, clerk_staff):
    client.force_login(admin_user)
    event = AuditEvent.objects.create(
        actor=admin_user, action="x", subject_type=ContentType.objects.get_for_model(Hall), subject_id="1"
    )
    url = reverse("admin:halls_auditevent_change", args=[event.pk])
    assert client.post(url, {"action": "changed"}).status_code == 403
    delete = reverse("admin:halls_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "x"
    posting = StaffPosting.objects.get(staff=clerk_staff)
    assert (
        client.post(
            reverse("admin:staffing_staffposting_delete", args=[posting.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_adding_a_region_in_the_admin_goes_through_create_region(client, admin_user, branch):
    client.force_login(admin_user)
    url = reverse("admin:halls_region_add")
    response = client.post(url, {"code": "CT09", "name": "新县公司", "kind": "county", "parent": branch.pk})
    assert response.status_code == 302
    region = Region.objects.get(code="CT09")
    assert region.path == "/BR01/CT09/"
    assert AuditEvent.objects.filter(action="halls.region.created", subject_id=str(region.pk)).exists()
    response = client.post(url, {"code": "CT10", "name": "孤县", "kind": "county"})
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not Region.objects.filter(code="CT10").exists()


def test_creating_an_api_client_in_the_admin_shows_the_token_once_and_stores_its_hash(
    client, admin_user, branch
):
    client.force_login(admin_user)
    user = UserFactory(username="hr-system")
    response = client.post(
        reverse("admin:halls_apiclient_add"),
        {"name": "HR", "user": user.pk, "regions": [branch.pk], "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    token = re.search(r"hop_[A-Za-z0-9_-]{40,}", page).group(0)
    api = ApiClient.objects.get(name="HR")
    assert api.token_hash == hash_token(token)
    assert list(api.regions.values_list("code", flat=True)) == ["BR01"]
    for url in (
        reverse("admin:halls_apiclient_changelist"),
        reverse("admin:halls_apiclient_change", args=[api.pk]),
    ):
        assert token not in client.get(url).content.decode()


def test_adding_a_hall_and_staff_in_the_admin_uses_the_services(client, admin_user, county):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:halls_hall_add"),
        {
            "code": "H050",
            "name": "管理后台营业厅",
            "hall_class": "A",
            "operation": "self",
            "region": county.pk,
            "window_count": 6,
            "min_staff_offpeak": 3,
            "min_staff_peak": 4,
            "is_active": "on",
            "opening_hours-TOTAL_FORMS": 0,
            "opening_hours-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    hall = Hall.objects.get(code="H050")
    assert AuditEvent.objects.filter(action="halls.hall.created", hall=hall).exists()
    response = client.post(
        reverse("admin:staffing_staff_add"),
        {
            "employee_no": "A0001",
            "name": "后台新人",
            "hall": hall.pk,
            "post": "clerk",
            "employment_type": "formal",
            "hire_date": "2026-10-08",
            "status": "probation",
            "star_level": 0,
            "postings-TOTAL_FORMS": 0,
            "postings-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    staff = Staff.objects.get(employee_no="A0001")
    assert list(staff.postings.values_list("hall__code", "ended_on")) == [("H050", None)]
    assert AuditEvent.objects.filter(action="staffing.staff.created", subject_id=str(staff.pk)).exists()

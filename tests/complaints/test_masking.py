import pytest
from django.core.exceptions import PermissionDenied

from complaints import services
from complaints.masking import mask_name, mask_phone
from halls.models import AuditEvent
from tests.halls.factories import UserFactory
from tests.staffing.factories import StaffFactory

UNMASKED = {"customer_name": "张三丰", "customer_phone": "13812345678", "contact_masked": False}
MASKED = {"customer_name": "张**", "customer_phone": "138****5678", "contact_masked": True}


def test_masks_keep_only_the_ends():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "+86*******5678"
    assert mask_phone("84561234") == "84****34"
    assert mask_name("张三丰") == "张**"
    assert mask_name("Li") == "L*"
    assert mask_name("王") == "王*"


@pytest.fixture
def handed(received, cast, second_clerk):
    """Received by the cast clerk, now handled by a second clerk."""
    return services.assign_complaint(actor=cast.hall_manager, complaint=received, handler=second_clerk.user)


@pytest.fixture
def bystander(hall):
    return StaffFactory(hall=hall, user=UserFactory(username="bystander")).user


def viewers(cast, second_clerk, bystander):
    return {
        "first receiver": (cast.clerk, True),
        "current handler": (second_clerk.user, True),
        "hall manager": (cast.hall_manager, True),
        "branch manager": (cast.branch_manager, True),
        "inspector": (cast.inspector, False),
        "clerk of the hall not on the complaint": (bystander, False),
    }


ROLES = [
    "first receiver",
    "current handler",
    "hall manager",
    "branch manager",
    "inspector",
    "clerk of the hall not on the complaint",
]
CONTACT_VIEWED = "complaints.complaint.contact_viewed"


def contact_views():
    return AuditEvent.objects.filter(action=CONTACT_VIEWED)


def reveal_url(complaint) -> str:
    return f"/api/v1/complaints/{complaint.pk}/reveal-contact/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_reading_a_single_complaint_is_masked_for_everyone_and_audits_nothing(
    handed, cast, second_clerk, bystander, api, role
):
    user, _ = viewers(cast, second_clerk, bystander)[role]
    response = api.as_user(user).get(f"/api/v1/complaints/{handed.pk}/")
    assert response.status_code == 200
    assert {key: response.json()[key] for key in MASKED} == MASKED
    assert not contact_views().exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_the_people_handling_a_complaint_reveal_its_contact_and_each_reveal_is_audited_once(
    handed, cast, second_clerk, bystander, api, role
):
    user, handles = viewers(cast, second_clerk, bystander)[role]
    response = api.as_user(user).post(reveal_url(handed))
    if not handles:  # sees the complaint, may not reveal: 403, nothing revealed or audited
        assert response.status_code == 403
        assert "张三丰" not in response.content.decode() and "13812345678" not in response.content.decode()
        assert not contact_views().exists()
        return
    assert response.status_code == 200
    assert response.json() == UNMASKED
    audit = contact_views().get()
    assert (audit.actor, audit.subject_id, audit.hall, audit.data) == (
        user,
        str(handed.pk),
        cast.hall,
        {"purpose": "api"},
    )


@pytest.mark.django_db
def test_every_reveal_writes_its_own_audit_row_and_reads_in_between_write_none(handed, cast, api):
    client = api.as_user(cast.hall_manager)
    for expected in (1, 2):
        assert client.post(reveal_url(handed)).json() == UNMASKED
        assert contact_views().count() == expected
        client.get(f"/api/v1/complaints/{handed.pk}/")
        client.get("/api/v1/complaints/")
        assert contact_views().count() == expected


@pytest.mark.django_db
def test_a_reveal_out_of_the_callers_scope_is_a_404_and_audits_nothing(handed, cast, api):
    response = api.as_user(cast.other_hall_manager).post(reveal_url(handed))
    assert response.status_code == 404
    assert not contact_views().exists()


@pytest.mark.django_db
def test_a_reveal_is_not_a_read(handed, cast, api):
    """Only the explicit POST reveals: a GET of the action's URL is refused (the permission class
    maps no read to it) and shows nothing."""
    response = api.as_user(cast.hall_manager).get(reveal_url(handed))
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert not contact_views().exists()


@pytest.mark.django_db
def test_the_hr_client_reads_complaints_masked_and_a_read_only_client_cannot_reveal(handed, cast, api):
    client = api.as_token(cast.hr_client.raw_token)
    body = client.get(f"/api/v1/complaints/{handed.pk}/").json()
    assert {key: body[key] for key in MASKED} == MASKED
    refused = client.post(reveal_url(handed))
    assert refused.status_code == 403
    assert "complaints:write" in refused.json()["detail"]
    assert not contact_views().exists()


@pytest.mark.django_db
def test_another_halls_manager_does_not_see_the_complaint_at_all(handed, cast, api):
    assert api.as_user(cast.other_hall_manager).get(f"/api/v1/complaints/{handed.pk}/").status_code == 404


@pytest.mark.django_db
def test_lists_mask_every_customer_even_for_the_hall_manager(handed, cast, api):
    rows = api.as_user(cast.hall_manager).get("/api/v1/complaints/").json()["results"]
    assert [(r["customer_name"], r["customer_phone"], r["contact_masked"]) for r in rows] == [
        ("张**", "138****5678", True)
    ]
    assert not contact_views().exists()


@pytest.mark.django_db
def test_the_contact_service_audits_every_reveal_separately_and_refuses_everyone_else(handed, cast):
    for _ in range(2):
        contact = services.reveal_customer_contact(actor=cast.hall_manager, complaint=handed, purpose="page")
        assert (contact.name, contact.phone, contact.masked) == ("张三丰", "13812345678", False)
    with pytest.raises(PermissionDenied):
        services.reveal_customer_contact(actor=cast.inspector, complaint=handed)
    assert contact_views().count() == 2

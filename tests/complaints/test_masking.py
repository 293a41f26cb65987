import pytest

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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    [
        "first receiver",
        "current handler",
        "hall manager",
        "branch manager",
        "inspector",
        "clerk of the hall not on the complaint",
    ],
)
def test_a_single_complaint_is_unmasked_only_for_the_people_handling_it_and_each_view_is_audited(
    handed, cast, second_clerk, bystander, api, role
):
    user, sees = viewers(cast, second_clerk, bystander)[role]
    body = api.as_user(user).get(f"/api/v1/complaints/{handed.pk}/").json()
    expected = UNMASKED if sees else MASKED
    assert {key: body[key] for key in expected} == expected
    views = AuditEvent.objects.for_object(handed).filter(action="complaints.complaint.contact_viewed")
    if sees:
        audit = views.get()
        assert (audit.actor, audit.hall, audit.data) == (user, cast.hall, {"purpose": "api"})
    else:
        assert not views.exists()


@pytest.mark.django_db
def test_the_hr_client_reads_complaints_masked(handed, cast, api):
    body = api.as_token(cast.hr_client.raw_token).get(f"/api/v1/complaints/{handed.pk}/").json()
    assert {key: body[key] for key in MASKED} == MASKED


@pytest.mark.django_db
def test_another_halls_manager_does_not_see_the_complaint_at_all(handed, cast, api):
    assert api.as_user(cast.other_hall_manager).get(f"/api/v1/complaints/{handed.pk}/").status_code == 404


@pytest.mark.django_db
def test_lists_mask_every_customer_even_for_the_hall_manager(handed, cast, api):
    rows = api.as_user(cast.hall_manager).get("/api/v1/complaints/").json()["results"]
    assert [(r["customer_name"], r["customer_phone"], r["contact_masked"]) for r in rows] == [
        ("张**", "138****5678", True)
    ]
    assert not AuditEvent.objects.filter(action="complaints.complaint.contact_viewed").exists()


@pytest.mark.django_db
def test_the_contact_service_audits_every_unmasked_view_separately(handed, cast):
    for _ in range(2):
        contact = services.customer_contact_for(actor=cast.hall_manager, complaint=handed, purpose="page")
        assert (contact.name, contact.phone, contact.masked) == ("张三丰", "13812345678", False)
    masked = services.customer_contact_for(actor=cast.inspector, complaint=handed)
    assert (masked.name, masked.phone, masked.masked) == ("张**", "138****5678", True)
    assert AuditEvent.objects.filter(action="complaints.complaint.contact_viewed").count() == 2

import pytest

from halls.models import Hall
from staffing.models import Staff
from tests.halls.factories import HallFactory
from tests.staffing.factories import StaffFactory


@pytest.mark.django_db
def test_branch_manager_sees_every_hall_of_the_branch_subtree_and_nothing_else(cast):
    visible = set(Hall.objects.visible_to(cast.branch_manager).values_list("code", flat=True))
    assert visible == {"H001", "H002"}


@pytest.mark.django_db
def test_hall_manager_sees_only_own_hall(cast):
    assert list(Hall.objects.visible_to(cast.hall_manager).values_list("code", flat=True)) == ["H001"]


@pytest.mark.django_db
def test_clerk_sees_own_hall_but_only_own_staff_record(cast, clerk_staff):
    StaffFactory(hall=cast.hall)
    assert list(Hall.objects.visible_to(cast.clerk)) == [cast.hall]
    assert list(Staff.objects.visible_to(cast.clerk)) == [clerk_staff]


@pytest.mark.django_db
def test_hall_manager_never_sees_another_halls_staff(cast):
    StaffFactory(hall=cast.other_hall, employee_no="X1")
    StaffFactory(hall=cast.foreign_hall, employee_no="X2")
    codes = set(Staff.objects.visible_to(cast.hall_manager).values_list("hall__code", flat=True))
    assert codes == {"H001"}


@pytest.mark.django_db
def test_hr_client_sees_its_regions_only(cast):
    user = cast.hr_client.user
    assert set(Hall.objects.visible_to(user).values_list("code", flat=True)) == {"H001", "H002"}


@pytest.mark.django_db
def test_anonymous_and_deactivated_users_see_nothing(cast, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not Hall.objects.visible_to(AnonymousUser()).exists()
    cast.branch_manager.is_active = False
    assert not Hall.objects.visible_to(cast.branch_manager).exists()


@pytest.mark.django_db
def test_superuser_sees_all_halls(admin_user, cast):
    HallFactory()
    assert Hall.objects.visible_to(admin_user).count() == Hall.objects.count() == 4

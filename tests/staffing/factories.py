import datetime

import factory

from staffing.models import Staff, StaffPosting
from tests.halls.factories import HallFactory


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    employee_no = factory.Sequence(lambda n: f"E{n:06d}")
    name = factory.Sequence(lambda n: f"Clerk {n}")
    hall = factory.SubFactory(HallFactory)
    post = Staff.Post.CLERK
    employment_type = Staff.EmploymentType.FORMAL
    hire_date = datetime.date(2024, 3, 1)
    status = Staff.Status.ACTIVE
    star_level = 3

    @factory.post_generation
    def posting(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            StaffPosting.objects.create(staff=obj, hall=obj.hall, post=obj.post, started_on=obj.hire_date)

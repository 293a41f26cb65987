import datetime
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from halls.models import OpeningHours
from staffing.models import Assignment, Qualification, Roster, ShiftType, Staff, StaffPosting
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


class ShiftTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShiftType

    hall = factory.SubFactory(HallFactory)
    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.LazyAttribute(lambda s: f"Shift {s.code}")
    start = datetime.time(9, 0)
    end = datetime.time(17, 0)
    break_minutes = 60


class RosterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Roster

    hall = factory.SubFactory(HallFactory)
    period_start = datetime.date(2026, 3, 2)
    period_end = datetime.date(2026, 3, 8)
    version = factory.Sequence(lambda n: n + 1)
    requirement = factory.LazyAttribute(
        lambda r: {
            (r.period_start + datetime.timedelta(days=i)).isoformat(): {
                str(h): {"required": 1, "minimum": 1, "erlang": 0, "forecast": None, "peak": False}
                for h in range(9, 17)
            }
            for i in range((r.period_end - r.period_start).days + 1)
        }
    )


def make_assignment(roster, staff, day, shift, post="window") -> Assignment:
    zone = ZoneInfo("Asia/Shanghai")
    return Assignment.objects.create(
        roster=roster,
        staff=staff,
        date=day,
        shift_type=shift,
        post=post,
        starts_at=datetime.datetime.combine(day, shift.start, tzinfo=zone),
        ends_at=datetime.datetime.combine(day, shift.end, tzinfo=zone),
    )


def qualify(staff, *, post="window", granted_on=datetime.date(2024, 1, 1), expires_on=None) -> Qualification:
    return Qualification.objects.create(
        staff=staff,
        post=post,
        granted_on=granted_on,
        expires_on=expires_on,
        source=Qualification.Source.MANUAL,
    )


def weekly_opening_hours(hall, opens=datetime.time(9, 0), closes=datetime.time(17, 0), weekdays=range(7)):
    return OpeningHours.objects.bulk_create(
        [OpeningHours(hall=hall, weekday=d, opens_at=opens, closes_at=closes) for d in weekdays]
    )


class AssignmentFactory(factory.django.DjangoModelFactory):
    """One shift of one person on the roster's first day; starts/ends follow the shift type."""

    class Meta:
        model = Assignment

    roster = factory.SubFactory(RosterFactory)
    staff = factory.SubFactory(StaffFactory, hall=factory.SelfAttribute("..roster.hall"))
    shift_type = factory.SubFactory(ShiftTypeFactory, hall=factory.SelfAttribute("..roster.hall"))
    date = factory.LazyAttribute(lambda a: a.roster.period_start)
    starts_at = factory.LazyAttribute(
        lambda a: timezone.make_aware(datetime.datetime.combine(a.date, a.shift_type.start))
    )
    ends_at = factory.LazyAttribute(
        lambda a: timezone.make_aware(datetime.datetime.combine(a.date, a.shift_type.end))
    )

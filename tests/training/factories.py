import datetime
from decimal import Decimal

import factory

from tests.staffing.factories import StaffFactory
from training.models import (
    Attendance,
    AttendanceStatus,
    ExamKind,
    ExamResult,
    ImprovementPlan,
    ImprovementWeakPoint,
    ProgramKind,
    ProgramStage,
    SessionKind,
    TrainingProgram,
    TrainingSession,
)


class TrainingProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingProgram

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Programme {n}")
    kind = ProgramKind.IN_SERVICE
    target_posts = factory.LazyFunction(lambda: ["clerk"])
    required_hours = Decimal("4")
    qualification_post = ""


class OnboardingProgramFactory(TrainingProgramFactory):
    kind = ProgramKind.ONBOARDING
    qualification_post = "window"
    qualification_valid_months = 24
    required_hours = Decimal("4")


class ProgramStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramStage

    program = factory.SubFactory(OnboardingProgramFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Stage {n}")
    required_hours = Decimal("2")


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    """A session in the given `halls` (a list; default: none)."""

    class Meta:
        model = TrainingSession
        skip_postgeneration_save = True

    kind = SessionKind.CLASSROOM
    topic = factory.Sequence(lambda n: f"Topic {n}")
    date = datetime.date(2026, 11, 10)
    starts_at = datetime.time(9, 0)
    duration_minutes = 120
    trainer = "培训师"

    @factory.post_generation
    def halls(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.halls.set(extracted)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(TrainingSessionFactory)
    staff = factory.SubFactory(StaffFactory)
    hall = factory.SelfAttribute("staff.hall")
    status = AttendanceStatus.PRESENT
    hours = factory.LazyAttribute(lambda a: a.session.hours if a.status == "present" else Decimal("0"))


class ExamResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExamResult

    staff = factory.SubFactory(StaffFactory)
    hall = factory.SelfAttribute("staff.hall")
    kind = ExamKind.WRITTEN
    taken_on = datetime.date(2026, 11, 10)
    score = Decimal("80")
    max_score = Decimal("100")
    pass_mark = Decimal("60")


class ImprovementPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImprovementPlan
        skip_postgeneration_save = True

    staff = factory.SubFactory(StaffFactory)
    hall = factory.SelfAttribute("staff.hall")
    owner = factory.SelfAttribute("staff")
    month = datetime.date(2026, 10, 1)
    goal = "提升业务熟练度"

    @factory.post_generation
    def weak_points(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            ImprovementWeakPoint.objects.create(
                plan=obj,
                indicator_code="accuracy",
                indicator_name="业务差错",
                score=Decimal("4"),
                max_points=Decimal("10"),
            )

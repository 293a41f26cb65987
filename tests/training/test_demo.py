from decimal import Decimal

import pytest
from django.db.models import F, Q

from halls.demo import run_seed
from staffing.models import Qualification, Staff
from training.models import Attendance, ExamResult, ImprovementPlan, TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db


def test_the_small_seed_gives_every_hall_a_month_of_training_and_the_first_hall_qualifications(db):
    context = run_seed(scale="small", seed=1, log=lambda message: None)
    assert sorted(TrainingProgram.objects.values_list("code", "kind")) == [
        ("INS", "in_service"),
        ("ONB", "onboarding"),
        ("VIP", "specialised"),
    ]
    figures = context.extra["training"]
    assert figures["sessions"] == TrainingSession.objects.count()
    assert figures["attendance"] == Attendance.objects.count() > 1000
    assert figures["exams"] == ExamResult.objects.count() > 100
    for hall in context.halls:
        month = TrainingSession.objects.in_hall(hall).filter(date__month=10)
        assert month.filter(kind="morning_meeting").count() == 4  # the Mondays of October 2026
        assert month.filter(kind="drill", exam_kind="oral").count() == 1
    # Everyone recorded works in a hall of the session; exams stay within their range.
    assert not Attendance.objects.exclude(session__halls=F("hall")).exists()
    assert not ExamResult.objects.filter(Q(score__gt=F("max_score")) | Q(score__lt=0)).exists()
    assert not Attendance.objects.filter(status="present", hours__lte=Decimal("0")).exists()
    # The first hall has qualifications granted through the services, and the demo clerk a plan.
    first = context.halls[0]
    clerks = Staff.objects.current().filter(hall=first, post="clerk")
    qualified = Qualification.objects.filter(staff__in=clerks)
    assert qualified.count() >= clerks.exclude(status="probation").count()
    assert (
        qualified.filter(source="training").count()
        == qualified.filter(source_ref="training.program:ONB").count()
    )
    plan = ImprovementPlan.objects.get(staff__user__username="clerk")
    assert plan.weak_points.count() == 2 and plan.steps.count() == 3

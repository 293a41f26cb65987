from datetime import date
from decimal import Decimal

import pytest

from tests.training.factories import AttendanceFactory, ExamResultFactory, TrainingSessionFactory
from training.scoring import score_facts_for_training

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_the_months_attendance_and_exams_become_score_facts_with_their_evidence(
    hall, clerk_staff, colleague, django_assert_num_queries
):
    drill = TrainingSessionFactory(
        halls=[hall], kind="drill", topic="携号转网", date=date(2026, 11, 3), duration_minutes=45
    )
    present = AttendanceFactory(session=drill, staff=clerk_staff)
    absent = AttendanceFactory(session=drill, staff=colleague, status="absent")
    exam = ExamResultFactory(
        staff=clerk_staff,
        session=drill,
        kind="oral",
        taken_on=date(2026, 11, 3),
        score=Decimal("8.5"),
        max_score=Decimal("10"),
        pass_mark=Decimal("6"),
    )
    october = TrainingSessionFactory(halls=[hall], date=date(2026, 10, 31))
    AttendanceFactory(session=october, staff=clerk_staff)
    ExamResultFactory(staff=clerk_staff, taken_on=date(2026, 12, 1))

    with django_assert_num_queries(2):
        facts = score_facts_for_training(month=date(2026, 11, 17))

    november = date(2026, 11, 1)
    assert facts == [
        {
            "staff_id": clerk_staff.pk,
            "hall_id": hall.pk,
            "month": november,
            "source": "training",
            "indicator_code": "training_attendance",
            "value": Decimal("0.75"),
            "points": Decimal("0.75"),
            "status": "present",
            "evidence_type": "training_attendance",
            "evidence_id": present.pk,
            "description": "2026-11-03 On-the-job drill “携号转网”: Present, 0.75 h",
        },
        {
            "staff_id": colleague.pk,
            "hall_id": hall.pk,
            "month": november,
            "source": "training",
            "indicator_code": "training_attendance",
            "value": Decimal("0.00"),
            "points": Decimal("0.00"),
            "status": "absent",
            "evidence_type": "training_attendance",
            "evidence_id": absent.pk,
            "description": "2026-11-03 On-the-job drill “携号转网”: Absent, 0 h",
        },
        {
            "staff_id": clerk_staff.pk,
            "hall_id": hall.pk,
            "month": november,
            "source": "training",
            "indicator_code": "training_exam",
            "value": Decimal("8.5"),
            "points": Decimal("85.00"),
            "passed": True,
            "evidence_type": "training_exam",
            "evidence_id": exam.pk,
            "description": "2026-11-03 Oral exam “携号转网”: 8.5 of 10 (pass mark 6)",
        },
    ]


def test_a_month_without_training_gives_no_facts(db):
    assert score_facts_for_training(month=date(2026, 1, 1)) == []

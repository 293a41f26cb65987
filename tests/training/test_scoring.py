from datetime import date
from decimal import Decimal

import pytest

from assessment.services import FactInput
from tests.training.factories import AttendanceFactory, ExamResultFactory, TrainingSessionFactory
from training.scoring import absence_value, exam_percent, score_facts_for_training

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

    def fact(staff, measure, value, evidence_type, evidence, label):
        return FactInput(
            staff_id=staff.pk,
            hall_id=hall.pk,
            occurred_on=date(2026, 11, 3),
            source="training",
            measure=measure,
            value=Decimal(value),
            evidence_type=evidence_type,
            evidence_id=evidence.pk,
            evidence_label=label,
        )

    assert facts == [
        fact(
            clerk_staff,
            "training_absences",
            "0",
            "training_attendance",
            present,
            "2026-11-03 On-the-job drill “携号转网”: Present, 0.75 h",
        ),
        fact(
            colleague,
            "training_absences",
            "1",
            "training_attendance",
            absent,
            "2026-11-03 On-the-job drill “携号转网”: Absent, 0 h",
        ),
        fact(
            clerk_staff,
            "exam_score",
            "85.00",
            "training_exam",
            exam,
            "2026-11-03 Oral exam “携号转网”: 8.5 of 10 (pass mark 6)",
        ),
    ]


def test_only_an_absence_without_excuse_counts_against():
    assert [absence_value(s) for s in ("present", "absent", "excused")] == [0, 1, 0]


@pytest.mark.parametrize(
    ("score", "maximum", "percent"),
    [
        ("8.5", "10", "85.00"),
        ("2", "3", "66.67"),
        ("1", "8", "12.50"),
        ("0", "50", "0.00"),
        ("50", "50", "100.00"),
    ],
)
def test_an_exam_counts_as_its_score_in_percent_of_the_maximum(score, maximum, percent):
    assert exam_percent(Decimal(score), Decimal(maximum)) == Decimal(percent)


def test_a_month_without_training_gives_no_facts(db):
    assert score_facts_for_training(month=date(2026, 1, 1)) == []

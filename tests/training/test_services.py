from datetime import date, time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from halls.models import AuditEvent
from tests.staffing.factories import StaffFactory
from tests.training.factories import (
    ExamResultFactory,
    OnboardingProgramFactory,
    ProgramStageFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training import services
from training.exceptions import (
    AttendanceRowsInvalid,
    ExamSettingsInvalid,
    ProgramInvalid,
    StageInvalid,
    TrainingHallNotAllowed,
)
from training.models import Attendance, ExamResult, ProgramStage, TrainingSession
from training.services import AttendanceEntry, record_hall_attendance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def record(actor, session, hall, *rows):
    return record_hall_attendance(
        actor=actor, session=session, hall=hall, rows=[AttendanceEntry(*row) for row in rows]
    )


def test_someone_outside_the_sessions_halls_refuses_the_whole_sheet(
    hall_manager, hall, exam_session, clerk_staff, foreign_hall
):
    stranger = StaffFactory(hall=foreign_hall, name="外人")
    with pytest.raises(AttendanceRowsInvalid) as caught:
        record(
            hall_manager,
            exam_session,
            hall,
            (clerk_staff.pk, "present", "90"),
            (stranger.pk, "present", None),
        )
    assert caught.value.message == "1 rows need correcting; nothing was saved."
    assert caught.value.row_errors == {
        stranger.pk: {"staff": "外人 does not work in a hall of this session."}
    }
    assert Attendance.objects.count() == ExamResult.objects.count() == 0
    assert not AuditEvent.objects.filter(action="training.attendance.recorded").exists()


def test_someone_of_the_sessions_other_hall_is_entered_with_that_hall(
    hall_manager, hall, other_hall, exam_session
):
    neighbour = StaffFactory(hall=other_hall, name="邻厅")
    with pytest.raises(AttendanceRowsInvalid) as caught:
        record(hall_manager, exam_session, hall, (neighbour.pk, "present", None))
    assert caught.value.row_errors[neighbour.pk] == {
        "staff": "邻厅 works in another hall of this session; enter them with that hall."
    }


@pytest.mark.parametrize(
    ("status", "score", "error"),
    [
        ("present", "100.5", "Enter a score between 0 and 100."),
        ("present", "-1", "Enter a score between 0 and 100."),
        ("present", "abc", "Enter a number."),
        ("present", "NaN", "Enter a number."),
        ("present", "59.55", "Use at most one decimal place."),
        ("absent", "70", "Only people present can have an exam score."),
    ],
)
def test_a_wrong_score_refuses_the_sheet_with_the_rows_message(
    hall_manager, hall, exam_session, clerk_staff, colleague, status, score, error
):
    with pytest.raises(AttendanceRowsInvalid) as caught:
        record(
            hall_manager, exam_session, hall, (colleague.pk, "present", "80"), (clerk_staff.pk, status, score)
        )
    assert caught.value.row_errors == {clerk_staff.pk: {"score": error}}
    assert Attendance.objects.count() == ExamResult.objects.count() == 0


def test_a_score_for_a_session_without_an_exam_is_refused(hall_manager, hall, clerk_staff):
    session = TrainingSessionFactory(halls=[hall])
    with pytest.raises(AttendanceRowsInvalid) as caught:
        record(hall_manager, session, hall, (clerk_staff.pk, "present", "80"))
    assert caught.value.row_errors == {clerk_staff.pk: {"score": "This session has no exam."}}


def test_unknown_status_and_duplicate_rows_are_row_errors(hall_manager, hall, exam_session, clerk_staff):
    with pytest.raises(AttendanceRowsInvalid) as caught:
        record(
            hall_manager,
            exam_session,
            hall,
            (clerk_staff.pk, "late", None),
            (clerk_staff.pk, "present", None),
        )
    assert caught.value.row_errors == {
        clerk_staff.pk: {
            "status": "Choose present, absent or excused.",
            "staff": "This person is listed twice.",
        },
    }


def test_the_database_refuses_a_score_above_the_maximum_even_without_the_service(clerk_staff):
    with pytest.raises(IntegrityError, match="exam_result_score_within_range"), transaction.atomic():
        ExamResultFactory(staff=clerk_staff, score=Decimal("101"))


def test_the_database_refuses_hours_for_someone_absent(clerk_staff, hall):
    session = TrainingSessionFactory(halls=[hall])
    with pytest.raises(IntegrityError, match="attendance_hours_only_when_present"), transaction.atomic():
        Attendance.objects.create(session=session, staff=clerk_staff, hall=hall, status="absent", hours=1)


def test_a_hall_outside_the_session_or_the_actors_reach_is_refused(
    hall_manager, other_hall_manager, hall, other_hall, clerk_staff
):
    session = TrainingSessionFactory(halls=[other_hall])
    with pytest.raises(TrainingHallNotAllowed, match="This session is not held in 人民路营业厅."):
        record(hall_manager, session, hall, (clerk_staff.pk, "present", None))
    own = TrainingSessionFactory(halls=[hall])
    with pytest.raises(TrainingHallNotAllowed, match="You cannot manage training in 人民路营业厅."):
        record(other_hall_manager, own, hall, (clerk_staff.pk, "present", None))


def test_entering_the_sheet_again_corrects_rows_without_duplicating_them(
    hall_manager, hall, exam_session, clerk_staff, colleague
):
    record(
        hall_manager, exam_session, hall, (clerk_staff.pk, "present", "50"), (colleague.pk, "absent", None)
    )
    record(hall_manager, exam_session, hall, (clerk_staff.pk, "present", "75"), (colleague.pk, "present", ""))
    assert sorted(Attendance.objects.values_list("staff__employee_no", "status", "hours")) == [
        ("C0001", "present", Decimal("2.00")),
        ("C0002", "present", Decimal("2.00")),
    ]
    assert list(ExamResult.objects.values_list("staff__employee_no", "score", "kind", "taken_on")) == [
        ("C0001", Decimal("75.0"), "written", exam_session.date)
    ]
    assert AuditEvent.objects.filter(action="training.attendance.recorded").count() == 2


def test_a_session_is_scheduled_for_managed_halls_with_consistent_exam_settings(
    hall_manager, hall, other_hall, onboarding
):
    stage = onboarding.stages.get(order=1)
    session = services.create_session(
        actor=hall_manager,
        kind="classroom",
        topic="业务知识（一）",
        date=date(2026, 11, 3),
        starts_at=time(14, 0),
        duration_minutes=90,
        trainer="李老师",
        halls=[hall],
        program=onboarding,
        stage=stage,
        exam_kind="oral",
        exam_pass_mark=Decimal("60"),
    )
    assert (session.exam_max_score, session.hours) == (Decimal("100"), Decimal("1.50"))
    assert AuditEvent.objects.get(action="training.session.created").hall == hall
    base = {
        "kind": "classroom",
        "topic": "t",
        "date": date(2026, 11, 3),
        "starts_at": time(9),
        "trainer": "x",
    }
    with pytest.raises(TrainingHallNotAllowed):
        services.create_session(actor=hall_manager, duration_minutes=60, halls=[other_hall], **base)
    with pytest.raises(ExamSettingsInvalid, match="Enter a pass mark above 0 and at most 10."):
        services.create_session(
            actor=hall_manager,
            duration_minutes=60,
            halls=[hall],
            exam_kind="written",
            exam_max_score=Decimal("10"),
            exam_pass_mark=Decimal("12"),
            **base,
        )
    other_stage = ProgramStageFactory(program=OnboardingProgramFactory())
    with pytest.raises(StageInvalid):
        services.create_session(
            actor=hall_manager,
            duration_minutes=60,
            halls=[hall],
            program=onboarding,
            stage=other_stage,
            **base,
        )
    assert TrainingSession.objects.count() == 1


def test_a_programme_is_defined_with_ordered_stages_by_branch_management(branch_manager, hall_manager):
    program = services.create_program(
        actor=branch_manager,
        code="ONB-2026",
        name="2026 入职培训",
        kind="onboarding",
        target_posts=["clerk", "guide"],
        required_hours=Decimal("16"),
        stages=[("业务知识", Decimal("8")), ("服务礼仪", Decimal("4")), ("跟岗实习", Decimal("4"))],
        qualification_post="window",
    )
    assert list(ProgramStage.objects.filter(program=program).values_list("order", "name")) == [
        (1, "业务知识"),
        (2, "服务礼仪"),
        (3, "跟岗实习"),
    ]
    with pytest.raises(ProgramInvalid, match="An onboarding programme grants a post qualification."):
        services.create_program(
            actor=branch_manager,
            code="X",
            name="x",
            kind="onboarding",
            target_posts=["clerk"],
            required_hours=Decimal("4"),
        )
    with pytest.raises(ProgramInvalid, match="The stages need more hours than the programme."):
        services.create_program(
            actor=branch_manager,
            code="Y",
            name="y",
            kind="specialised",
            target_posts=["clerk"],
            required_hours=Decimal("4"),
            stages=[("a", Decimal("5"))],
        )
    with pytest.raises(PermissionDenied):
        services.create_program(
            actor=hall_manager,
            code="Z",
            name="z",
            kind="in_service",
            target_posts=["clerk"],
            required_hours=Decimal("4"),
        )
    assert TrainingProgramFactory._meta.model.objects.count() == 1

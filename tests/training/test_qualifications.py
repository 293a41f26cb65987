from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from halls.models import AuditEvent
from staffing.exceptions import QualificationOverlap
from staffing.models import Qualification
from staffing.qualifications import is_qualified, revoke_qualification
from tests.staffing.factories import qualify
from tests.training.factories import AttendanceFactory, ExamResultFactory, TrainingSessionFactory
from training.exceptions import AttendanceRowsInvalid, OnboardingIncomplete
from training.models import ExamResult
from training.services import AttendanceEntry, grant_onboarding_qualification, record_hall_attendance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

EXAM_DAY = date(2026, 11, 20)


@pytest.fixture
def stage_sessions(hall, onboarding):
    one, two = onboarding.stages.order_by("order")
    return [
        TrainingSessionFactory(halls=[hall], program=onboarding, stage=one, date=date(2026, 11, 2)),
        TrainingSessionFactory(halls=[hall], program=onboarding, stage=two, date=date(2026, 11, 9)),
    ]


@pytest.fixture
def onboarding_exam(hall, onboarding):
    return TrainingSessionFactory(
        halls=[hall],
        program=onboarding,
        date=EXAM_DAY,
        kind="classroom",
        topic="入职考试",
        exam_kind="interactive",
        exam_max_score=Decimal("100"),
        exam_pass_mark=Decimal("80"),
    )


def take_exam(actor, session, hall, staff, score):
    return record_hall_attendance(
        actor=actor, session=session, hall=hall, rows=[AttendanceEntry(staff.pk, "present", score)]
    )


def test_completing_every_stage_and_passing_the_exam_qualifies_the_clerk_for_the_window(
    hall_manager, hall, clerk_staff, stage_sessions, onboarding_exam
):
    for session in stage_sessions:
        AttendanceFactory(session=session, staff=clerk_staff)
    assert not is_qualified(clerk_staff, "window", on=EXAM_DAY)

    result = take_exam(hall_manager, onboarding_exam, hall, clerk_staff, "85")

    [qualification] = result.granted
    assert (qualification.granted_on, qualification.expires_on) == (EXAM_DAY, date(2028, 11, 19))
    assert (qualification.source, qualification.source_ref) == ("training", "training.program:ONB")
    assert not is_qualified(clerk_staff, "window", on=date(2026, 11, 19))
    assert is_qualified(clerk_staff, "window", on=EXAM_DAY)
    assert is_qualified(clerk_staff, "window", on=date(2028, 11, 19))
    assert not is_qualified(clerk_staff, "window", on=date(2028, 11, 20))
    assert AuditEvent.objects.get(action="staffing.qualification.granted").data["until"] == "2028-11-19"


def test_the_pass_behind_a_granted_qualification_is_not_withdrawn_until_the_qualification_is_revoked(
    hall_manager, branch_manager, hall, clerk_staff, stage_sessions, onboarding_exam
):
    for session in stage_sessions:
        AttendanceFactory(session=session, staff=clerk_staff)
    [qualification] = take_exam(hall_manager, onboarding_exam, hall, clerk_staff, "85").granted
    absent = [AttendanceEntry(clerk_staff.pk, "absent", None)]

    with pytest.raises(AttendanceRowsInvalid) as caught:
        record_hall_attendance(actor=hall_manager, session=onboarding_exam, hall=hall, rows=absent)
    assert caught.value.row_errors == {
        clerk_staff.pk: {
            "status": "The passed exam of 李营业员 earned the Service window qualification: revoke the qualification "
            "before recording them as not present."
        }
    }
    assert ExamResult.objects.filter(staff=clerk_staff).count() == 1

    revoke_qualification(actor=branch_manager, qualification=qualification, reason="考试记录有误")
    result = record_hall_attendance(actor=hall_manager, session=onboarding_exam, hall=hall, rows=absent)
    assert result.exams_withdrawn == [clerk_staff]
    assert not ExamResult.objects.filter(staff=clerk_staff).exists()
    assert result.granted == []


def test_a_missing_stage_or_a_failed_exam_grants_nothing(
    hall_manager, hall, clerk_staff, colleague, stage_sessions, onboarding_exam, onboarding
):
    AttendanceFactory(session=stage_sessions[0], staff=clerk_staff)
    for session in stage_sessions:
        AttendanceFactory(session=session, staff=colleague)
    result = record_hall_attendance(
        actor=hall_manager,
        session=onboarding_exam,
        hall=hall,
        rows=[
            AttendanceEntry(clerk_staff.pk, "present", "95"),
            AttendanceEntry(colleague.pk, "present", "79.5"),
        ],
    )
    assert result.granted == []
    assert not Qualification.objects.exists()
    with pytest.raises(
        OnboardingIncomplete, match="李营业员 has not yet attended the required hours: 服务礼仪."
    ):
        grant_onboarding_qualification(actor=hall_manager, staff=clerk_staff, program=onboarding)
    with pytest.raises(OnboardingIncomplete, match="赵营业员 has not passed the exam yet."):
        grant_onboarding_qualification(actor=hall_manager, staff=colleague, program=onboarding)


def test_an_overlapping_qualification_is_refused_by_staffing_and_nothing_is_saved(
    hall_manager, hall, clerk_staff, stage_sessions, onboarding_exam, onboarding
):
    for session in stage_sessions:
        AttendanceFactory(session=session, staff=clerk_staff)
    existing = qualify(clerk_staff, granted_on=date(2025, 1, 1), expires_on=date(2026, 12, 31))

    result = take_exam(hall_manager, onboarding_exam, hall, clerk_staff, "90")
    assert (result.granted, result.already_qualified) == ([], [clerk_staff])

    with pytest.raises(QualificationOverlap) as caught:
        grant_onboarding_qualification(actor=hall_manager, staff=clerk_staff, program=onboarding)
    assert caught.value.message == "This person already holds a qualification for this post in that period."
    assert list(Qualification.objects.all()) == [existing]

    renewed = grant_onboarding_qualification(
        actor=hall_manager, staff=clerk_staff, program=onboarding, on=date(2027, 1, 1)
    )
    assert (renewed.granted_on, renewed.expires_on) == (date(2027, 1, 1), date(2028, 12, 31))


def test_the_archive_grant_button_reports_an_overlap_as_a_message(
    client, hall_manager, clerk_staff, stage_sessions, onboarding_exam, onboarding
):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for session in [*stage_sessions, onboarding_exam]:
        AttendanceFactory(session=session, staff=clerk_staff)
    ExamResultFactory(
        staff=clerk_staff, session=onboarding_exam, program=onboarding, taken_on=EXAM_DAY, score=90
    )
    qualify(clerk_staff, granted_on=date(2025, 1, 1), expires_on=date(2026, 12, 31))
    client.force_login(hall_manager)
    archive = client.get(reverse("training:archive", args=[clerk_staff.pk]))
    assert [p.program for p in archive.context["grantable"]] == [onboarding]
    response = client.post(reverse("training:qualify", args=[clerk_staff.pk, onboarding.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "This person already holds a qualification for this post in that period."
    ]
    assert Qualification.objects.count() == 1


def test_a_clerk_cannot_grant_themselves_a_qualification(client, clerk, clerk_staff, onboarding):
    client.force_login(clerk)
    response = client.post(reverse("training:qualify", args=[clerk_staff.pk, onboarding.pk]))
    assert response.status_code == 403
    assert not Qualification.objects.exists()

"""Attendance and exam results feed the assessment in the transaction that records them."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from assessment.models import FactRevision, ScoreFact
from assessment.services import compute_month_results, publish_results
from halls.models import AuditEvent, Tombstone
from tests.staffing.factories import StaffFactory
from tests.training.factories import AttendanceFactory, ExamResultFactory, TrainingSessionFactory
from training.exceptions import AttendanceRowsInvalid, TrainingMonthPublished
from training.models import Attendance, ExamResult
from training.services import AttendanceEntry, record_hall_attendance, record_training_facts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
NOVEMBER = date(2026, 11, 1)


def record(actor, session, hall, *rows):
    return record_hall_attendance(
        actor=actor, session=session, hall=hall, rows=[AttendanceEntry(*row) for row in rows]
    )


def facts():
    """{(evidence type, evidence id, measure): (staff id, hall id, occurred on, value)}"""
    return {
        (f.evidence_type, f.evidence_id, f.measure): (f.staff_id, f.hall_id, f.occurred_on, f.value)
        for f in ScoreFact.objects.all()
    }


def revision():
    return FactRevision.objects.filter(month=NOVEMBER).values_list("revision", flat=True).first()


def test_recorded_attendance_and_exam_scores_become_facts_at_once(
    hall_manager, hall, exam_session, clerk_staff, colleague
):
    third = StaffFactory(hall=hall, name="孙营业员", employee_no="C0003")
    record(
        hall_manager,
        exam_session,
        hall,
        (clerk_staff.pk, "present", "72.5"),
        (colleague.pk, "absent", None),
        (third.pk, "excused", None),
    )
    mine, theirs, excused = (Attendance.objects.get(staff=s) for s in (clerk_staff, colleague, third))
    exam = ExamResult.objects.get()
    day = exam_session.date
    assert facts() == {
        ("training_attendance", mine.pk, "training_absences"): (
            clerk_staff.pk,
            hall.pk,
            day,
            Decimal("0.00"),
        ),
        ("training_attendance", theirs.pk, "training_absences"): (
            colleague.pk,
            hall.pk,
            day,
            Decimal("1.00"),
        ),
        ("training_attendance", excused.pk, "training_absences"): (third.pk, hall.pk, day, Decimal("0.00")),
        ("training_exam", exam.pk, "exam_score"): (clerk_staff.pk, hall.pk, day, Decimal("72.50")),
    }
    assert ScoreFact.objects.filter(source="training").count() == 4
    assert revision() == 1


def test_a_correction_replaces_the_fact_and_never_adds_one(
    hall_manager, hall, exam_session, clerk_staff, colleague
):
    record(
        hall_manager, exam_session, hall, (clerk_staff.pk, "present", "50"), (colleague.pk, "absent", None)
    )
    assert revision() == 1
    # Corrected: the absence was excused, the exam was marked wrongly.
    record(
        hall_manager, exam_session, hall, (clerk_staff.pk, "present", "65"), (colleague.pk, "excused", None)
    )
    after = facts()
    assert ScoreFact.objects.count() == 3
    assert (
        after[("training_attendance", Attendance.objects.get(staff=colleague).pk, "training_absences")][3]
        == 0
    )
    assert after[("training_exam", ExamResult.objects.get().pk, "exam_score")][3] == Decimal("65.00")
    assert revision() == 2
    # The same sheet again changes nothing, and the month's revision stays.
    record(
        hall_manager, exam_session, hall, (clerk_staff.pk, "present", "65"), (colleague.pk, "excused", None)
    )
    assert facts() == after
    assert revision() == 2


def test_a_refused_sheet_records_no_facts(hall_manager, hall, exam_session, clerk_staff):
    with pytest.raises(AttendanceRowsInvalid):
        record(hall_manager, exam_session, hall, (clerk_staff.pk, "present", "101"))
    assert not ScoreFact.objects.exists()
    assert revision() is None


@time_machine.travel("2026-12-02 10:00 +0800", tick=False)  # November has ended: it can be published
def test_a_published_month_refuses_a_correction_and_keeps_everything(
    hall_manager, branch_manager, branch, hall, clerk_staff, exam_session
):
    record(hall_manager, exam_session, hall, (clerk_staff.pk, "present", "80"))
    publish_results(run=compute_month_results(branch=branch, month=NOVEMBER), actor=branch_manager)
    before = facts()
    with pytest.raises(TrainingMonthPublished, match="published"):
        record(hall_manager, exam_session, hall, (clerk_staff.pk, "absent", None))
    assert Attendance.objects.get().status == "present"
    assert ExamResult.objects.count() == 1 and not Tombstone.objects.exists()
    assert facts() == before
    # The same figures again are no change, so they are accepted.
    record(hall_manager, exam_session, hall, (clerk_staff.pk, "present", "80"))


@pytest.mark.parametrize("status", ["absent", "excused"])
def test_someone_corrected_to_not_present_loses_the_exam_result_and_its_fact(
    hall_manager, hall, exam_session, clerk_staff, colleague, status
):
    record(
        hall_manager, exam_session, hall, (clerk_staff.pk, "present", "80"), (colleague.pk, "present", "70")
    )
    mine = ExamResult.objects.get(staff=clerk_staff)
    theirs = ExamResult.objects.get(staff=colleague)
    assert ("training_exam", mine.pk, "exam_score") in facts()
    before = revision()

    result = record(
        hall_manager, exam_session, hall, (clerk_staff.pk, status, None), (colleague.pk, "present", None)
    )

    assert result.exams_withdrawn == [clerk_staff]
    assert list(ExamResult.objects.all()) == [theirs]
    attendance = Attendance.objects.get(staff=clerk_staff)
    assert facts() == {
        ("training_attendance", attendance.pk, "training_absences"): (
            clerk_staff.pk,
            hall.pk,
            exam_session.date,
            Decimal("1.00") if status == "absent" else Decimal("0.00"),
        ),
        ("training_attendance", Attendance.objects.get(staff=colleague).pk, "training_absences"): (
            colleague.pk,
            hall.pk,
            exam_session.date,
            Decimal("0.00"),
        ),
        ("training_exam", theirs.pk, "exam_score"): (
            colleague.pk,
            hall.pk,
            exam_session.date,
            Decimal("70.00"),
        ),
    }
    assert revision() > before
    tombstone = Tombstone.objects.get()
    assert (tombstone.resource, tombstone.object_id, tombstone.hall_id) == ("exam_result", mine.pk, hall.pk)
    event = AuditEvent.objects.filter(action="training.attendance.recorded").latest("pk")
    assert event.data["exams_withdrawn"] == ["C0001 80/100"]
    # A backfill of the month does not bring the withdrawn exam back, and a repeat withdraws nothing.
    record_training_facts(actor=None, month=NOVEMBER)
    assert ("training_exam", mine.pk, "exam_score") not in facts()
    again = record(hall_manager, exam_session, hall, (clerk_staff.pk, status, None))
    assert again.exams_withdrawn == [] and Tombstone.objects.count() == 1


def test_the_backfill_records_facts_of_earlier_records_once(hall, other_hall, clerk_staff, colleague):
    neighbour = StaffFactory(hall=other_hall, name="邻厅", employee_no="N0001")
    session = TrainingSessionFactory(halls=[hall, other_hall], date=date(2026, 10, 12))
    AttendanceFactory(session=session, staff=clerk_staff)
    AttendanceFactory(session=session, staff=colleague, status="absent", hours=0)
    AttendanceFactory(session=session, staff=neighbour, status="absent", hours=0)
    ExamResultFactory(
        staff=clerk_staff, taken_on=date(2026, 10, 12), score=Decimal("45"), max_score=Decimal("60")
    )
    AttendanceFactory(session=TrainingSessionFactory(halls=[hall], date=date(2026, 11, 2)), staff=clerk_staff)

    result = record_training_facts(actor=None, month=date(2026, 10, 20), batch_size=2)

    assert (result.attendance, result.exams, result.created, result.updated, result.unchanged) == (
        3,
        1,
        4,
        0,
        0,
    )
    assert sorted(ScoreFact.objects.values_list("measure", "value")) == [
        ("exam_score", Decimal("75.00")),
        ("training_absences", Decimal("0.00")),
        ("training_absences", Decimal("1.00")),
        ("training_absences", Decimal("1.00")),
    ]
    audits = AuditEvent.objects.filter(action="training.facts.recorded").order_by("hall_id")
    assert [(a.hall_id, a.data) for a in audits] == [
        (hall.pk, {"month": "2026-10-01", "attendance": 2, "exams": 1}),
        (other_hall.pk, {"month": "2026-10-01", "attendance": 1, "exams": 0}),
    ]
    again = record_training_facts(actor=None, month=date(2026, 10, 1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert AuditEvent.objects.filter(action="training.facts.recorded").count() == 2


def test_the_backfill_command_feeds_a_month_and_is_idempotent(hall, clerk_staff, capsys):
    session = TrainingSessionFactory(halls=[hall], date=date(2026, 10, 5))
    AttendanceFactory(session=session, staff=clerk_staff, status="absent", hours=0)
    call_command("backfill_training_facts", "--month", "2026-10")
    assert "1 attendance, 0 exams; facts 1 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    call_command("backfill_training_facts", "--month", "2026-10")
    assert "facts 0 created, 0 updated, 1 unchanged" in capsys.readouterr().out
    assert ScoreFact.objects.get().value == 1
    with pytest.raises(CommandError, match="2026-10"):
        call_command("backfill_training_facts", "--month", "October")


def test_only_someone_who_sees_every_hall_may_backfill(hall_manager, branch_manager, admin_user):
    for user in (hall_manager, branch_manager):
        with pytest.raises(PermissionDenied):
            record_training_facts(actor=user, month=NOVEMBER)
    assert record_training_facts(actor=admin_user, month=NOVEMBER).created == 0


def test_recording_a_sheet_runs_the_same_queries_at_3_and_9_people(hall_manager, hall):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size in (1, 3, 9):  # the first sheet warms the caches (content types) and the month's revision row
        session = TrainingSessionFactory(
            halls=[hall], exam_kind="written", exam_max_score=Decimal("100"), exam_pass_mark=Decimal("60")
        )
        people = [StaffFactory(hall=hall, employee_no=f"Q{size}{n:03d}") for n in range(size)]
        rows = [
            (p.pk, "present" if n % 3 else "absent", "70" if n % 3 else None) for n, p in enumerate(people)
        ]
        with CaptureQueriesContext(connection) as queries:
            record(hall_manager, session, hall, *rows)
        counts[size] = len(queries)
        assert ScoreFact.objects.filter(staff__in=people).count() == size + sum(1 for r in rows if r[2])
    assert counts[3] == counts[9] < 40

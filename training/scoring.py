"""The hand-off from training to assessment: score facts for a month's attendance and exams.

`score_facts_for_training` is the one place that turns training records into the payloads that
`assessment.services.record_score_facts(...)` takes; training never touches assessment's tables.
The lead wires the call at merge (the assessment app is built on another branch).
"""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from training.dates import month_end, month_start
from training.models import Attendance, AttendanceStatus, ExamResult
from training.services import plain_number

SOURCE = "training"
ATTENDANCE_INDICATOR = "training_attendance"
EXAM_INDICATOR = "training_exam"
ATTENDANCE_EVIDENCE = "training_attendance"
EXAM_EVIDENCE = "training_exam"
HUNDRED = Decimal("100")


def score_facts_for_training(*, month: date) -> list[dict]:
    """One fact per attendance row of a session held in `month` and one per exam taken in it,
    every one with its record as evidence, ordered by evidence type and id. Pure read, two
    queries for any volume.

    Attendance: `value` is the hours credited (0 when absent or excused), `points` the same
    hours, `status` the attendance. Exams: `value` is the score, `points` the score out of 100
    (score / maximum × 100, two decimals), `passed` whether it reached the pass mark. `month` is
    the month's first day; `hall_id` the hall the record was made in."""
    first, last = month_start(month), month_end(month)
    facts = []
    attendance = (
        Attendance.objects.filter(session__date__gte=first, session__date__lte=last)
        .select_related("session", "staff")
        .order_by("pk")
    )
    for row in attendance:
        session = row.session
        facts.append(
            {
                "staff_id": row.staff_id,
                "hall_id": row.hall_id,
                "month": first,
                "source": SOURCE,
                "indicator_code": ATTENDANCE_INDICATOR,
                "value": row.hours,
                "points": row.hours,
                "status": row.status,
                "evidence_type": ATTENDANCE_EVIDENCE,
                "evidence_id": row.pk,
                "description": _("%(date)s %(kind)s “%(topic)s”: %(status)s, %(hours)s h")
                % {
                    "date": session.date.isoformat(),
                    "kind": session.get_kind_display(),
                    "topic": session.topic,
                    "status": AttendanceStatus(row.status).label,
                    "hours": plain_number(row.hours),
                },
            }
        )
    exams = (
        ExamResult.objects.filter(taken_on__gte=first, taken_on__lte=last)
        .select_related("session", "program")
        .order_by("pk")
    )
    for exam in exams:
        subject = exam.session.topic if exam.session_id else exam.program.name if exam.program_id else ""
        facts.append(
            {
                "staff_id": exam.staff_id,
                "hall_id": exam.hall_id,
                "month": first,
                "source": SOURCE,
                "indicator_code": EXAM_INDICATOR,
                "value": exam.score,
                "points": (exam.score * HUNDRED / exam.max_score).quantize(Decimal("0.01")),
                "passed": exam.passed,
                "evidence_type": EXAM_EVIDENCE,
                "evidence_id": exam.pk,
                "description": _(
                    "%(date)s %(kind)s exam “%(subject)s”: %(score)s of %(max)s (pass mark %(pass)s)"
                )
                % {
                    "date": exam.taken_on.isoformat(),
                    "kind": exam.get_kind_display(),
                    "subject": subject,
                    "score": plain_number(exam.score),
                    "max": plain_number(exam.max_score),
                    "pass": plain_number(exam.pass_mark),
                },
            }
        )
    return facts

"""The hand-off from training to assessment: score facts for a month's attendance and exams.

`score_facts_for_training` is the one place that turns training records into the payloads that
`assessment.services.record_score_facts(...)` takes; training never touches assessment's tables.
The lead wires the call at merge (the assessment app is built on another branch).
"""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from training.dates import month_end, month_start
from training.models import Attendance, AttendanceStatus, ExamKind, ExamResult, SessionKind
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
    queries for any volume (plain rows, no model instances: the province has ~270,000 a month).

    Attendance: `value` is the hours credited (0 when absent or excused), `points` the same
    hours, `status` the attendance. Exams: `value` is the score, `points` the score out of 100
    (score / maximum × 100, two decimals), `passed` whether it reached the pass mark. `month` is
    the month's first day; `hall_id` the hall the record was made in."""
    first, last = month_start(month), month_end(month)
    kinds = {value: str(label) for value, label in SessionKind.choices}
    exam_kinds = {value: str(label) for value, label in ExamKind.choices}
    statuses = {value: str(label) for value, label in AttendanceStatus.choices}
    attendance_text = _("%(date)s %(kind)s “%(topic)s”: %(status)s, %(hours)s h")
    exam_text = _("%(date)s %(kind)s exam “%(subject)s”: %(score)s of %(max)s (pass mark %(pass)s)")
    facts = []
    attendance = (
        Attendance.objects.filter(session__date__gte=first, session__date__lte=last)
        .order_by("pk")
        .values_list(
            "pk", "staff_id", "hall_id", "status", "hours", "session__date", "session__kind", "session__topic"
        )
    )
    for pk, staff_id, hall_id, status, hours, day, kind, topic in attendance.iterator(chunk_size=5000):
        facts.append(
            {
                "staff_id": staff_id,
                "hall_id": hall_id,
                "month": first,
                "source": SOURCE,
                "indicator_code": ATTENDANCE_INDICATOR,
                "value": hours,
                "points": hours,
                "status": status,
                "evidence_type": ATTENDANCE_EVIDENCE,
                "evidence_id": pk,
                "description": attendance_text
                % {
                    "date": day.isoformat(),
                    "kind": kinds[kind],
                    "topic": topic,
                    "status": statuses[status],
                    "hours": plain_number(hours),
                },
            }
        )
    exams = (
        ExamResult.objects.filter(taken_on__gte=first, taken_on__lte=last)
        .order_by("pk")
        .values_list(
            "pk",
            "staff_id",
            "hall_id",
            "kind",
            "taken_on",
            "score",
            "max_score",
            "pass_mark",
            "session__topic",
            "program__name",
        )
    )
    for pk, staff_id, hall_id, kind, taken_on, score, max_score, pass_mark, topic, program in exams.iterator(
        chunk_size=5000
    ):
        facts.append(
            {
                "staff_id": staff_id,
                "hall_id": hall_id,
                "month": first,
                "source": SOURCE,
                "indicator_code": EXAM_INDICATOR,
                "value": score,
                "points": (score * HUNDRED / max_score).quantize(Decimal("0.01")),
                "passed": score >= pass_mark,
                "evidence_type": EXAM_EVIDENCE,
                "evidence_id": pk,
                "description": exam_text
                % {
                    "date": taken_on.isoformat(),
                    "kind": exam_kinds[kind],
                    "subject": topic or program or "",
                    "score": plain_number(score),
                    "max": plain_number(max_score),
                    "pass": plain_number(pass_mark),
                },
            }
        )
    return facts

"""The hand-off from training to assessment: score facts for attendance and exam results.

This module is the one place that turns training records into `assessment.services.FactInput`s;
`training.services` hands them to `assessment.services.record_score_facts` in the transaction
that writes the records (and `record_training_facts` for a backfill). Training never touches
assessment's tables.

The rule (docs/assessment.md, "Training"):
- every attendance row is one fact of measure `training_absences`, evidence `training_attendance`:
  1 when the person was absent without excuse, 0 when present or excused. Its indicator deducts
  per unexcused absence; an excused absence costs nothing.
- every exam result is one fact of measure `exam_score`, evidence `training_exam`: the score as a
  percentage of the exam's maximum (score × 100 / maximum, rounded half up to 2 decimals).
A record always has exactly its one fact (value 0 included), so a correction updates that fact in
place through the natural key (evidence type, record id, measure) and never adds a second one.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from assessment.models import EvidenceType, Measure, Source
from assessment.services import FactInput
from training.dates import month_end, month_start
from training.models import Attendance, AttendanceStatus, ExamKind, ExamResult, SessionKind

HUNDRED = Decimal("100")
ONE = Decimal("1")
ZERO = Decimal("0")
CENT = Decimal("0.01")


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def absence_value(status: str) -> Decimal:
    """1 for an absence without excuse, 0 for present or excused."""
    return ONE if status == AttendanceStatus.ABSENT else ZERO


def exam_percent(score: Decimal, max_score: Decimal) -> Decimal:
    """The score as a percentage of the maximum, rounded half up to 2 decimals."""
    return (score * HUNDRED / max_score).quantize(CENT, rounding=ROUND_HALF_UP)


def training_score_facts(*, attendance: Q, exams: Q) -> list[FactInput]:
    """The facts of the attendance rows matching `attendance` and the exam results matching `exams`,
    attendance first, each by id. Pure read, two queries for any number of rows (plain rows, no
    model instances). Labels are written in the active language."""
    kinds = {value: str(label) for value, label in SessionKind.choices}
    exam_kinds = {value: str(label) for value, label in ExamKind.choices}
    statuses = {value: str(label) for value, label in AttendanceStatus.choices}
    attendance_text = _("%(date)s %(kind)s “%(topic)s”: %(status)s, %(hours)s h")
    exam_text = _("%(date)s %(kind)s exam “%(subject)s”: %(score)s of %(max)s (pass mark %(pass)s)")
    facts = []
    rows = (
        Attendance.objects.filter(attendance)
        .order_by("pk")
        .values_list(
            "pk", "staff_id", "hall_id", "status", "hours", "session__date", "session__kind", "session__topic"
        )
    )
    for pk, staff_id, hall_id, status, hours, day, kind, topic in rows:
        label = attendance_text % {
            "date": day.isoformat(),
            "kind": kinds[kind],
            "topic": topic,
            "status": statuses[status],
            "hours": _number(hours),
        }
        facts.append(
            FactInput(
                staff_id=staff_id,
                hall_id=hall_id,
                occurred_on=day,
                source=Source.TRAINING,
                measure=Measure.TRAINING_ABSENCES,
                value=absence_value(status),
                evidence_type=EvidenceType.TRAINING_ATTENDANCE,
                evidence_id=pk,
                evidence_label=label[:200],
            )
        )
    results = (
        ExamResult.objects.filter(exams)
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
    for pk, staff_id, hall_id, kind, taken_on, score, max_score, pass_mark, topic, program in results:
        label = exam_text % {
            "date": taken_on.isoformat(),
            "kind": exam_kinds[kind],
            "subject": topic or program or "",
            "score": _number(score),
            "max": _number(max_score),
            "pass": _number(pass_mark),
        }
        facts.append(
            FactInput(
                staff_id=staff_id,
                hall_id=hall_id,
                occurred_on=taken_on,
                source=Source.TRAINING,
                measure=Measure.EXAM_SCORE,
                value=exam_percent(score, max_score),
                evidence_type=EvidenceType.TRAINING_EXAM,
                evidence_id=pk,
                evidence_label=label[:200],
            )
        )
    return facts


def score_facts_for_training(*, month: date) -> list[FactInput]:
    """The facts of every attendance row of a session held in `month` and every exam taken in it."""
    first, last = month_start(month), month_end(month)
    return training_score_facts(
        attendance=Q(session__date__gte=first, session__date__lte=last),
        exams=Q(taken_on__gte=first, taken_on__lte=last),
    )

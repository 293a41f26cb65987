"""Reads for training pages and the API. Querysets come scoped (`visible_to`) with their joins
applied, so a list costs the same number of queries at any length; aggregates are set-based."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Prefetch, Q, Sum
from django.utils.translation import gettext as _

from halls.models import Hall, Notification
from staffing.models import Qualification, Staff
from training.dates import month_end, month_start
from training.models import (
    Attendance,
    AttendanceStatus,
    ExamResult,
    ImprovementFollowUp,
    ImprovementPlan,
    ProgramKind,
    ProgramStage,
    TrainingProgram,
    TrainingSession,
)
from training.reminders import NOTIFICATION_KIND

ZERO = Decimal("0")


def program_list(*, user):
    """Programmes the user may see, with their stages."""
    stages = Prefetch("stages", queryset=ProgramStage.objects.order_by("order"))
    return TrainingProgram.objects.visible_to(user).prefetch_related(stages)


def session_list(*, user):
    """Sessions held in a hall the user may see, with programme, stage and halls loaded."""
    halls = Prefetch("halls", queryset=Hall.objects.only("id", "code", "name").order_by("code"))
    return (
        TrainingSession.objects.visible_to(user)
        .select_related("program", "stage")
        .prefetch_related(halls)
        .order_by("date", "starts_at", "id")
    )


def sessions_for_calendar(*, user, hall: Hall, month: date) -> dict[date, list[TrainingSession]]:
    """The hall's sessions in `month` by day, each with `present_count` (people of this hall
    marked present). One query."""
    sessions = (
        TrainingSession.objects.visible_to(user)
        .in_hall(hall)
        .filter(date__gte=month_start(month), date__lte=month_end(month))
        .annotate(
            present_count=Count(
                "attendances", filter=Q(attendances__hall=hall, attendances__status=AttendanceStatus.PRESENT)
            )
        )
        .order_by("date", "starts_at", "id")
    )
    days: dict[date, list[TrainingSession]] = defaultdict(list)
    for session in sessions:
        days[session.date].append(session)
    return dict(days)


def attendance_list(*, user):
    return Attendance.objects.visible_to(user).select_related("session", "staff", "hall")


def exam_result_list(*, user):
    return ExamResult.objects.visible_to(user).select_related("staff", "hall", "session", "program")


def qualification_list(*, user):
    """Post qualifications (staffing's records) of the staff the user may see."""
    return Qualification.objects.visible_to(user).select_related("staff__hall")


@dataclass
class SheetRow:
    staff: Staff
    attendance: Attendance | None
    exam: ExamResult | None


def session_sheet(*, session: TrainingSession, hall: Hall) -> list[SheetRow]:
    """One row per current member of `hall` (by employee number) with their attendance and exam
    result for `session`, for the bulk entry form. Three queries."""
    staff = list(Staff.objects.current().filter(hall=hall).order_by("employee_no"))
    ids = [person.pk for person in staff]
    attendance = {a.staff_id: a for a in Attendance.objects.filter(session=session, staff_id__in=ids)}
    exams = {e.staff_id: e for e in ExamResult.objects.filter(session=session, staff_id__in=ids)}
    return [SheetRow(person, attendance.get(person.pk), exams.get(person.pk)) for person in staff]


@dataclass
class ProgramProgress:
    """How far one person is through one programme."""

    program: TrainingProgram
    hours: Decimal = ZERO
    stage_hours: dict[int, Decimal] = field(default_factory=dict)
    last_attended_on: date | None = None
    passed_on: date | None = None

    @property
    def stages_complete(self) -> bool:
        stages = list(self.program.stages.all())
        return all(self.stage_hours.get(stage.pk, ZERO) >= stage.required_hours for stage in stages)

    @property
    def hours_complete(self) -> bool:
        return self.hours >= self.program.required_hours and self.stages_complete

    @property
    def complete(self) -> bool:
        """Hours complete and, for onboarding, the exam passed."""
        if self.program.kind == ProgramKind.ONBOARDING:
            return self.hours_complete and self.passed_on is not None
        return self.hours_complete

    @property
    def started(self) -> bool:
        return self.hours > 0 or self.passed_on is not None

    @property
    def eligible_on(self) -> date | None:
        """The day the programme was complete (the later of the last hours and the passed exam)."""
        if not self.complete:
            return None
        days = [d for d in (self.last_attended_on, self.passed_on) if d is not None]
        return max(days) if days else None

    def missing_stages(self) -> list[ProgramStage]:
        return [s for s in self.program.stages.all() if self.stage_hours.get(s.pk, ZERO) < s.required_hours]


def program_progress(
    *, programs, staff_ids, since: date | None = None
) -> dict[tuple[int, int], ProgramProgress]:
    """(staff id, programme id) → progress, for every pair: present hours per stage, the last day
    attended and the first passed exam. Pass programmes with their stages prefetched. Two
    queries for any number of people and programmes; `since` counts only later sessions."""
    programs = list(programs)
    staff_ids = list(staff_ids)
    result = {(s, p.pk): ProgramProgress(program=p) for s in staff_ids for p in programs}
    if not programs or not staff_ids:
        return result
    attended = Attendance.objects.filter(
        staff_id__in=staff_ids, session__program__in=programs, status=AttendanceStatus.PRESENT
    )
    exams = ExamResult.objects.filter(staff_id__in=staff_ids, program__in=programs, score__gte=F("pass_mark"))
    if since is not None:
        attended = attended.filter(session__date__gte=since)
        exams = exams.filter(taken_on__gte=since)
    rows = (
        attended.values("staff_id", "session__program_id", "session__stage_id")
        .annotate(hours=Sum("hours"), last=Max("session__date"))
        .order_by()
    )
    for row in rows:
        progress = result[(row["staff_id"], row["session__program_id"])]
        progress.hours += row["hours"]
        if row["session__stage_id"] is not None:
            progress.stage_hours[row["session__stage_id"]] = row["hours"]
        if progress.last_attended_on is None or row["last"] > progress.last_attended_on:
            progress.last_attended_on = row["last"]
    for row in exams.values("staff_id", "program_id").annotate(first=Min("taken_on")).order_by():
        result[(row["staff_id"], row["program_id"])].passed_on = row["first"]
    return result


def programs_for_post(post: str):
    """Active programmes aimed at `post`, with stages."""
    stages = Prefetch("stages", queryset=ProgramStage.objects.order_by("order"))
    return (
        TrainingProgram.objects.active()
        .filter(target_posts__contains=[post])
        .prefetch_related(stages)
        .order_by("kind", "code")
    )


@dataclass
class HallProgress:
    program: TrainingProgram
    completed: int
    in_progress: int
    not_started: int

    @property
    def total(self) -> int:
        return self.completed + self.in_progress + self.not_started


def hall_program_progress(*, hall: Hall, today: date) -> list[HallProgress]:
    """Per active programme: how many current staff of the hall in its target posts completed it,
    are under way, or have not started. In-service (periodic) programmes count this year's hours.
    Four queries."""
    stages = Prefetch("stages", queryset=ProgramStage.objects.order_by("order"))
    programs = list(TrainingProgram.objects.active().prefetch_related(stages).order_by("kind", "code"))
    staff = list(Staff.objects.current().filter(hall=hall).values_list("pk", "post"))
    ids = [pk for pk, _post in staff]
    periodic = [p for p in programs if p.kind == ProgramKind.IN_SERVICE]
    other = [p for p in programs if p.kind != ProgramKind.IN_SERVICE]
    progress = program_progress(programs=other, staff_ids=ids)
    progress |= program_progress(programs=periodic, staff_ids=ids, since=today.replace(month=1, day=1))
    rows = []
    for program in programs:
        counts = {"completed": 0, "in_progress": 0, "not_started": 0}
        for pk, post in staff:
            if post not in program.target_posts:
                continue
            p = progress[(pk, program.pk)]
            counts["completed" if p.complete else "in_progress" if p.started else "not_started"] += 1
        if sum(counts.values()):
            rows.append(HallProgress(program=program, **counts))
    return rows


def progress_chart(rows: list[HallProgress]) -> dict:
    """Chart.js data for the progress page (stacked bars: completed, under way, not started)."""
    return {
        "labels": [row.program.name for row in rows],
        "datasets": [
            {"key": "completed", "label": _("Completed"), "data": [r.completed for r in rows]},
            {"key": "in_progress", "label": _("Under way"), "data": [r.in_progress for r in rows]},
            {"key": "not_started", "label": _("Not started"), "data": [r.not_started for r in rows]},
        ],
    }


@dataclass
class Archive:
    """A person's training archive (培训档案)."""

    staff: Staff
    hours: Decimal
    attendance: list[Attendance]
    exams: list[ExamResult]
    qualifications: list[Qualification]
    plans: list[ImprovementPlan]
    progress: list[ProgramProgress]

    @property
    def sessions_attended(self) -> int:
        return sum(1 for a in self.attendance if a.status == AttendanceStatus.PRESENT)


def training_archive(*, staff: Staff) -> Archive:
    """Everything training knows about one person: attendance (newest first), exams,
    qualifications with expiry, improvement plans and progress in the programmes for their post.
    A fixed number of queries at any history length."""
    attendance = list(
        Attendance.objects.filter(staff=staff)
        .select_related("session", "session__program", "hall")
        .order_by("-session__date", "-session__starts_at", "-id")
    )
    exams = list(
        ExamResult.objects.filter(staff=staff)
        .select_related("session", "program")
        .order_by("-taken_on", "-id")
    )
    qualifications = list(Qualification.objects.filter(staff=staff).order_by("-granted_on", "post"))
    plans = list(
        ImprovementPlan.objects.filter(staff=staff)
        .select_related("owner")
        .prefetch_related("weak_points", "steps")
        .order_by("-month")
    )
    programs = list(programs_for_post(staff.post))
    progress = program_progress(programs=programs, staff_ids=[staff.pk])
    hours = sum((a.hours for a in attendance), ZERO)
    return Archive(
        staff=staff,
        hours=hours,
        attendance=attendance,
        exams=exams,
        qualifications=qualifications,
        plans=plans,
        progress=[progress[(staff.pk, p.pk)] for p in programs],
    )


def improvement_plan_list(*, user):
    return ImprovementPlan.objects.visible_to(user).select_related("staff", "hall", "owner")


def improvement_plan_detail(*, user):
    """Plans the user may see with weak points, steps and follow-ups loaded."""
    follow_ups = ImprovementFollowUp.objects.select_related("author").order_by("written_on", "id")
    return improvement_plan_list(user=user).prefetch_related(
        "weak_points", "steps", Prefetch("follow_ups", queryset=follow_ups)
    )


def recent_reminders(*, user, now, days: int = 45, limit: int = 5):
    """The user's own qualification expiry reminders of the last `days` days, newest first."""
    return list(
        Notification.objects.visible_to(user)
        .filter(kind=NOTIFICATION_KIND, created_at__gte=now - timedelta(days=days))
        .order_by("-created_at", "-id")[:limit]
    )

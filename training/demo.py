"""Demo training data for `manage.py seed_demo` (see halls.demo for the step registry).

Three programmes (onboarding in three stages granting the window post for two years, a periodic
in-service course, a specialised course), then for the month before the reference date: every
hall's Monday morning meetings, Wednesday daily questions, an on-the-job drill with an oral exam
and a scenario simulation with an interactive exam; a county-wide in-service classroom day with
a written exam; and the onboarding stages and exam for the probation clerks of each county.
Attendance and scores for everyone on the books. Sessions, their halls, attendance and exam
results are loaded with COPY, so the province scale costs a few set-based statements.

In the first hall (the demo manager's), the people who completed onboarding get their window
qualification through the training service, the other clerks hold imported qualifications (a few
running out within 30 days, for the reminder job), and the demo clerk has an improvement plan.
"""

import random
from datetime import date, time, timedelta
from decimal import Decimal

from django.utils import timezone

from halls.demo import DemoContext, Scale, copy_rows, register, reserve_ids
from halls.models import Hall
from staffing.models import DutyPost, Qualification, Staff
from staffing.qualifications import grant_qualification
from training import plan_services, services
from training.dates import add_months, month_end, month_start
from training.exceptions import OnboardingIncomplete
from training.models import (
    Attendance,
    AttendanceStatus,
    ExamKind,
    ExamResult,
    ProgramKind,
    SessionKind,
    TrainingProgram,
    TrainingSession,
)

MORNING_TOPICS = ["本周业务通报", "服务规范回顾", "投诉案例分享", "营销活动讲解", "安全与应急提醒"]
QUESTION_TOPICS = ["携号转网办理流程", "宽带资费", "实名制要求", "发票开具规则", "积分兑换规则"]
DRILL_TOPICS = ["岗位练兵：业务受理速度", "岗位练兵：多说一句话", "岗位练兵：系统操作"]
SIMULATION_TOPICS = ["情景模拟：客户投诉处理", "情景模拟：排队高峰疏导", "情景模拟：老年客户服务"]
SESSION_COLUMNS = [
    "id",
    "kind",
    "topic",
    "date",
    "starts_at",
    "duration_minutes",
    "trainer",
    "program",
    "stage",
    "exam_kind",
    "exam_max_score",
    "exam_pass_mark",
    "created_at",
    "updated_at",
]
ATTENDANCE_COLUMNS = ["session", "staff", "hall", "status", "hours", "created_at", "updated_at"]
EXAM_COLUMNS = [
    "staff",
    "hall",
    "session",
    "program",
    "kind",
    "taken_on",
    "score",
    "max_score",
    "pass_mark",
    "created_at",
    "updated_at",
]


def _programs(context: DemoContext) -> dict[str, TrainingProgram]:
    admin = context.users["admin"]
    onboarding = services.create_program(
        actor=admin,
        code="ONB",
        name="新员工入职培训",
        kind=ProgramKind.ONBOARDING,
        target_posts=[Staff.Post.CLERK, Staff.Post.GUIDE],
        required_hours=Decimal("16"),
        stages=[("业务知识", Decimal("8")), ("服务礼仪", Decimal("4")), ("跟岗实习", Decimal("4"))],
        qualification_post=DutyPost.WINDOW,
        qualification_valid_months=24,
        description="入职三阶段培训，考试合格取得窗口上岗资格。",
    )
    in_service = services.create_program(
        actor=admin,
        code="INS",
        name="在职年度轮训",
        kind=ProgramKind.IN_SERVICE,
        target_posts=[Staff.Post.CLERK, Staff.Post.GUIDE, Staff.Post.DUTY_MANAGER],
        required_hours=Decimal("24"),
    )
    specialised = services.create_program(
        actor=admin,
        code="VIP",
        name="贵宾服务专项培训",
        kind=ProgramKind.SPECIALISED,
        target_posts=[Staff.Post.VIP_MANAGER],
        required_hours=Decimal("8"),
    )
    return {"onboarding": onboarding, "in_service": in_service, "specialised": specialised}


def _days(month: date, weekday: int) -> list[date]:
    day = month + timedelta(days=(weekday - month.weekday()) % 7)
    days = []
    while day <= month_end(month):
        days.append(day)
        day += timedelta(days=7)
    return days


class _Sessions:
    """Sessions to load, with their halls, ids reserved from the sequence as they are added."""

    def __init__(self, now):
        self.now = now
        self.rows: list[tuple] = []
        self.halls: list[tuple[int, int]] = []

    def add(
        self, hall_ids, kind, topic, day, start, minutes, trainer, *, program=None, stage=None, exam=None
    ):
        exam_kind, max_score, pass_mark = exam or ("", None, None)
        self.rows.append(
            [
                None,
                kind,
                topic,
                day,
                start,
                minutes,
                trainer,
                program,
                stage,
                exam_kind,
                max_score,
                pass_mark,
                self.now,
                self.now,
            ]
        )
        index = len(self.rows) - 1
        self.halls += [(index, hall_id) for hall_id in hall_ids]
        return index

    def load(self) -> list[int]:
        ids = reserve_ids(TrainingSession, len(self.rows))
        for pk, row in zip(ids, self.rows, strict=True):
            row[0] = pk
        copy_rows(TrainingSession, SESSION_COLUMNS, (tuple(row) for row in self.rows))
        copy_rows(
            TrainingSession.halls.through, ["trainingsession", "hall"], ((ids[i], h) for i, h in self.halls)
        )
        return ids


def _score(rng: random.Random, maximum: Decimal) -> Decimal:
    share = min(1.0, max(0.3, rng.gauss(0.8, 0.1)))
    return (maximum * Decimal(str(share))).quantize(Decimal("0.1"))


@register
def seed_training(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """Programmes, a month of sessions for every hall, attendance and exam results."""
    programs = _programs(context)
    onboarding, in_service = programs["onboarding"], programs["in_service"]
    stages = list(onboarding.stages.order_by("order"))
    month = month_start(add_months(context.today, -1))
    now = timezone.now()
    staff_by_hall: dict[int, list[tuple[int, str, str, date]]] = {}
    for pk, hall_id, post, status, hire_date in (
        Staff.objects.current()
        .order_by("employee_no")
        .values_list("pk", "hall_id", "post", "status", "hire_date")
    ):
        staff_by_hall.setdefault(hall_id, []).append((pk, post, status, hire_date))
    sessions = _Sessions(now)
    # (session index, hall id, people, exam (kind, max, pass) or None, programme id)
    plans: list[tuple[int, int, list, tuple | None, int | None]] = []
    county_halls: dict[int, list[Hall]] = {}
    for hall in context.halls:
        county_halls.setdefault(hall.region_id, []).append(hall)
        people = [p for p in staff_by_hall.get(hall.pk, []) if p[3] <= month]
        trainer = "厅经理"
        for day in _days(month, 0):
            i = sessions.add(
                [hall.pk],
                SessionKind.MORNING_MEETING,
                rng.choice(MORNING_TOPICS),
                day,
                time(8, 15),
                15,
                trainer,
            )
            plans.append((i, hall.pk, people, None, None))
        for day in _days(month, 2):
            i = sessions.add(
                [hall.pk],
                SessionKind.DAILY_QUESTION,
                rng.choice(QUESTION_TOPICS),
                day,
                time(8, 20),
                10,
                trainer,
            )
            plans.append((i, hall.pk, people, None, None))
        oral = (ExamKind.ORAL, Decimal("10"), Decimal("6"))
        drill_day = month + timedelta(days=rng.randint(8, 14))
        i = sessions.add(
            [hall.pk],
            SessionKind.DRILL,
            rng.choice(DRILL_TOPICS),
            drill_day,
            time(17, 30),
            45,
            trainer,
            exam=oral,
        )
        plans.append((i, hall.pk, people, oral, None))
        interactive = (ExamKind.INTERACTIVE, Decimal("100"), Decimal("60"))
        sim_day = month + timedelta(days=rng.randint(15, 24))
        i = sessions.add(
            [hall.pk],
            SessionKind.SIMULATION,
            rng.choice(SIMULATION_TOPICS),
            sim_day,
            time(17, 30),
            60,
            trainer,
            exam=interactive,
        )
        plans.append((i, hall.pk, people, interactive, None))
    written = (ExamKind.WRITTEN, Decimal("100"), Decimal("60"))
    onboarding_exam = (ExamKind.WRITTEN, Decimal("100"), Decimal("80"))
    for halls in county_halls.values():
        ids = [h.pk for h in halls]
        i = sessions.add(
            ids,
            SessionKind.CLASSROOM,
            "年度轮训：新业务与服务规范",
            month + timedelta(days=20),
            time(9, 0),
            240,
            "县公司培训中心",
            program=in_service.pk,
            exam=written,
        )
        stage_sessions = [
            sessions.add(
                ids,
                SessionKind.CLASSROOM if stage.order < 3 else SessionKind.DRILL,
                f"入职培训：{stage.name}",
                month + timedelta(days=2 + 7 * (stage.order - 1)),
                time(9, 0),
                int(stage.required_hours * 60),
                "县公司培训中心",
                program=onboarding.pk,
                stage=stage.pk,
            )
            for stage in stages
        ]
        exam_index = sessions.add(
            ids,
            SessionKind.CLASSROOM,
            "入职培训结业考试",
            month + timedelta(days=25),
            time(14, 0),
            60,
            "县公司培训中心",
            program=onboarding.pk,
            exam=onboarding_exam,
        )
        for hall in halls:
            people = [p for p in staff_by_hall.get(hall.pk, []) if p[3] <= month]
            plans.append(
                (i, hall.pk, [p for p in people if p[1] in in_service.target_posts], written, in_service.pk)
            )
            trainees = [
                p for p in people if p[2] == Staff.Status.PROBATION and p[1] in onboarding.target_posts
            ]
            for index in stage_sessions:
                plans.append((index, hall.pk, trainees, None, onboarding.pk))
            plans.append((exam_index, hall.pk, trainees, onboarding_exam, onboarding.pk))
    session_ids = sessions.load()
    attendance, exams = [], []
    for index, hall_id, people, exam, program_id in plans:
        row = sessions.rows[index]
        hours = (Decimal(row[5]) / 60).quantize(Decimal("0.01"))
        for pk, _post, _status, _hired in people:
            status = rng.choices(
                [AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED],
                weights=[90, 4, 6],
            )[0]
            present = status == AttendanceStatus.PRESENT
            attendance.append((session_ids[index], pk, hall_id, status, hours if present else 0, now, now))
            if exam and present:
                kind, maximum, pass_mark = exam
                exams.append(
                    (
                        pk,
                        hall_id,
                        session_ids[index],
                        program_id,
                        kind,
                        row[3],
                        _score(rng, maximum),
                        maximum,
                        pass_mark,
                        now,
                        now,
                    )
                )
    copy_rows(Attendance, ATTENDANCE_COLUMNS, attendance)
    copy_rows(ExamResult, EXAM_COLUMNS, exams)
    context.extra["training"] = {
        "sessions": len(session_ids),
        "attendance": len(attendance),
        "exams": len(exams),
    }
    _first_hall(rng, context, onboarding, month)


def _first_hall(rng: random.Random, context: DemoContext, onboarding: TrainingProgram, month: date) -> None:
    """Qualifications and a plan in the demo manager's hall, through the services."""
    admin, hall = context.users["admin"], context.halls[0]
    clerks = list(Staff.objects.current().filter(hall=hall, post=Staff.Post.CLERK).order_by("employee_no"))
    for person in clerks:
        if person.status == Staff.Status.PROBATION:
            try:
                services.grant_onboarding_qualification(actor=admin, staff=person, program=onboarding)
            except OnboardingIncomplete:
                continue
        else:
            # Imported two-year qualifications; the renewal dates spread so some run out soon.
            expires_on = context.today + timedelta(days=rng.randint(3, 700))
            grant_qualification(
                actor=admin,
                staff=person,
                post=DutyPost.WINDOW,
                granted_on=add_months(expires_on, -24) + timedelta(days=1),
                expires_on=expires_on,
                source=Qualification.Source.IMPORT,
                source_ref="demo",
            )
    clerk = Staff.objects.filter(user=context.users.get("clerk")).first()
    manager = Staff.objects.filter(hall=hall, post=Staff.Post.HALL_MANAGER).order_by("employee_no").first()
    if clerk is not None and manager is not None:
        plan_services.create_improvement_plan(
            actor=admin,
            staff=clerk,
            month=month,
            owner=manager,
            goal="业务差错降到每月 1 笔以内，主动推荐每天不少于 5 次。",
            weak_points=[
                plan_services.WeakPoint("accuracy", "业务差错", Decimal("6"), Decimal("10")),
                plan_services.WeakPoint("recommendations", "多说一句话", Decimal("3"), Decimal("8")),
            ],
            steps=[
                (context.today + timedelta(days=d), text)
                for d, text in [
                    (1, "每天下班前复盘当天差错"),
                    (3, "跟岗学习推荐话术"),
                    (7, "厅经理抽查推荐记录"),
                ]
            ],
            today=context.today,
        )

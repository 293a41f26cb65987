from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from halls.exports import read_workbook_rows
from halls.models import AuditEvent
from tests.pages import field_error
from tests.staffing.factories import StaffFactory, qualify
from tests.training.factories import (
    AttendanceFactory,
    ExamResultFactory,
    ImprovementPlanFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import Attendance, ExamResult, ImprovementPlan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def client(client):
    """Pages asked for in English, so messages compare with their msgids."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def sheet_data(rows: dict, session=None) -> dict:
    data = {}
    for staff, (status, score) in rows.items():
        data[f"status_{staff.pk}"] = status
        if score is not None:
            data[f"score_{staff.pk}"] = score
    return data


def test_calendar_shows_the_months_sessions_of_the_chosen_hall(
    client, hall_manager, hall, other_hall, frozen
):
    TrainingSessionFactory(halls=[hall], topic="投诉处理情景模拟", kind="simulation", date=date(2026, 11, 12))
    TrainingSessionFactory(halls=[other_hall], topic="别的厅", date=date(2026, 11, 12))
    TrainingSessionFactory(halls=[hall], topic="下个月", date=date(2026, 12, 1))
    client.force_login(hall_manager)
    response = client.get(reverse("training:calendar"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["hall"] == hall
    assert response.context["month"] == date(2026, 11, 1)
    assert "投诉处理情景模拟" in html
    assert "别的厅" not in html and "下个月" not in html
    assert [len(week) for week in response.context["weeks"]] == [7] * 6
    next_month = client.get(reverse("training:calendar") + "?month=2026-12")
    assert "下个月" in next_month.content.decode()


def test_calendar_costs_the_same_queries_at_n_and_3n_sessions(client, hall_manager, hall, frozen):
    client.force_login(hall_manager)
    counts = []
    for total in (4, 12):
        for i in range(total - sum(1 for _ in range(0))):
            TrainingSessionFactory(halls=[hall], date=date(2026, 11, 1 + i % 28))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("training:calendar")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], [q["sql"] for q in queries.captured_queries]


def test_another_halls_code_on_the_calendar_is_not_found(client, hall_manager, foreign_hall):
    client.force_login(hall_manager)
    assert client.get(reverse("training:calendar") + "?hall=H900").status_code == 404


def test_bulk_attendance_saves_the_whole_hall_and_audits_once(
    client, hall_manager, hall, exam_session, clerk_staff, colleague
):
    manager_staff = hall_manager.staff
    client.force_login(hall_manager)
    url = reverse("training:session-detail", args=[exam_session.pk]) + "?hall=H001"
    data = sheet_data(
        {clerk_staff: ("present", "88"), colleague: ("excused", ""), manager_staff: ("present", "")}
    )
    response = client.post(url, data)
    assert response.status_code == 302
    rows = dict(Attendance.objects.values_list("staff__employee_no", "status"))
    assert rows == {"C0001": "present", "C0002": "excused", "M0001": "present"}
    assert list(ExamResult.objects.values_list("staff__employee_no", "score")) == [("C0001", Decimal("88.0"))]
    event = AuditEvent.objects.get(action="training.attendance.recorded")
    assert event.data == {"present": 2, "absent": 0, "excused": 1, "exams": 1}
    assert event.hall == hall


def test_correcting_someone_to_absent_on_the_sheet_withdraws_their_exam_and_says_so(
    client, hall_manager, exam_session, clerk_staff, colleague
):
    client.force_login(hall_manager)
    url = reverse("training:session-detail", args=[exam_session.pk]) + "?hall=H001"
    manager = hall_manager.staff
    client.post(
        url,
        sheet_data({clerk_staff: ("present", "88"), colleague: ("present", "75"), manager: ("present", "")}),
    )
    # The sheet shows the score; marking the person absent means clearing it too.
    kept = client.post(
        url,
        sheet_data({clerk_staff: ("absent", "88"), colleague: ("present", "75"), manager: ("present", "")}),
    )
    assert field_error(kept, f"score_{clerk_staff.pk}") == "Only people present can have an exam score."
    response = client.post(
        url,
        sheet_data({clerk_staff: ("absent", ""), colleague: ("present", "75"), manager: ("present", "")}),
        follow=True,
    )
    assert list(ExamResult.objects.values_list("staff__employee_no", flat=True)) == ["C0002"]
    assert "Recorded as not present, these people&#x27;s exam results were withdrawn: 李营业员." in (
        response.content.decode()
    )
    assert response.context["form"][f"score_{clerk_staff.pk}"].value() == ""


def test_a_bad_score_shows_beside_its_row_and_nothing_is_saved(
    client, hall_manager, exam_session, clerk_staff, colleague
):
    client.force_login(hall_manager)
    url = reverse("training:session-detail", args=[exam_session.pk]) + "?hall=H001"
    data = sheet_data(
        {clerk_staff: ("present", "150"), colleague: ("absent", "70"), hall_manager.staff: ("present", "")}
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert field_error(response, f"score_{clerk_staff.pk}") == "Enter a score between 0 and 100."
    assert field_error(response, f"score_{colleague.pk}") == "Only people present can have an exam score."
    assert field_error(response, f"score_{hall_manager.staff.pk}") is None
    assert "2 rows need correcting; nothing was saved." in response.content.decode()
    assert Attendance.objects.count() == 0
    assert ExamResult.objects.count() == 0
    assert not AuditEvent.objects.filter(action="training.attendance.recorded").exists()


def test_a_clerk_sees_only_their_own_attendance_on_the_session_page(
    client, clerk, clerk_staff, colleague, exam_session
):
    AttendanceFactory(session=exam_session, staff=clerk_staff)
    AttendanceFactory(session=exam_session, staff=colleague, status="absent")
    client.force_login(clerk)
    response = client.get(reverse("training:session-detail", args=[exam_session.pk]))
    assert response.status_code == 200
    assert "form" not in response.context
    assert [row.staff for row in response.context["own_rows"]] == [clerk_staff]
    assert client.post(reverse("training:session-detail", args=[exam_session.pk]), {}).status_code == 403


def test_archive_lists_hours_sessions_exams_qualifications_and_plans(
    client, hall_manager, clerk_staff, exam_session, onboarding, frozen
):
    AttendanceFactory(session=exam_session, staff=clerk_staff)
    ExamResultFactory(staff=clerk_staff, session=exam_session, score=Decimal("55"))
    qualify(clerk_staff, granted_on=date(2025, 1, 1), expires_on=date(2026, 12, 31))
    ImprovementPlanFactory(staff=clerk_staff)
    client.force_login(hall_manager)
    response = client.get(reverse("training:archive", args=[clerk_staff.pk]))
    html = response.content.decode()
    archive = response.context["archive"]
    assert archive.hours == Decimal("2.00")
    assert archive.sessions_attended == 1
    assert "季度业务考试" in html and "Failed" in html
    assert "2026-12-31" in html
    assert "Plan for 2026-10" in html
    assert [p.program for p in archive.progress] == [onboarding]


def test_archive_costs_the_same_queries_at_n_and_3n_records(
    client, hall_manager, hall, clerk_staff, onboarding
):
    client.force_login(hall_manager)
    counts = []
    for total in (3, 9):
        while Attendance.objects.filter(staff=clerk_staff).count() < total:
            session = TrainingSessionFactory(halls=[hall], program=onboarding)
            AttendanceFactory(session=session, staff=clerk_staff)
            ExamResultFactory(staff=clerk_staff, session=session, program=onboarding)
            ImprovementPlanFactory(staff=clerk_staff, month=date(2025, Attendance.objects.count(), 1))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("training:archive", args=[clerk_staff.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], [q["sql"] for q in queries.captured_queries]


def test_a_clerk_sees_their_own_archive_and_not_a_colleagues(client, clerk, clerk_staff, colleague):
    client.force_login(clerk)
    assert client.get(reverse("training:archive", args=[clerk_staff.pk])).status_code == 200
    assert client.get(reverse("training:archive", args=[colleague.pk])).status_code == 404


def test_archive_export_has_every_sheet_and_escapes_formulas(client, hall_manager, hall, clerk_staff):
    session = TrainingSessionFactory(halls=[hall], topic='=HYPERLINK("http://x")', date=date(2026, 11, 3))
    AttendanceFactory(session=session, staff=clerk_staff)
    ExamResultFactory(staff=clerk_staff, session=session, score=Decimal("91.5"))
    client.force_login(hall_manager)
    response = client.get(reverse("training:archive-export", args=[clerk_staff.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="training-archive-C0001.xlsx"'
    sheets = read_workbook_rows(response.content)
    assert list(sheets) == ["Summary", "Sessions", "Exams", "Qualifications", "Improvement plans"]
    assert sheets["Summary"][1] == ("C0001", "李营业员", "人民路营业厅", "Clerk", 2.0, 1)
    session_row = sheets["Sessions"][1]
    assert session_row[2] == '\'=HYPERLINK("http://x")'
    assert session_row[5:] == ("Present", 2.0)
    assert sheets["Exams"][1][3:] == (91.5, 100.0, 60.0, "Yes")


def test_progress_page_counts_staff_per_programme_and_feeds_the_chart(
    client, hall_manager, hall, clerk_staff, colleague, frozen
):
    program = TrainingProgramFactory(name="服务规范", required_hours=Decimal("2"))
    TrainingProgramFactory(name="只给导向", target_posts=["guide"])
    session = TrainingSessionFactory(
        halls=[hall], program=program, date=date(2026, 3, 1), duration_minutes=120
    )
    AttendanceFactory(session=session, staff=clerk_staff)
    short = TrainingSessionFactory(halls=[hall], program=program, date=date(2026, 3, 2), duration_minutes=30)
    AttendanceFactory(session=short, staff=colleague)
    client.force_login(hall_manager)
    response = client.get(reverse("training:progress"))
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert (row.program, row.completed, row.in_progress, row.not_started) == (program, 1, 1, 0)
    chart = response.context["chart"]
    assert chart["labels"] == ["服务规范"]
    assert [d["data"] for d in chart["datasets"]] == [[1], [1], [0]]
    html = response.content.decode()
    assert 'id="programme-progress"' in html and "training/progress.js" in html
    assert "<script>" not in html


def test_a_hall_manager_creates_a_plan_adds_a_step_follows_up_and_ends_it(
    client, hall_manager, clerk_staff, frozen
):
    client.force_login(hall_manager)
    response = client.post(
        reverse("training:plan-create", args=[clerk_staff.pk]),
        {
            "month": "2026-10",
            "owner": hall_manager.staff.pk,
            "goal": "差错率降到 1% 以下",
            "indicator_code_1": "accuracy",
            "indicator_name_1": "业务差错",
            "score_1": "3",
            "max_points_1": "10",
        },
    )
    plan = ImprovementPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "training:plan-detail", args=[plan.pk]
    )
    url = reverse("training:plan-detail", args=[plan.pk])
    client.post(url, {"form": "step", "step-due_on": "2026-11-26", "step-description": "每天复盘一笔差错"})
    client.post(url, {"form": "follow_up", "follow_up-written_on": "2026-11-25", "follow_up-note": "已谈话"})
    step = plan.steps.get()
    client.post(url, {"form": "step_done", "step": step.pk})
    refused = client.post(url, {"form": "verdict", "verdict-verdict": "improved"})
    assert field_error(refused, "verdict-verdict") == (
        "The next month's result is known from 2026-12-01; until then the plan can only be ended."
    )
    client.post(url, {"form": "verdict", "verdict-verdict": "ended", "verdict-note": "调岗"})
    plan.refresh_from_db()
    step.refresh_from_db()
    assert (plan.status, plan.verdict, plan.verdict_note) == ("closed", "ended", "调岗")
    assert step.done_on == date(2026, 11, 25)
    assert plan.follow_ups.get().note == "已谈话"
    assert list(
        AuditEvent.objects.filter(hall=clerk_staff.hall).values_list("action", flat=True).order_by("id")
    ) == [
        "training.plan.created",
        "training.plan.step_added",
        "training.plan.followed_up",
        "training.plan.step_done",
        "training.plan.closed",
    ]


def test_a_plan_for_a_month_not_yet_over_shows_the_error_beside_the_month(
    client, hall_manager, clerk_staff, frozen
):
    client.force_login(hall_manager)
    response = client.post(
        reverse("training:plan-create", args=[clerk_staff.pk]),
        {
            "month": "2026-11",
            "owner": clerk_staff.pk,
            "goal": "x",
            "indicator_code_1": "a",
            "indicator_name_1": "A",
            "score_1": "3",
            "max_points_1": "10",
        },
    )
    assert response.status_code == 200
    assert field_error(response, "month") == "Choose a month whose results are published."
    assert not ImprovementPlan.objects.exists()


def test_session_create_schedules_for_the_managed_hall_only(client, hall_manager, hall, other_hall):
    client.force_login(hall_manager)
    form = client.get(reverse("training:session-create") + "?hall=H001").context["form"]
    assert list(form.fields["halls"].queryset) == [hall]
    response = client.post(
        reverse("training:session-create"),
        {
            "kind": "drill",
            "topic": "岗位练兵：携号转网",
            "date": "2026-11-20",
            "starts_at": "08:30",
            "duration_minutes": "30",
            "trainer": "王经理",
            "halls": [hall.pk],
            "exam_kind": "oral",
            "exam_max_score": "10",
            "exam_pass_mark": "6",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        reverse("training:session-create"),
        {
            "kind": "drill",
            "topic": "x",
            "date": "2026-11-20",
            "starts_at": "08:30",
            "duration_minutes": "30",
            "trainer": "x",
            "halls": [other_hall.pk],
        },
    )
    assert bad.status_code == 200
    assert "halls" in bad.context["form"].errors


def test_unrelated_staff_does_not_change_the_clerks_archive(client, hall_manager, hall, clerk_staff):
    StaffFactory(hall=hall)
    client.force_login(hall_manager)
    assert client.get(reverse("training:archive", args=[clerk_staff.pk])).context["archive"].hours == 0


def test_the_attendance_sheet_costs_the_same_queries_at_n_and_3n_people(
    client, hall_manager, hall, exam_session
):
    client.force_login(hall_manager)
    url = reverse("training:session-detail", args=[exam_session.pk])
    counts = []
    for total in (4, 12):
        while hall.staff.count() < total:
            person = StaffFactory(hall=hall)
            AttendanceFactory(session=exam_session, staff=person)
            ExamResultFactory(staff=person, session=exam_session)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert len(response.context["form"].rows()) == total
        counts.append(len(queries))
    assert counts[0] == counts[1], [q["sql"] for q in queries.captured_queries]

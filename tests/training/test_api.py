from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from staffing.models import Qualification
from tests.staffing.factories import StaffFactory, qualify
from tests.training.factories import (
    AttendanceFactory,
    ExamResultFactory,
    ProgramStageFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import Attendance

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "programmes": "/api/v1/training/programmes/",
    "sessions": "/api/v1/training/sessions/",
    "attendance": "/api/v1/training/attendance/",
    "exams": "/api/v1/training/exam-results/",
    "qualifications": "/api/v1/qualifications/",
}


@pytest.fixture
def records(cast, clerk_staff, colleague, exam_session):
    """Attendance, exams and qualifications in the cast's hall, the other hall and a foreign branch."""
    neighbour = StaffFactory(hall=cast.other_hall, employee_no="N0001")
    stranger = StaffFactory(hall=cast.foreign_hall, employee_no="F0001")
    foreign_session = TrainingSessionFactory(halls=[cast.foreign_hall])
    for person, session in [
        (clerk_staff, exam_session),
        (colleague, exam_session),
        (neighbour, exam_session),
        (stranger, foreign_session),
    ]:
        AttendanceFactory(session=session, staff=person)
        ExamResultFactory(staff=person, session=session)
        qualify(person)
    return {"neighbour": neighbour, "stranger": stranger}


def numbers(response, key="staff"):
    return sorted(row[key] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("clerk", ["C0001"]),
        ("hall_manager", ["C0001", "C0002"]),
        ("other_hall_manager", ["N0001"]),
        ("branch_manager", ["C0001", "C0002", "N0001"]),
        ("inspector", ["C0001", "C0002", "N0001"]),
    ],
)
def test_attendance_exams_and_qualifications_are_scoped_to_the_caller(api, cast, records, role, expected):
    client = api.as_user(getattr(cast, role))
    for name in ("attendance", "exams", "qualifications"):
        response = client.get(ENDPOINTS[name])
        assert response.status_code == 200, name
        assert numbers(response) == expected, name


def test_the_hr_client_syncs_its_branch_with_a_token(api, cast, records):
    client = api.as_token(cast.hr_client.raw_token)
    assert numbers(client.get(ENDPOINTS["attendance"])) == ["C0001", "C0002", "N0001"]
    sessions = client.get(ENDPOINTS["sessions"]).json()["results"]
    assert [sorted(s["halls"]) for s in sessions] == [["H001", "H002"]]
    assert (
        client.get(
            f"{ENDPOINTS['attendance']}{Attendance.objects.get(staff=records['stranger']).pk}/"
        ).status_code
        == 404
    )


def test_a_clerk_sees_a_colleagues_row_as_not_found(api, cast, records, colleague):
    row = Attendance.objects.get(staff=colleague)
    assert api.as_user(cast.clerk).get(f"{ENDPOINTS['attendance']}{row.pk}/").status_code == 404


def test_updated_since_returns_only_rows_changed_after_the_stamp(api, cast, records, clerk_staff):
    client = api.as_token(cast.hr_client.raw_token)
    stamp = timezone.now() + timedelta(seconds=1)
    later = Qualification.objects.filter(staff=clerk_staff)
    assert (
        client.get(ENDPOINTS["qualifications"], {"updated_since": stamp.isoformat()}).json()["results"] == []
    )
    later.update(expires_on=date(2030, 1, 1))  # the trigger moves updated_at to the database clock
    Attendance.objects.filter(staff=clerk_staff).update(status="excused", hours=0)
    since = {"updated_since": (timezone.now() - timedelta(seconds=30)).isoformat()}
    assert numbers(client.get(ENDPOINTS["qualifications"], since)) == ["C0001", "C0002", "N0001"]
    recent = Attendance.objects.get(staff=clerk_staff).updated_at
    rows = client.get(ENDPOINTS["attendance"], {"updated_since": recent.isoformat()}).json()["results"]
    assert [(r["staff"], r["status"]) for r in rows] == [("C0001", "excused")]


def test_lists_page_with_the_keyset_cursor(api, cast, records):
    client = api.as_token(cast.hr_client.raw_token)
    first = client.get(ENDPOINTS["exams"], {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1 and second["next"] is None
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(seen)) == 3


def test_a_withdrawn_exam_result_leaves_a_tombstone_for_sync(api, cast, records, clerk_staff, exam_session):
    from training.models import ExamResult
    from training.services import AttendanceEntry, record_hall_attendance

    exam = ExamResult.objects.get(staff=clerk_staff)
    record_hall_attendance(
        actor=cast.hall_manager,
        session=exam_session,
        hall=cast.hall,
        rows=[AttendanceEntry(clerk_staff.pk, "absent", None)],
    )
    deleted = api.as_user(cast.hall_manager).get(ENDPOINTS["exams"] + "deleted/")
    assert deleted.status_code == 200
    assert [(row["id"], row["hall"], row["reason"]) for row in deleted.json()["results"]] == [
        (exam.pk, cast.hall.pk, "deleted")
    ]
    assert api.as_user(cast.other_hall_manager).get(ENDPOINTS["exams"] + "deleted/").json()["results"] == []
    assert exam.pk not in [
        row["id"] for row in api.as_user(cast.hall_manager).get(ENDPOINTS["exams"]).json()["results"]
    ]


def test_programmes_list_their_stages(api, cast, onboarding):
    rows = api.as_user(cast.clerk).get(ENDPOINTS["programmes"]).json()["results"]
    assert [(r["code"], [s["name"] for s in r["stages"]]) for r in rows] == [
        ("ONB", ["业务知识", "服务礼仪"])
    ]


def test_anonymous_callers_need_a_token(api):
    assert api.get(ENDPOINTS["sessions"]).status_code == 401


def grow(cast, total):
    """`total` of each record in the cast's hall."""
    while Attendance.objects.count() < total:
        program = TrainingProgramFactory()
        ProgramStageFactory(program=program)
        session = TrainingSessionFactory(halls=[cast.hall, cast.other_hall], program=program)
        person = StaffFactory(hall=cast.hall)
        AttendanceFactory(session=session, staff=person)
        ExamResultFactory(staff=person, session=session, program=program)
        qualify(person)


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_each_list_costs_the_same_queries_at_n_and_3n_rows(api, cast, name):
    client = api.as_token(cast.hr_client.raw_token)
    client.get(ENDPOINTS[name])  # the first call of a token also stamps its last use
    counts = []
    for total in (4, 12):
        grow(cast, total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(ENDPOINTS[name])
        assert len(response.json()["results"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1], [q["sql"] for q in queries.captured_queries]
    # token lookup, the scope (memberships, API client, its regions, staff record), the page,
    # and its prefetch (stages of programmes, halls of sessions), and the request-log INSERT
    assert counts[0] == {"programmes": 8, "sessions": 8}.get(name, 7)

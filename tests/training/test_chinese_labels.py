"""The training archive's "Sessions" and an improvement plan's "Open" carry a message context, so
the Chinese interface says 培训场次 and 进行中, never a login session's 会话 or a link's 查看."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from tests.training.factories import AttendanceFactory, ExamResultFactory, ImprovementPlanFactory
from training.models import Attendance, PlanStatus

pytestmark = pytest.mark.django_db


def test_the_archive_lists_training_sessions_not_login_sessions(
    client, hall_manager, clerk_staff, exam_session, frozen
):
    AttendanceFactory(session=exam_session, staff=clerk_staff)
    ExamResultFactory(staff=clerk_staff, session=exam_session, score=Decimal("55"))
    ImprovementPlanFactory(staff=clerk_staff)
    client.force_login(hall_manager)
    html = client.get(reverse("training:archive", args=[clerk_staff.pk])).content.decode()
    assert '<div class="card-header" id="sessions-heading">培训场次</div>' in html
    assert "会话" not in html
    assert "进行中" in html


def test_a_training_session_field_and_an_open_plan_read_in_training_terms():
    with translation.override("zh-hans"):
        assert str(Attendance._meta.get_field("session").verbose_name) == "培训场次"
        assert str(PlanStatus.OPEN.label) == "进行中"

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from tests.staffing.factories import StaffFactory
from tests.training.factories import OnboardingProgramFactory, ProgramStageFactory, TrainingSessionFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


@pytest.fixture
def english():
    """Messages asserted in English (the msgids); zh-hans is the project's default."""
    with translation.override("en"):
        yield


@pytest.fixture
def frozen():
    """The clock stopped at Wed 25 Nov 2026 10:00 in Shanghai; `frozen.move_to(...)` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def onboarding(db):
    """Onboarding for clerks: two stages of 2 h each, granting the window post for 24 months."""
    program = OnboardingProgramFactory(code="ONB", name="新员工入职培训", required_hours=Decimal("4"))
    ProgramStageFactory(program=program, order=1, name="业务知识", required_hours=Decimal("2"))
    ProgramStageFactory(program=program, order=2, name="服务礼仪", required_hours=Decimal("2"))
    return program


@pytest.fixture
def exam_session(hall, other_hall):
    """A written-exam session (max 100, pass 60) for `hall` and `other_hall`, 2 h long."""
    return TrainingSessionFactory(
        halls=[hall, other_hall],
        topic="季度业务考试",
        exam_kind="written",
        exam_max_score=Decimal("100"),
        exam_pass_mark=Decimal("60"),
    )


@pytest.fixture
def colleague(hall):
    return StaffFactory(hall=hall, name="赵营业员", employee_no="C0002")

from datetime import datetime

import pytest
import time_machine

from complaints import services
from complaints.sla import SHANGHAI
from tests.halls.factories import UserFactory
from tests.staffing.factories import StaffFactory

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


@pytest.fixture
def frozen():
    """The clock stopped at Wed 25 Nov 2026 10:00 in Shanghai; `frozen.move_to(...)` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def second_clerk(hall):
    return StaffFactory(
        hall=hall, user=UserFactory(username="second-clerk"), name="赵营业员", employee_no="C0002"
    )


@pytest.fixture
def subject_clerk(hall):
    """The clerk the `received` complaint is about: never its handler."""
    return StaffFactory(
        hall=hall, user=UserFactory(username="subject-clerk"), name="王营业员", employee_no="C0003"
    )


@pytest.fixture
def received(cast, subject_clerk, frozen):
    """A normal complaint about `subject_clerk`, received at the counter by the cast clerk (its
    first receiver)."""
    return services.create_complaint(
        actor=cast.clerk,
        hall=cast.hall,
        channel="hall_counter",
        customer_name="张三丰",
        customer_phone="13812345678",
        category="service_attitude",
        subject="营业员态度差",
        clerks=[subject_clerk],
    )


@pytest.fixture
def in_progress(received, cast):
    """The received complaint assigned to the cast clerk by the hall manager and started."""
    complaint = services.assign_complaint(actor=cast.hall_manager, complaint=received, handler=cast.clerk)
    return services.start_handling(actor=cast.clerk, complaint=complaint)

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from staffing.rostering.erlang import (
    agents_required,
    average_speed_of_answer,
    erlang_b,
    offered_load,
    probability_of_waiting,
    service_level,
)


def test_call_centre_textbook_case_needs_fourteen_agents():
    # 100 arrivals in 30 minutes, 3-minute handling = 10 Erlangs; 80 % within 20 seconds.
    load = offered_load(arrivals=100, interval_seconds=1800, handling_seconds=180)
    assert load == pytest.approx(10.0)
    assert (
        agents_required(
            arrivals=100, interval_seconds=1800, handling_seconds=180, target_level=0.8, target_seconds=20
        )
        == 14
    )
    assert probability_of_waiting(14, load) == pytest.approx(0.1741, abs=5e-5)
    assert service_level(14, load, handling_seconds=180, target_seconds=20) == pytest.approx(0.888, abs=5e-4)
    assert service_level(13, load, handling_seconds=180, target_seconds=20) < 0.8


def test_hall_with_sixty_arrivals_an_hour_and_eight_minute_handling_needs_nine():
    assert (
        agents_required(
            arrivals=60, interval_seconds=3600, handling_seconds=480, target_level=0.8, target_seconds=600
        )
        == 9
    )
    assert service_level(9, 8.0, handling_seconds=480, target_seconds=600) == pytest.approx(0.813, abs=5e-4)


def test_average_speed_of_answer_matches_the_textbook_value():
    assert average_speed_of_answer(14, 10.0, handling_seconds=180) == pytest.approx(7.83, abs=0.01)


def test_no_arrivals_need_no_staff_and_an_overloaded_queue_never_meets_its_target():
    assert (
        agents_required(
            arrivals=0, interval_seconds=3600, handling_seconds=300, target_level=0.8, target_seconds=60
        )
        == 0
    )
    assert probability_of_waiting(5, 5.0) == 1.0
    assert service_level(5, 6.0, handling_seconds=300, target_seconds=60) == 0.0
    assert average_speed_of_answer(3, 4.0, handling_seconds=300) == math.inf


def test_erlang_b_stays_finite_for_hundreds_of_servers():
    blocking = erlang_b(500, 480.0)
    assert 0 < blocking < 1
    assert (
        agents_required(
            arrivals=5760, interval_seconds=3600, handling_seconds=300, target_level=0.9, target_seconds=30
        )
        > 480
    )


def test_target_level_outside_zero_and_one_is_refused():
    with pytest.raises(ValueError, match="target_level"):
        agents_required(
            arrivals=10, interval_seconds=3600, handling_seconds=300, target_level=1.0, target_seconds=60
        )


loads = st.floats(min_value=0.1, max_value=120, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(load=loads, extra=st.integers(min_value=0, max_value=40), target=st.floats(min_value=0, max_value=900))
def test_more_agents_never_lower_the_service_level(load, extra, target):
    servers = math.floor(load) + 1 + extra
    now = service_level(servers, load, handling_seconds=300, target_seconds=target)
    more = service_level(servers + 1, load, handling_seconds=300, target_seconds=target)
    assert more >= now - 1e-12
    assert 0.0 <= now <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    arrivals=st.floats(min_value=0.5, max_value=2000),
    handling=st.floats(min_value=10, max_value=1800),
    level=st.floats(min_value=0.05, max_value=0.99),
    target=st.floats(min_value=0, max_value=1200),
)
def test_required_agents_exceed_the_load_and_meet_the_target(arrivals, handling, level, target):
    load = offered_load(arrivals=arrivals, interval_seconds=3600, handling_seconds=handling)
    n = agents_required(
        arrivals=arrivals,
        interval_seconds=3600,
        handling_seconds=handling,
        target_level=level,
        target_seconds=target,
    )
    assert n > load
    assert service_level(n, load, handling_seconds=handling, target_seconds=target) >= level
    if n - 1 > load:
        assert service_level(n - 1, load, handling_seconds=handling, target_seconds=target) < level

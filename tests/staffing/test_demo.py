"""The demo seeds shift types for every hall, within its opening hours, so a hall manager can
generate a roster in the demo straight away."""

from datetime import timedelta

import pytest
from django.db.models import Max, Min

from halls.demo import run_seed
from halls.models import OpeningHours
from staffing import roster_services as services
from staffing.models import Roster, ShiftType

pytestmark = pytest.mark.django_db


def test_every_demo_hall_has_shift_types_and_the_first_hall_gets_a_generated_roster(
    django_capture_on_commit_callbacks,
):
    context = run_seed(scale="small", seed=1, log=lambda message: None)
    assert context.extra["shift_types"] == ShiftType.objects.count()
    envelope = {
        row["hall"]: (row["opens"], row["closes"])
        for row in OpeningHours.objects.values("hall").annotate(
            opens=Min("opens_at"), closes=Max("closes_at")
        )
    }
    for hall in context.halls:
        shifts = list(ShiftType.objects.filter(hall=hall, is_active=True))
        assert {s.code for s in shifts} == {"D", "L", "AM", "PM"}, hall.code
        opens, closes = envelope[hall.pk]
        assert all(opens <= s.start < s.end <= closes for s in shifts), hall.code
        assert all(0 <= s.break_minutes <= 60 for s in shifts)
    day = next(s for s in ShiftType.objects.filter(hall=context.halls[0], code="D"))
    assert (day.name, f"{day.start:%H:%M}", f"{day.end:%H:%M}", day.break_minutes) == (
        "早班",
        "08:30",
        "17:00",
        60,
    )

    first = context.halls[0]
    monday = context.today + timedelta(days=7 - context.today.weekday())
    with django_capture_on_commit_callbacks(execute=True):
        roster = services.request_roster_generation(
            actor=context.users["manager"],
            hall=first,
            start=monday,
            end=monday + timedelta(days=6),
            time_limit_seconds=5,
        )
    roster.refresh_from_db()
    assert roster.generation_status == Roster.Generation.DONE, roster.generation_error
    assert roster.assignments.count() > 0
    assert {a.shift_type.hall_id for a in roster.assignments.select_related("shift_type")} == {first.pk}

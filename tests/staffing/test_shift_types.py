"""Shift types of a hall: the page (list, add, edit, deactivate/reactivate), the rules of the
services behind it (unique code, times, break, the history rule) and the refusal of a roster for
a hall without an active shift type (page, service, API).

Pages are requested in English so messages are asserted as their msgids.
"""

from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from halls.models import AuditEvent
from staffing import roster_services as services
from staffing.exceptions import HallHasNoShiftTypes, ShiftTypeInvalid
from staffing.models import Roster, ShiftType
from tests.pages import error_is_beside_field, field_error
from tests.staffing.factories import RosterFactory, ShiftTypeFactory, StaffFactory, make_assignment

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)


@pytest.fixture
def english(client, hall_manager):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(hall_manager)
    return client


def shift_data(**overrides):
    return {
        "code": "D",
        "name": "Day",
        "start": "08:30",
        "end": "17:00",
        "break_minutes": "60",
        "colour": "#4e79a7",
        **overrides,
    }


def published_use(shift, roster=None):
    """One shift of `shift` on a published roster (a new one unless given)."""
    if roster is None:
        roster = RosterFactory(hall=shift.hall, status=Roster.Status.PUBLISHED, published_at=timezone.now())
    make_assignment(roster, StaffFactory(hall=shift.hall), MONDAY, shift)
    return roster


# --- no shift types: no roster --------------------------------------------------------------------


def test_services_refuse_a_roster_for_a_hall_without_an_active_shift_type(hall, hall_manager):
    ShiftTypeFactory(hall=hall, code="OLD", is_active=False)
    with pytest.raises(HallHasNoShiftTypes) as refused:
        services.create_roster(actor=hall_manager, hall=hall, start=MONDAY, end=SUNDAY)
    assert refused.value.field == "hall"
    with pytest.raises(HallHasNoShiftTypes):
        services.request_roster_generation(actor=hall_manager, hall=hall, start=MONDAY, end=SUNDAY)
    assert not Roster.objects.filter(hall=hall).exists()
    ShiftTypeFactory(hall=hall, code="D")
    assert services.create_roster(actor=hall_manager, hall=hall, start=MONDAY, end=SUNDAY).version == 1


@pytest.mark.parametrize("method", ["solver", "rotation", "manual"])
def test_new_roster_page_refuses_without_shift_types_and_links_to_adding_one(english, hall, method):
    url = reverse("roster_generate", args=[hall.pk])
    page = english.get(url)
    add_url = reverse("roster_shift_type_create", args=[hall.pk])
    assert "administration" not in page.content.decode()
    assert f'href="{add_url}"' in page.content.decode()

    response = english.post(
        url,
        {
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "method": method,
            "rotation_kind": "rolling",
            "cycle": "D D -",
            "time_limit_seconds": "2",
        },
    )
    assert response.status_code == 200
    assert not Roster.objects.filter(hall=hall).exists()
    errors = response.context["form"].non_field_errors()
    assert errors == [f"{hall.name} has no active shift types; add one before creating a roster."]
    html = response.content.decode()
    assert "data-no-shift-types" in html and f'href="{add_url}"' in html


def test_api_answers_400_for_a_hall_without_shift_types(cast, api, hall_manager):
    payload = {"hall": cast.hall.code, "period_start": "2026-03-02", "period_end": "2026-03-08"}
    client = api.as_user(hall_manager)
    for url in ("/api/v1/rosters/generate/", "/api/v1/rosters/"):
        response = client.post(url, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, response.json()
        assert response.json()["errors"]["hall"] == [
            f"{cast.hall.name} has no active shift types; add one before creating a roster."
        ]
    assert not Roster.objects.filter(hall=cast.hall).exists()


# --- the shift-type page ----------------------------------------------------------------------------


def test_a_manager_adds_a_shift_type_and_it_is_offered_for_new_rosters(english, hall):
    response = english.post(reverse("roster_shift_type_create", args=[hall.pk]), shift_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("roster_shift_types", args=[hall.pk])
    shift = ShiftType.objects.get(hall=hall, code="D")
    assert (shift.start, shift.end, shift.break_minutes, shift.is_active) == (time(8, 30), time(17), 60, True)
    event = AuditEvent.objects.get(action="staffing.shift_type.created")
    assert event.hall_id == hall.pk and event.data == {"code": "D", "start": "08:30", "end": "17:00"}
    listing = english.get(reverse("roster_shift_types", args=[hall.pk]))
    assert 'data-shift-type="D"' in listing.content.decode()
    generate = english.get(reverse("roster_generate", args=[hall.pk]))
    assert list(generate.context["shift_types"]) == [shift]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "D"}, "code", "This hall already has a shift with this code."),
        ({"code": "D 2"}, "code", "A code is 1 to 10 letters or digits, without spaces"),
        ({"code": "休"}, "code", "A code is 1 to 10 letters or digits, without spaces"),
        ({"start": "17:00", "end": "09:00"}, "end", "A shift must end after it starts, on the same day."),
        ({"break_minutes": "241"}, "break_minutes", "Ensure this value is less than or equal to 240."),
        ({"start": "09:00", "end": "10:00", "break_minutes": "60"}, "break_minutes", "The break must be"),
        ({"colour": "blue"}, "colour", "Give the colour as #RRGGBB."),
    ],
)
def test_bad_shift_types_get_an_error_beside_the_field(english, hall, data, field, message):
    ShiftTypeFactory(hall=hall, code="D")
    response = english.post(
        reverse("roster_shift_type_create", args=[hall.pk]), shift_data(**{"code": "E", **data})
    )
    assert response.status_code == 200
    assert field_error(response, field).startswith(message)
    assert error_is_beside_field(response, field)
    assert ShiftType.objects.filter(hall=hall).count() == 1


def test_the_same_code_in_another_hall_is_fine(english, hall, other_hall):
    ShiftTypeFactory(hall=other_hall, code="D")
    response = english.post(reverse("roster_shift_type_create", args=[hall.pk]), shift_data())
    assert response.status_code == 302
    assert ShiftType.objects.filter(code="D").count() == 2


def test_service_refuses_a_break_over_four_hours(hall, hall_manager):
    with pytest.raises(ShiftTypeInvalid) as refused:
        services.create_shift_type(
            actor=hall_manager,
            hall=hall,
            code="L",
            name="Long",
            start=time(7),
            end=time(21),
            break_minutes=241,
        )
    assert refused.value.field == "break_minutes"


def test_editing_a_shift_type_is_audited_with_the_changes(english, hall):
    shift = ShiftTypeFactory(hall=hall, code="D", start=time(9), end=time(17), break_minutes=60)
    response = english.post(
        reverse("roster_shift_type_edit", args=[shift.pk]),
        shift_data(start="09:00", end="18:00", name="Long day"),
    )
    assert response.status_code == 302
    shift.refresh_from_db()
    assert (shift.end, shift.name) == (time(18), "Long day")
    event = AuditEvent.objects.get(action="staffing.shift_type.updated")
    assert event.data == {"name": ["Shift D", "Long day"], "end": ["17:00:00", "18:00:00"]}


def test_a_shift_type_in_a_published_roster_keeps_its_code_and_times(english, hall, hall_manager):
    shift = ShiftTypeFactory(hall=hall, code="D", start=time(9), end=time(17), break_minutes=60)
    published_use(shift)
    url = reverse("roster_shift_type_edit", args=[shift.pk])
    assert "its code and times are kept" in english.get(url).content.decode()
    for changed, field in [({"start": "08:00"}, "start"), ({"break_minutes": "30"}, "break_minutes")]:
        response = english.post(url, shift_data(**{"start": "09:00", **changed}))
        assert response.status_code == 200
        assert field_error(response, field).startswith("A published roster uses this shift type")
        assert error_is_beside_field(response, field)
    shift.refresh_from_db()
    assert (shift.start, shift.break_minutes) == (time(9), 60)
    # Name and colour may change.
    response = english.post(url, shift_data(start="09:00", name="Early day", colour="#ff0000"))
    assert response.status_code == 302
    shift.refresh_from_db()
    assert (shift.name, shift.colour, shift.start) == ("Early day", "#ff0000", time(9))
    # A draft roster does not freeze anything.
    draft_only = ShiftTypeFactory(hall=hall, code="E", start=time(12), end=time(20))
    make_assignment(RosterFactory(hall=hall), StaffFactory(hall=hall), MONDAY, draft_only)
    services.update_shift_type(actor=hall_manager, shift_type=draft_only, end=time(21))


def test_deactivating_hides_a_shift_type_from_new_rosters_and_reactivating_brings_it_back(english, hall):
    shift = ShiftTypeFactory(hall=hall, code="D")
    url = reverse("roster_shift_type_active", args=[shift.pk])
    response = english.post(url, {"active": "0"})
    assert response.status_code == 303
    shift.refresh_from_db()
    assert shift.is_active is False
    assert list(english.get(reverse("roster_generate", args=[hall.pk])).context["shift_types"]) == []
    assert (
        'data-shift-type="D"' in english.get(reverse("roster_shift_types", args=[hall.pk])).content.decode()
    )
    english.post(url, {"active": "1"})
    english.post(url, {"active": "1"})  # already active: nothing changes, nothing is audited
    shift.refresh_from_db()
    assert shift.is_active is True
    assert list(
        AuditEvent.objects.filter(action__startswith="staffing.shift_type.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["staffing.shift_type.deactivated", "staffing.shift_type.reactivated"]


def test_another_halls_manager_gets_404_and_a_clerk_403(client, hall, other_hall_manager, clerk):
    shift = ShiftTypeFactory(hall=hall, code="D")
    client.force_login(other_hall_manager)
    assert client.get(reverse("roster_shift_types", args=[hall.pk])).status_code == 404
    assert client.post(reverse("roster_shift_type_edit", args=[shift.pk]), shift_data()).status_code == 404
    assert (
        client.post(reverse("roster_shift_type_active", args=[shift.pk]), {"active": "0"}).status_code == 404
    )
    client.force_login(clerk)
    assert client.post(reverse("roster_shift_type_create", args=[hall.pk]), shift_data()).status_code == 403
    shift.refresh_from_db()
    assert shift.is_active and ShiftType.objects.filter(hall=hall).count() == 1


def test_the_shift_type_list_runs_the_same_queries_at_n_and_3n_rows(english, hall):
    url = reverse("roster_shift_types", args=[hall.pk])

    roster = RosterFactory(hall=hall, status=Roster.Status.PUBLISHED, published_at=timezone.now())

    def add(n, start):
        for i in range(n):
            published_use(ShiftTypeFactory(hall=hall, code=f"S{start + i}"), roster)

    add(3, 0)
    with CaptureQueriesContext(connection) as at_n:
        first = english.get(url)
    add(6, 3)
    with CaptureQueriesContext(connection) as at_3n:
        second = english.get(url)
    assert len(first.context["shift_types"]) == 3 and len(second.context["shift_types"]) == 9
    assert second.content.decode().count("In a published roster") == 9
    assert len(at_n.captured_queries) == len(at_3n.captured_queries)
    assert len(at_n.captured_queries) <= 15


def test_the_pages_read_in_chinese(client, hall, hall_manager):
    client.force_login(hall_manager)
    shift = ShiftTypeFactory(hall=hall, code="D", break_minutes=60)
    published_use(shift)
    listing = client.get(reverse("roster_shift_types", args=[hall.pk])).content.decode()
    for text in ("的班次", "添加班次", "停用", "休息 60 分钟", "已用于发布的排班", "班次在开始当天结束"):
        assert text in listing, text
    form = client.get(reverse("roster_shift_type_edit", args=[shift.pk])).content.decode()
    for text in ("开始时间", "结束时间", "无薪休息（分钟）", "颜色", "其代码和时间保持不变"):
        assert text in form, text
    refused = client.post(reverse("roster_shift_type_edit", args=[shift.pk]), shift_data(start="08:00"))
    assert field_error(refused, "start").startswith("已发布的排班使用了该班次")
    shift.is_active = False
    shift.save()
    generate = client.post(
        reverse("roster_generate", args=[hall.pk]),
        {
            "period_start": "2026-03-09",
            "period_end": "2026-03-15",
            "method": "manual",
            "time_limit_seconds": "2",
        },
    )
    assert f"{hall.name}没有启用的班次，请先添加班次再创建排班。" in generate.content.decode()


def test_a_queued_generation_fails_when_its_shift_types_were_deactivated_meanwhile(hall, hall_manager):
    shift = ShiftTypeFactory(hall=hall, code="D")
    roster = services.request_roster_generation(actor=hall_manager, hall=hall, start=MONDAY, end=SUNDAY)
    services.set_shift_type_active(actor=hall_manager, shift_type=shift, active=False)
    with translation.override("en"):  # whatever the worker had active: stored in the site's language
        services.run_roster_generation(roster_id=roster.pk)
    roster.refresh_from_db()
    assert roster.generation_status == Roster.Generation.FAILED
    assert roster.generation_error == f"{hall.name}没有启用的班次，请先添加班次再创建排班。"
    assert not roster.assignments.exists()

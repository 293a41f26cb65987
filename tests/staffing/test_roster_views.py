"""Rostering pages: grid, cell edits, heatmap, generation with progress, publish, compare,
schedules, the Excel export, leave, requests and the traffic import.

Pages are requested in English (Accept-Language) so messages are asserted as their msgids; one
test checks the Chinese default.
"""

import re
from datetime import date, time
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from halls.models import AuditEvent
from staffing.models import Assignment, Leave, Roster, Staff, StaffRequest, TrafficRecord
from staffing.tasks import generate_roster
from tests.pages import error_is_beside_field, field_error
from tests.staffing.factories import (
    RosterFactory,
    ShiftTypeFactory,
    StaffFactory,
    make_assignment,
    qualify,
    weekly_opening_hours,
)

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)
TUESDAY = date(2026, 3, 3)
SUNDAY = date(2026, 3, 8)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def setup(hall, hall_manager, clerk_staff, english):
    """Hall H001 open 09:00–17:00 daily with a day shift D and two half shifts, the clerk
    (qualified) and a senior duty manager, and an empty draft roster for the week of 2 March."""
    weekly_opening_hours(hall)
    shifts = {
        "D": ShiftTypeFactory(hall=hall, code="D", name="Day", start=time(9), end=time(17), colour="#4e79a7"),
        "M": ShiftTypeFactory(
            hall=hall,
            code="M",
            name="Morning",
            start=time(9),
            end=time(13),
            break_minutes=0,
            colour="#f6b26b",
        ),
        "A": ShiftTypeFactory(
            hall=hall,
            code="A",
            name="Afternoon",
            start=time(13),
            end=time(17),
            break_minutes=0,
            colour="#93c47d",
        ),
    }
    qualify(clerk_staff)
    duty = StaffFactory(hall=hall, name="赵值班", post=Staff.Post.DUTY_MANAGER, star_level=4)
    roster = RosterFactory(hall=hall, version=1)
    return {"hall": hall, "roster": roster, "shifts": shifts, "clerk": clerk_staff, "duty": duty}


def cell_url(roster, staff, day):
    return reverse("roster_cell", args=[roster.pk, staff.pk, day.isoformat()])


def text(response) -> str:
    return response.content.decode()


# --- Grid ------------------------------------------------------------------------------------


def test_grid_shows_staff_by_days_with_shift_codes_in_their_colour_and_the_heatmap(
    setup, client, hall_manager
):
    roster, clerk, shifts = setup["roster"], setup["clerk"], setup["shifts"]
    make_assignment(roster, clerk, MONDAY, shifts["D"], post="window")
    client.force_login(hall_manager)

    response = client.get(reverse("roster_detail", args=[roster.pk]))

    assert response.status_code == 200
    html = text(response)
    grid = response.context["grid"]
    assert [row.staff.name for row in grid.rows] == ["王经理", "赵值班", "李营业员"]
    assert len(grid.days) == 7
    cell = re.search(rf'<td id="cell-{clerk.pk}-20260302"[^>]*>(.*?)</td>', html, re.S).group(1)
    assert 'data-colour="#4e79a7"' in cell and ">D</span>" in cell
    assert 'class="shift-pill on-dark"' in cell
    assert f'hx-get="{cell_url(roster, clerk, MONDAY)}"' in cell
    assert re.search(rf'<span id="hours-{clerk.pk}">7</span>', html)
    # Heatmap: 8 open hours × 7 days; Monday has the clerk on duty against 1 required.
    heatmap = response.context["heatmap"]
    assert [hour for hour, _cells in heatmap.rows] == list(range(9, 17))
    assert heatmap.rows[0][1][0].scheduled == 1 and heatmap.rows[0][1][1].scheduled == 0
    assert '<td class="heat-met" title="March 2 09:00 — 1 on duty, 1 required">1/1</td>' in html
    assert html.count('class="heat-gap-1"') == 8 * 6
    assert heatmap.missing_staff_hours == 48
    # Every day lacks a senior on duty in every open hour: the rule check lists it.
    assert "No senior (duty manager or star level 4+) is on duty on 2026-03-02 at 09:00" in html


def test_grid_of_a_published_roster_has_no_editing_buttons(setup, client, hall_manager):
    roster = setup["roster"]
    Roster.objects.filter(pk=roster.pk).update(status=Roster.Status.PUBLISHED, published_at=timezone.now())
    client.force_login(hall_manager)

    html = text(client.get(reverse("roster_detail", args=[roster.pk])))

    assert "hx-get=" not in html.split('id="grid-title"')[1].split('id="roster-checks"')[0]
    assert reverse("roster_publish", args=[roster.pk]) not in html


def test_grid_page_runs_the_same_queries_at_n_and_3n_staff(setup, client, hall_manager):
    roster, hall, shifts = setup["roster"], setup["hall"], setup["shifts"]
    client.force_login(hall_manager)
    url = reverse("roster_detail", args=[roster.pk])

    def add_people(count):
        for _ in range(count):
            person = StaffFactory(hall=hall)
            qualify(person)
            make_assignment(roster, person, MONDAY, shifts["M"])
            make_assignment(roster, person, TUESDAY, shifts["A"], post="guide")
            Leave.objects.create(
                staff=person, kind="annual", start_date=SUNDAY, end_date=SUNDAY, approved=True
            )
            StaffRequest.objects.create(staff=person, date=date(2026, 3, 4), kind="day_off", weight=3)

    add_people(4)
    with CaptureQueriesContext(connection) as at_n:
        first = client.get(url)
    add_people(8)
    with CaptureQueriesContext(connection) as at_3n:
        second = client.get(url)

    assert len(first.context["grid"].rows) == 3 + 4
    assert len(second.context["grid"].rows) == 3 + 12
    assert len(at_n.captured_queries) == len(at_3n.captured_queries)
    assert len(at_n.captured_queries) <= 20


def test_roster_list_and_leave_list_run_the_same_queries_at_n_and_3n_rows(
    setup, client, hall_manager, time_machine
):
    time_machine.move_to("2026-04-01 08:00+08:00", tick=False)
    hall = setup["hall"]
    client.force_login(hall_manager)

    def add(count):
        for _ in range(count):
            RosterFactory(hall=hall, period_start=date(2026, 4, 6), period_end=date(2026, 4, 12))
            person = StaffFactory(hall=hall)
            Leave.objects.create(
                staff=person, kind="sick", start_date=date(2026, 4, 1), end_date=date(2026, 4, 2)
            )

    counts, rows = [], []
    for count in (3, 6):  # 3, then 3 × 3 rows
        add(count)
        with CaptureQueriesContext(connection) as versions:
            version_page = client.get(reverse("roster_list", args=[hall.pk]))
        with CaptureQueriesContext(connection) as leave:
            leave_page = client.get(reverse("roster_leave", args=[hall.pk]))
        counts.append((len(versions.captured_queries), len(leave.captured_queries)))
        rows.append((len(version_page.context["page_obj"]), len(leave_page.context["page_obj"])))
    assert rows == [(1 + 3, 3), (1 + 9, 9)]
    assert counts[0] == counts[1]


# --- Cell edits --------------------------------------------------------------------------------


def test_hall_manager_sets_a_shift_in_a_cell_and_gets_the_cell_hours_and_checks_back(
    setup, client, hall_manager
):
    roster, clerk, shifts = setup["roster"], setup["clerk"], setup["shifts"]
    client.force_login(hall_manager)

    editor = client.get(cell_url(roster, clerk, TUESDAY), **HX)
    assert editor.status_code == 200
    assert '<select name="shift"' in text(editor)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", text(editor))[0] == "Off"

    response = client.post(cell_url(roster, clerk, TUESDAY), {"shift": shifts["D"].pk}, **HX)

    assert response.status_code == 200
    html = text(response)
    assert 'data-colour="#4e79a7">D</span>' in html
    assert f'<span id="hours-{clerk.pk}" hx-swap-oob="true">7</span>' in html
    assert '<div id="roster-checks" hx-swap-oob="true">' in html
    assert '<div id="roster-summary" hx-swap-oob="true">' in html
    assignment = Assignment.objects.get(roster=roster, staff=clerk, date=TUESDAY)
    assert assignment.shift_type == shifts["D"]
    assert assignment.post == "window"  # the clerk is qualified
    audit = AuditEvent.objects.get(action="staffing.roster.assignment_changed")
    assert audit.data == {"staff": "C0001", "date": "2026-03-03", "shift": "D"}


def test_a_cell_edit_that_breaks_a_rule_is_refused_with_the_message_beside_the_cell(
    setup, client, hall_manager
):
    roster, clerk, shifts = setup["roster"], setup["clerk"], setup["shifts"]
    Leave.objects.create(staff=clerk, kind="annual", start_date=MONDAY, end_date=MONDAY, approved=True)
    client.force_login(hall_manager)

    response = client.post(cell_url(roster, clerk, MONDAY), {"shift": shifts["D"].pk}, **HX)

    assert response.status_code == 200
    html = text(response)
    errors = re.search(r'<ul class="cell-errors" role="alert"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert "<li>李营业员 is on approved leave on 2026-03-02.</li>" in errors
    assert '<select name="shift"' in html  # the editor stays open beside the message
    assert not Assignment.objects.filter(roster=roster, staff=clerk).exists()
    assert not AuditEvent.objects.filter(action="staffing.roster.assignment_changed").exists()


def test_clearing_a_cell_removes_the_shift(setup, client, hall_manager):
    roster, clerk, shifts = setup["roster"], setup["clerk"], setup["shifts"]
    make_assignment(roster, clerk, MONDAY, shifts["D"])
    client.force_login(hall_manager)

    response = client.post(cell_url(roster, clerk, MONDAY), {"shift": ""}, **HX)

    assert response.status_code == 200
    assert 'class="off-mark"' in text(response)
    assert not Assignment.objects.filter(roster=roster).exists()


def test_cancelling_the_editor_shows_the_cell_again(setup, client, hall_manager):
    roster, clerk, shifts = setup["roster"], setup["clerk"], setup["shifts"]
    make_assignment(roster, clerk, MONDAY, shifts["M"])
    client.force_login(hall_manager)

    response = client.get(cell_url(roster, clerk, MONDAY) + "?display=1", **HX)

    assert 'data-colour="#f6b26b">M</span>' in text(response)
    assert "hx-swap-oob" not in text(response)


def test_without_htmx_the_cell_is_a_page_that_redirects_back_to_the_grid(setup, client, hall_manager):
    roster, clerk, shifts = setup["roster"], setup["clerk"], setup["shifts"]
    client.force_login(hall_manager)

    page = client.get(cell_url(roster, clerk, MONDAY))
    assert "<h1>Shift of 李营业员 on March 2</h1>" in text(page)
    response = client.post(cell_url(roster, clerk, MONDAY), {"shift": shifts["A"].pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("roster_detail", args=[roster.pk]) + f"#cell-{clerk.pk}-20260302"


def test_a_published_roster_cannot_be_edited_cell_by_cell(setup, client, hall_manager):
    roster, clerk, shifts = setup["roster"], setup["clerk"], setup["shifts"]
    Roster.objects.filter(pk=roster.pk).update(status=Roster.Status.PUBLISHED, published_at=timezone.now())
    client.force_login(hall_manager)

    response = client.post(cell_url(roster, clerk, MONDAY), {"shift": shifts["D"].pk}, **HX)

    assert response.status_code == 409
    assert not Assignment.objects.exists()


def test_cells_outside_the_period_or_of_another_halls_person_are_not_found(
    setup, client, hall_manager, other_hall
):
    roster = setup["roster"]
    stranger = StaffFactory(hall=other_hall)
    client.force_login(hall_manager)

    assert client.get(cell_url(roster, setup["clerk"], date(2026, 3, 9)), **HX).status_code == 404
    assert client.get(cell_url(roster, stranger, MONDAY), **HX).status_code == 404


# --- Generation --------------------------------------------------------------------------------


def test_requesting_a_rotation_shows_progress_that_polls_until_done_then_links_the_version(
    setup, client, hall_manager
):
    hall = setup["hall"]
    client.force_login(hall_manager)

    response = client.post(
        reverse("roster_generate", args=[hall.pk]),
        {
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "method": "rotation",
            "rotation_kind": "rolling",
            "cycle": "D D D D D - -",
            "time_limit_seconds": "20",
        },
    )

    roster = Roster.objects.get(hall=hall, method=Roster.Method.ROTATION)
    assert response.status_code == 302 and response["Location"] == reverse("roster_detail", args=[roster.pk])
    assert roster.rotation == {"kind": "rolling", "cycle": ["D", "D", "D", "D", "D", None, None]}
    assert roster.generation_status == Roster.Generation.QUEUED
    detail = text(client.get(response["Location"]))
    assert 'hx-trigger="every 2s"' in detail and "Waiting for a worker…" in detail

    Roster.objects.filter(pk=roster.pk).update(generation_status=Roster.Generation.RUNNING, progress=40)
    running = text(client.get(reverse("roster_progress", args=[roster.pk]), **HX))
    assert 'hx-trigger="every 2s"' in running
    assert '<progress class="generation-progress" value="40" max="100"' in running

    Roster.objects.filter(pk=roster.pk).update(generation_status=Roster.Generation.QUEUED)
    assert generate_roster(roster.pk) == "done"
    done = text(client.get(reverse("roster_progress", args=[roster.pk]), **HX))
    assert "hx-trigger" not in done
    assert "Generation finished." in done
    assert f'href="{reverse("roster_detail", args=[roster.pk])}"' in done and "Open version 2" in done


def test_the_optimiser_report_shows_objective_penalty_shares_and_unmet_hours_and_requests(
    setup, client, hall_manager, django_capture_on_commit_callbacks
):
    hall, clerk = setup["hall"], setup["clerk"]
    StaffRequest.objects.create(staff=clerk, date=MONDAY, kind="day_off", weight=2)
    client.force_login(hall_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("roster_generate", args=[hall.pk]),
            {
                "period_start": "2026-03-02",
                "period_end": "2026-03-08",
                "method": "solver",
                "time_limit_seconds": "3",
            },
        )

    roster = Roster.objects.get(hall=hall, method=Roster.Method.SOLVER)
    assert roster.generation_status == Roster.Generation.DONE, roster.generation_error
    page = client.get(response["Location"])
    html = text(page)
    assert "Generation report" in html
    shares = {name: share for name, _value, share in page.context["report"]["penalties"]}
    assert shares == {name: item["share"] for name, item in roster.penalties.items()}
    assert "Staff short of the requirement" in html
    assert "Share of the objective" in html
    # Three people cannot cover 8 hours × 7 days at one each with at most 6 days in a row and
    # 44 h a week; the shortfall is reported, the requirement with it.
    assert page.context["report"]["unmet_staff_hours"] == sum(
        u["missing"] for u in roster.unmet if u["kind"] == "staff"
    )
    # How the solver ended, in words: never the solver's own status code.
    label = {"OPTIMAL": "Optimal", "FEASIBLE": "Feasible, not proven optimal", "GREEDY": "Starting roster"}
    assert label[roster.solver_status] in html
    assert roster.solver_status not in html


def test_generate_form_shows_pattern_and_period_errors_beside_their_fields(setup, client, hall_manager):
    hall = setup["hall"]
    client.force_login(hall_manager)
    url = reverse("roster_generate", args=[hall.pk])

    bad_code = client.post(
        url,
        {
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "method": "rotation",
            "rotation_kind": "rolling",
            "cycle": "D X -",
            "time_limit_seconds": "20",
        },
    )
    assert (
        field_error(bad_code, "cycle") == "“X” is not a shift code of this hall (A, D, M; “-” is a day off)."
    )
    assert error_is_beside_field(bad_code, "cycle")

    short_week = client.post(
        url,
        {
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "method": "rotation",
            "rotation_kind": "rotating",
            "cycle": "D D D D D - -\nA A A",
            "time_limit_seconds": "20",
        },
    )
    assert field_error(short_week, "cycle") == "Week 2 lists 3 days; give seven, Monday to Sunday."

    reversed_period = client.post(
        url,
        {
            "period_start": "2026-03-08",
            "period_end": "2026-03-02",
            "method": "solver",
            "time_limit_seconds": "5",
        },
    )
    assert field_error(reversed_period, "period_end") == "The period must end on or after its start."
    assert error_is_beside_field(reversed_period, "period_end")
    assert not Roster.objects.exclude(pk=setup["roster"].pk).exists()


def test_an_empty_draft_can_be_started_by_hand(setup, client, hall_manager):
    hall = setup["hall"]
    client.force_login(hall_manager)

    response = client.post(
        reverse("roster_generate", args=[hall.pk]),
        {
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "method": "manual",
            "time_limit_seconds": "20",
        },
    )

    roster = Roster.objects.get(hall=hall, method=Roster.Method.MANUAL, version=2)
    assert response["Location"] == reverse("roster_detail", args=[roster.pk])
    assert roster.generation_status == Roster.Generation.NONE


# --- Publish and compare ----------------------------------------------------------------------


def test_publishing_asks_for_confirmation_then_publishes(setup, client, hall_manager):
    roster = RosterFactory(
        hall=setup["hall"], requirement={}, period_start=date(2026, 4, 6), period_end=date(2026, 4, 12)
    )
    client.force_login(hall_manager)
    url = reverse("roster_publish", args=[roster.pk])

    confirm = client.get(url)
    assert "Publish version" in text(confirm) and "The roster breaks no rule." in text(confirm)
    roster.refresh_from_db()
    assert roster.status == Roster.Status.DRAFT

    response = client.post(url)

    roster.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == reverse("roster_detail", args=[roster.pk])
    assert roster.status == Roster.Status.PUBLISHED and roster.published_by == hall_manager
    assert AuditEvent.objects.filter(action="staffing.roster.published").count() == 1


def test_publishing_a_roster_that_breaks_rules_is_refused_with_the_rules_listed(setup, client, hall_manager):
    roster, clerk, shifts = setup["roster"], setup["clerk"], setup["shifts"]
    Leave.objects.create(staff=clerk, kind="sick", start_date=MONDAY, end_date=MONDAY, approved=True)
    make_assignment(roster, clerk, MONDAY, shifts["D"])
    client.force_login(hall_manager)

    response = client.post(reverse("roster_publish", args=[roster.pk]))

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "李营业员 is on approved leave on 2026-03-02." in errors
    assert "李营业员 is on approved leave on 2026-03-02." in text(response)
    roster.refresh_from_db()
    assert roster.status == Roster.Status.DRAFT


def test_compare_lists_the_changes_from_the_previous_version(setup, client, hall_manager):
    hall, clerk, duty, shifts = setup["hall"], setup["clerk"], setup["duty"], setup["shifts"]
    old = setup["roster"]
    new = RosterFactory(hall=hall, version=old.version + 1)
    make_assignment(old, clerk, MONDAY, shifts["D"])
    make_assignment(old, duty, MONDAY, shifts["D"], post="duty")
    make_assignment(new, clerk, MONDAY, shifts["M"])
    make_assignment(new, clerk, TUESDAY, shifts["A"])
    client.force_login(hall_manager)

    response = client.get(reverse("roster_compare", args=[new.pk]))

    assert response.context["other"] == old
    rows = [(c.day, c.staff_name, c.before, c.after, c.kind) for c in response.context["changes"]]
    assert rows == [
        (MONDAY, "李营业员", "D", "M", "changed"),
        (MONDAY, "赵值班", "D", None, "removed"),
        (TUESDAY, "李营业员", None, "A", "added"),
    ]
    assert response.context["counts"] == {"added": 1, "changed": 1, "removed": 1}
    assert "From version 1 to version 2" in text(response)


def test_compare_with_an_unknown_version_is_not_found(setup, client, hall_manager, other_hall):
    foreign = RosterFactory(hall=other_hall)
    client.force_login(hall_manager)

    response = client.get(reverse("roster_compare", args=[setup["roster"].pk]), {"with": foreign.pk})

    assert response.status_code == 404


# --- Schedules -----------------------------------------------------------------------------------


@pytest.fixture
def schedules(setup, time_machine):
    time_machine.move_to("2026-03-01 08:00+08:00", tick=False)
    hall, clerk, duty, shifts = setup["hall"], setup["clerk"], setup["duty"], setup["shifts"]
    published = setup["roster"]
    Roster.objects.filter(pk=published.pk).update(status=Roster.Status.PUBLISHED, published_at=timezone.now())
    draft = RosterFactory(hall=hall, period_start=date(2026, 3, 9), period_end=date(2026, 3, 15))
    make_assignment(published, clerk, MONDAY, shifts["M"])
    make_assignment(published, duty, TUESDAY, shifts["D"], post="duty")
    make_assignment(draft, clerk, date(2026, 3, 10), shifts["A"])
    Leave.objects.create(
        staff=clerk, kind="annual", start_date=date(2026, 3, 4), end_date=date(2026, 3, 4), approved=True
    )
    return setup


def test_a_clerk_sees_only_own_published_shifts_in_my_schedule(schedules, client, clerk):
    client.force_login(clerk)

    response = client.get(reverse("roster_my_schedule"))

    days = response.context["days"]
    assert len(days) == 28 and days[0].day == date(2026, 3, 1)
    shown = [(d.day, a.shift_type.code) for d in days for a in d.assignments]
    assert shown == [(MONDAY, "M")]  # not the duty manager's shift, not the draft's
    assert [d.day for d in days if d.leave] == [date(2026, 3, 4)]
    # Days the published roster covers are off days; the rest are not rostered yet.
    assert [d.day for d in days if d.published] == [date(2026, 3, d) for d in range(2, 9)]
    html = text(response)
    assert "<h1>My schedule</h1>" in html and "Morning 09:00–13:00" in html and "Annual leave" in html
    assert html.count("Not published yet") == 28 - 7


def test_a_clerk_cannot_open_a_colleagues_schedule(schedules, client, clerk):
    client.force_login(clerk)

    assert client.get(reverse("roster_staff_schedule", args=[schedules["duty"].pk])).status_code == 404
    assert client.get(reverse("roster_staff_schedule", args=[schedules["clerk"].pk])).status_code == 200


def test_a_hall_manager_opens_a_staff_members_schedule(schedules, client, hall_manager):
    client.force_login(hall_manager)

    response = client.get(reverse("roster_staff_schedule", args=[schedules["duty"].pk]))

    assert response.status_code == 200
    assert "<h1>Schedule of 赵值班</h1>" in text(response)
    assert [(d.day, a.shift_type.code) for d in response.context["days"] for a in d.assignments] == [
        (TUESDAY, "D")
    ]


def test_my_schedule_of_a_login_without_a_staff_record_says_so(client, branch_manager, english):
    client.force_login(branch_manager)

    response = client.get(reverse("roster_my_schedule"))

    assert response.status_code == 200
    assert "Your login has no staff record" in text(response)


# --- Export ------------------------------------------------------------------------------------


def test_export_is_a_printable_workbook_with_coloured_shifts_and_escaped_names(setup, client, hall_manager):
    roster, hall, shifts = setup["roster"], setup["hall"], setup["shifts"]
    hostile = StaffFactory(hall=hall, name='=HYPERLINK("http://x.example","Hi")', employee_no="C0002")
    make_assignment(roster, hostile, MONDAY, shifts["D"], post="guide")
    make_assignment(roster, setup["clerk"], TUESDAY, shifts["M"])
    client.force_login(hall_manager)

    response = client.get(reverse("roster_export", args=[roster.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="roster-H001-20260302-v{roster.version}.xlsx"'
    )
    sheet = load_workbook(BytesIO(response.content)).active
    assert (
        sheet["A1"].value == f"人民路营业厅 roster 03/02/2026 – 03/08/2026, version {roster.version} (Draft)"
    )
    assert [sheet.cell(row=3, column=c).value for c in range(1, 5)] == [
        "Employee number",
        "Name",
        "Post",
        "3/2\nMon",
    ]
    rows = {sheet.cell(row=r, column=1).value: r for r in range(4, sheet.max_row + 1)}
    hostile_row = rows["C0002"]
    name = sheet.cell(row=hostile_row, column=2)
    assert name.value == '\'=HYPERLINK("http://x.example","Hi")' and name.data_type == "s"
    monday = sheet.cell(row=hostile_row, column=4)
    assert monday.value == "D" and monday.fill.fgColor.rgb == "004E79A7"
    assert sheet.cell(row=hostile_row, column=11).value == 7
    tuesday = sheet.cell(row=rows["C0001"], column=5)
    assert tuesday.value == "M" and tuesday.fill.fgColor.rgb == "00F6B26B"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$3:$3"
    legend = [sheet.cell(row=r, column=1).value for r in range(1, sheet.max_row + 1)]
    assert legend[-4:] == ["Shift types", "D", "M", "A"] or legend[-4:] == ["Shift types", "M", "D", "A"]


# --- Leave, requests, traffic ---------------------------------------------------------------------


def test_leave_form_shows_errors_beside_fields_and_records_leave(setup, client, hall_manager):
    hall, clerk = setup["hall"], setup["clerk"]
    client.force_login(hall_manager)
    url = reverse("roster_leave", args=[hall.pk])
    data = {
        "staff": clerk.pk,
        "kind": "annual",
        "start_date": "2026-03-05",
        "end_date": "2026-03-04",
        "approved": "on",
    }

    invalid = client.post(url, data)

    assert field_error(invalid, "end_date") == "Leave must end on or after its first day."
    assert error_is_beside_field(invalid, "end_date")
    assert field_error(invalid, "staff") is None
    missing = client.post(url, {**data, "staff": ""})
    assert field_error(missing, "staff") == "This field is required."

    saved = client.post(url, {**data, "end_date": "2026-03-06"})

    assert saved.status_code == 302
    leave = Leave.objects.get(staff=clerk)
    assert (leave.start_date, leave.end_date, leave.approved) == (date(2026, 3, 5), date(2026, 3, 6), True)
    assert "李营业员" in text(client.get(url))


def test_a_clerk_files_a_request_for_themselves_and_sees_only_their_own(setup, client, clerk, time_machine):
    time_machine.move_to("2026-03-01 08:00+08:00", tick=False)
    hall, shifts = setup["hall"], setup["shifts"]
    StaffRequest.objects.create(staff=setup["duty"], date=MONDAY, kind="day_off", weight=9, note="家里有事")
    client.force_login(clerk)
    url = reverse("roster_requests", args=[hall.pk])

    page = client.get(url)
    assert "staff" not in page.context["form"].fields
    invalid = client.post(url, {"date": "2026-03-03", "kind": "want_shift", "weight": "5"})
    assert field_error(invalid, "shift_type") == "Name the shift you want or want to avoid."
    assert error_is_beside_field(invalid, "shift_type")
    heavy = client.post(url, {"date": "2026-03-03", "kind": "day_off", "weight": "11"})
    assert field_error(heavy, "weight") == "Ensure this value is less than or equal to 10."

    saved = client.post(
        url, {"date": "2026-03-03", "kind": "want_shift", "shift_type": shifts["M"].pk, "weight": "4"}
    )

    assert saved.status_code == 302
    request = StaffRequest.objects.get(staff=setup["clerk"])
    assert (request.date, request.kind, request.shift_type, request.weight) == (
        TUESDAY,
        "want_shift",
        shifts["M"],
        4,
    )
    listed = client.get(url)
    assert [r.staff_id for r in listed.context["page_obj"]] == [setup["clerk"].pk]
    assert "家里有事" not in text(listed)


def test_a_hall_manager_files_a_request_for_one_of_the_halls_staff(setup, client, hall_manager):
    hall, duty = setup["hall"], setup["duty"]
    client.force_login(hall_manager)

    response = client.post(
        reverse("roster_requests", args=[hall.pk]),
        {"staff": duty.pk, "date": "2026-03-04", "kind": "day_off", "weight": "6"},
    )

    assert response.status_code == 302
    assert StaffRequest.objects.get(staff=duty).created_by == hall_manager


def test_traffic_import_reports_every_bad_row_and_saves_nothing(setup, client, hall_manager):
    hall = setup["hall"]
    client.force_login(hall_manager)
    content = (
        b"hour,tickets_issued,transactions,avg_handling_seconds\n"
        b"2026-03-02 09:00,40,38,420\n"
        b"2026-03-02 09:30,1,1,1\n"
        b"2026-03-02 10:00,-1,5,420\n"
    )
    upload = BytesIO(content)
    upload.name = "traffic.csv"

    response = client.post(reverse("roster_traffic_import", args=[hall.pk]), {"file": upload})

    assert response.status_code == 400  # refused file
    assert response.context["form"].row_errors == [
        (3, "hour", "not a whole hour like 2026-03-02 09:00"),
        (4, "tickets_issued", "must be a whole number from 0 to 100000"),
    ]
    table = re.search(
        r'<table class="table table-sm mb-0 import-errors">(.*?)</table>', text(response), re.S
    ).group(1)
    assert '<td class="text-end">3</td><td><code>hour</code></td>' in table
    assert field_error(response, "file") == "2 error(s) in the file; nothing was imported."
    assert not TrafficRecord.objects.exists()


def test_a_clean_traffic_file_is_imported(setup, client, hall_manager):
    upload = BytesIO(b"hour,tickets_issued,transactions,avg_handling_seconds\n2026-03-02 09:00,40,38,420\n")
    upload.name = "traffic.csv"
    client.force_login(hall_manager)

    response = client.post(
        reverse("roster_traffic_import", args=[setup["hall"].pk]), {"file": upload}, follow=True
    )

    assert "Traffic imported: 1 new hours, 0 updated, 0 unchanged." in text(response)
    assert TrafficRecord.objects.get(hall=setup["hall"]).tickets_issued == 40


# --- Navigation and language -------------------------------------------------------------------


def test_the_navbar_links_rosters_in_chinese_by_default(client, clerk, hall):
    client.force_login(clerk)

    html = text(client.get(reverse("roster_halls")))

    assert f'href="{reverse("roster_halls")}">排班</a>' in html
    assert reverse("roster_my_schedule") in html
    assert f'href="{reverse("roster_list", args=[hall.pk])}"' in html

"""Roster import (staffing.roster_import): CSV and .xlsx into a new draft version, all or
nothing; row errors first, then the roster rules through check_roster, as edits and generation;
hostile files; a cost that does not grow per row; the page and the API endpoint."""

from datetime import date, datetime, time, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from halls.models import AuditEvent
from staffing import roster_import
from staffing.models import Assignment, Leave, LoanRecord, Roster, Staff
from staffing.roster_import import RosterImportInvalid, RosterImportRefused, import_roster
from tests.staffing.factories import (
    RosterFactory,
    ShiftTypeFactory,
    StaffFactory,
    qualify,
    weekly_opening_hours,
)
from tests.staffing.rostering.fixtures import english  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)


@pytest.fixture
def setup(hall, hall_manager, other_hall):
    """Hall H001 open 09:00–17:00 daily; shifts D (09–17), E (06–14) and L (14–22); a qualified
    clerk, an unqualified one and a senior duty manager."""
    weekly_opening_hours(hall)
    shifts = {
        "D": ShiftTypeFactory(hall=hall, code="D", start=time(9), end=time(17)),
        "E": ShiftTypeFactory(hall=hall, code="E", start=time(6), end=time(14)),
        "L": ShiftTypeFactory(hall=hall, code="L", start=time(14), end=time(22)),
    }
    anna = StaffFactory(hall=hall, name="Anna", employee_no="A001")
    qualify(anna)
    ben = StaffFactory(hall=hall, name="Ben", employee_no="B002")
    duty = StaffFactory(
        hall=hall, name="Duty", employee_no="D003", post=Staff.Post.DUTY_MANAGER, star_level=4
    )
    guest = StaffFactory(hall=other_hall, name="Guest", employee_no="G004")
    return {
        "hall": hall,
        "actor": hall_manager,
        "shifts": shifts,
        "anna": anna,
        "ben": ben,
        "duty": duty,
        "guest": guest,
    }


def csv_bytes(*rows, header="staff,date,shift,post,window") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def run(setup, content: bytes, *, start=MONDAY, end=SUNDAY, filename="roster.csv"):
    return import_roster(
        actor=setup["actor"], hall=setup["hall"], start=start, end=end, content=content, filename=filename
    )


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_csv_file_becomes_a_new_draft_version_with_its_findings(setup):
    RosterFactory(hall=setup["hall"], version=1)
    result = run(
        setup,
        csv_bytes(
            "A001,2026-03-02,D,window,3",
            "B002,2026-03-02,D,,",  # no post: an unqualified clerk guides the queue
            "D003,2026/03/03,D,duty,",
        ),
    )
    roster = result.roster
    assert (roster.version, roster.method, roster.status) == (2, Roster.Method.IMPORT, Roster.Status.DRAFT)
    assert result.assignments == 3
    rows = set(
        Assignment.objects.filter(roster=roster).values_list(
            "staff__employee_no", "date", "shift_type__code", "post", "window_no"
        )
    )
    assert rows == {
        ("A001", MONDAY, "D", "window", 3),
        ("B002", MONDAY, "D", "guide", None),
        ("D003", date(2026, 3, 3), "D", "duty", None),
    }
    assert roster.requirement["2026-03-02"]["9"]["required"] >= 3
    # What an empty roster breaks already (no senior in most hours) is a finding, not a refusal.
    assert any("senior" in f.message for f in result.findings)
    assert result.unmet_staff_hours > 0
    event = AuditEvent.objects.for_object(roster).get()
    assert event.action == "staffing.roster.imported" and event.data["assignments"] == 3


def test_an_excel_workbook_imports_with_date_cells_and_chinese_headers(setup):
    content = xlsx_bytes(
        [
            ["工号", "日期", "班次", "岗位", "窗口"],
            ["A001", datetime(2026, 3, 2), "D", "window", 1],
            ["D003", datetime(2026, 3, 2), "D", None, None],
            [None, None, None, None, None],  # a blank row is skipped
        ]
    )
    result = run(setup, content, filename="roster.xlsx")
    assert set(
        Assignment.objects.filter(roster=result.roster).values_list("staff__employee_no", "post", "window_no")
    ) == {("A001", "window", 1), ("D003", "duty", None)}


def test_every_bad_row_is_reported_and_nothing_is_written(setup, other_hall):
    LoanRecord.objects.create(
        staff=setup["guest"], from_hall=other_hall, to_hall=setup["hall"], start_date=MONDAY, end_date=MONDAY
    )
    content = csv_bytes(
        "Z999,2026-03-02,D,,",  # 2 unknown staff
        "G004,2026-03-03,D,,",  # 3 another hall's person, not lent on that day
        "A001,2026-03-02,X,,",  # 4 unknown shift code
        "A001,2026-02-30,D,,",  # 5 not a date
        "A001,2026-03-09,D,,",  # 6 outside the period
        "B002,2026-03-04,D,boss,",  # 7 unknown post
        "B002,2026-03-05,D,window,0",  # 8 bad window number
        "D003,2026-03-02,D,,",  # fine
        "D003,2026-03-02,D,,",  # 10 the same person twice on one date
        "G004,2026-03-02,D,guide,",  # fine: lent in on Monday
    )
    with pytest.raises(RosterImportInvalid) as info:
        run(setup, content)
    assert [(row, column) for row, column, _m in info.value.errors] == [
        (2, "staff"),
        (3, "staff"),
        (4, "shift"),
        (5, "date"),
        (6, "date"),
        (7, "post"),
        (8, "window"),
        (10, "date"),
    ]
    assert "Z999" in info.value.errors[0][2]
    assert "row 9" in info.value.errors[-1][2]
    assert not Roster.objects.exists() and not Assignment.objects.exists()


def test_rows_that_break_roster_rules_are_refused_with_rows_and_people_named(setup):
    Leave.objects.create(staff=setup["ben"], kind="annual", start_date=MONDAY, end_date=MONDAY, approved=True)
    content = csv_bytes(
        "B002,2026-03-02,D,guide,",  # 2 Ben is on approved leave
        "A001,2026-03-03,L,,",  # 3 Anna ends at 22:00 …
        "A001,2026-03-04,E,,",  # 4 … and starts at 06:00: 8 h rest
        "B002,2026-03-05,D,window,",  # 5 Ben holds no window qualification
    )
    with pytest.raises(RosterImportRefused) as info:
        run(setup, content)
    found = {(f.rows, f.person): f.message for f in info.value.findings}
    assert {v.rule for v in info.value.violations} == {"on_leave", "rest", "unqualified_window"}
    assert "approved leave" in found[((2,), "Ben")]
    assert "rest only 8 h" in found[((4,), "Anna")]
    assert "window qualification" in found[((5,), "Ben")]
    assert not Roster.objects.exists() and not Assignment.objects.exists()


def test_a_lent_out_person_is_refused_by_the_same_rule_as_an_edit(setup, other_hall):
    LoanRecord.objects.create(
        staff=setup["anna"], from_hall=setup["hall"], to_hall=other_hall, start_date=MONDAY, end_date=MONDAY
    )
    with pytest.raises(RosterImportRefused) as info:
        run(setup, csv_bytes("A001,2026-03-02,D,,"))
    assert [v.rule for v in info.value.violations] == ["not_available"]


# --- Hostile files ---------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PNG, "neither UTF-8 CSV nor an Excel workbook"),
        ("staff,date,shift\nA001,2026-03-02,早班\n".encode("gbk"), "neither UTF-8 CSV"),
        (b"PK\x03\x04 this is no workbook", "not a readable Excel"),
        (b"staff\x00,date\n", "not a CSV text file"),
        (b"", "empty"),
        (b"name,when,what\nA001,2026-03-02,D\n", "Missing columns: staff, date, shift"),
        (b"staff,date,shift\n", "no shifts"),
    ],
    ids=["png", "gbk", "fake-xlsx", "nul", "empty", "wrong-columns", "header-only"],
)
def test_files_that_are_not_a_roster_are_refused_clearly(setup, content, message):
    with pytest.raises(RosterImportInvalid, match=message):
        run(setup, content)
    assert not Roster.objects.exists()


def test_formula_cells_are_refused_in_workbooks_and_csv(setup):
    content = xlsx_bytes(
        [["staff", "date", "shift"], ["A001", datetime(2026, 3, 2), '=HYPERLINK("http://x","D")']]
    )
    with pytest.raises(RosterImportInvalid) as info:
        run(setup, content)
    assert info.value.errors == [(2, "shift", "formulas are not accepted; paste values")]
    with pytest.raises(RosterImportInvalid) as info:
        run(setup, csv_bytes("=1+1,2026-03-02,D,,"))
    assert info.value.errors[0][:2] == (2, "staff")
    assert not Roster.objects.exists()


def test_a_file_with_too_many_rows_or_bytes_is_refused(setup, monkeypatch):
    rows = ["A001,2026-03-02,D,," for _ in range(roster_import.MAX_ROWS + 1)]
    with pytest.raises(RosterImportInvalid, match="more than 5000 rows"):
        run(setup, csv_bytes(*rows))
    monkeypatch.setattr(roster_import, "MAX_FILE_BYTES", 100)
    with pytest.raises(RosterImportInvalid, match="larger than"):
        run(setup, csv_bytes(*rows[:10]))
    assert not Roster.objects.exists()


# --- Cost -------------------------------------------------------------------------------------


def _week_of(people) -> bytes:
    return csv_bytes(
        *(
            f"{p.employee_no},{(MONDAY + timedelta(days=d)).isoformat()},D,guide,"
            for p in people
            for d in range(5)
        )
    )


def test_the_import_costs_the_same_queries_at_n_and_3n_rows(setup):
    few = [StaffFactory(hall=setup["hall"]) for _ in range(2)]
    many = [StaffFactory(hall=setup["hall"]) for _ in range(6)]
    run(setup, _week_of(few))  # warm the per-process caches (content types) first
    counts = []
    for people in (few, many):
        with CaptureQueriesContext(connection) as queries:
            result = run(setup, _week_of(people))
        counts.append(len(queries))
        assert result.assignments == 5 * len(people)
    assert counts[0] == counts[1], counts


# --- Page and API -----------------------------------------------------------------------------


def test_the_page_imports_a_file_and_opens_the_new_version(setup, client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(setup["actor"])
    url = reverse("roster_import", args=[setup["hall"].pk])
    listing = client.get(reverse("roster_list", args=[setup["hall"].pk])).content.decode()
    assert f'href="{url}"' in listing
    response = client.post(
        url,
        {
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "file": SimpleUploadedFile("r.csv", csv_bytes("A001,2026-03-02,D,window,2")),
        },
    )
    roster = Roster.objects.get(method=Roster.Method.IMPORT)
    assert response.status_code == 303 and response["Location"] == reverse("roster_detail", args=[roster.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "Version 1 imported with 1 shifts" in detail


def test_the_page_shows_row_errors_and_broken_rules_and_saves_nothing(setup, client):
    client.force_login(setup["actor"])  # the default language: Chinese
    url = reverse("roster_import", args=[setup["hall"].pk])
    data = {"period_start": "2026-03-02", "period_end": "2026-03-08"}
    bad = client.post(url, {**data, "file": SimpleUploadedFile("r.csv", csv_bytes("Z999,2026-03-02,D,,"))})
    html = bad.content.decode()
    assert bad.status_code == 200 and "Z999" in html and "未导入任何数据" in html
    Leave.objects.create(staff=setup["ben"], kind="annual", start_date=MONDAY, end_date=MONDAY, approved=True)
    refused = client.post(
        url, {**data, "file": SimpleUploadedFile("r.csv", csv_bytes("B002,2026-03-02,D,guide,"))}
    )
    html = refused.content.decode()
    assert refused.status_code == 200 and "Ben" in html and 'class="table table-sm mb-0 import-rules"' in html
    assert not Roster.objects.exists()


def test_the_api_imports_multipart_and_answers_row_errors_as_json(setup, api):
    client = api.as_user(setup["actor"])
    ok = client.post(
        "/api/v1/rosters/import/",
        {
            "hall": setup["hall"].code,
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "file": SimpleUploadedFile(
                "r.xlsx", xlsx_bytes([["staff", "date", "shift"], ["A001", datetime(2026, 3, 2), "D"]])
            ),
        },
        format="multipart",
    )
    assert ok.status_code == 201, ok.json()
    body = ok.json()
    assert body["assignments"] == 1 and body["roster"]["method"] == "import"
    bad = client.post(
        "/api/v1/rosters/import/",
        {
            "hall": setup["hall"].code,
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "file": SimpleUploadedFile("r.csv", csv_bytes("A001,2026-03-02,X,,")),
        },
        format="multipart",
    )
    assert bad.status_code == 400
    assert bad.json()["rows"] == [
        {"row": 2, "column": "shift", "message": "本营业厅没有代码为 X 的班次"}  # zh-hans by default
    ]
    assert "file" in bad.json()["errors"]

"""The imports page of the assessment section: customer evaluations and daily KPI records from a
CSV or Excel file, through the real form, service and templates; the format help, the sample
files, the history of imports and the section tab."""

import csv
import datetime
import io
import re
from html import unescape

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from assessment.import_formats import SAMPLE_ROWS, import_formats
from assessment.models import CustomerEvaluation, DailyKpi, FactImport, ScoreFact
from assessment.services.imports import (
    ERROR_MESSAGES,
    EVALUATION_COLUMNS,
    KPI_COLUMNS,
    MAX_REPORTED_ERRORS,
    RATING_WORDS,
)
from halls.models import AuditEvent
from tests.assessment.factories import FactImportFactory
from tests.pages import error_is_beside_field, field_error
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db
IMPORTS = reverse("assessment:imports")
HEADER = ",".join(EVALUATION_COLUMNS) + "\n"
GOOD = HEADER + "T1,C0001,H001,2026-10-05 09:30,very_satisfied\nT2,C0001,H001,2026-10-06 14:00,不满意\n"


@pytest.fixture(autouse=True)
def mid_november():
    with time_machine.travel("2026-11-15 10:00 +0800", tick=False):
        yield


@pytest.fixture
def client(client):
    """Pages answer in English here (zh-hans is the default language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def upload(text: str | bytes, name: str = "october.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)


def page_text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def report_rows(response) -> list[tuple[str, str, str]]:
    """(row, column, problem) of the report table, as shown."""
    table = re.search(
        r'<table class="table table-sm mb-0 import-errors">(.*?)</table>', response.content.decode(), re.S
    )
    assert table, "no report table on the page"
    cells = re.findall(
        r'<tr><td class="text-end">(\d+)</td><td><code>(.*?)</code></td><td>(.*?)</td></tr>', table.group(1)
    )
    return [(row, unescape(column), unescape(message)) for row, column, message in cells]


def history_files(response) -> list[str]:
    table = re.search(r'<table class="[^"]*import-history">(.*?)</table>', response.content.decode(), re.S)
    if table is None:
        return []
    return [unescape(name) for name in re.findall(r'<td class="text-break">(.*?)</td>', table.group(1))]


# --- Importing ------------------------------------------------------------------------------------


def test_a_good_csv_imports_with_a_message_a_record_and_an_audit_row(client, clerk_staff, hall_manager):
    client.force_login(hall_manager)

    response = client.post(IMPORTS, {"kind": "evaluations", "file": upload(GOOD)})

    assert response.status_code == 303
    assert response["Location"] == f"{IMPORTS}?kind=evaluations"
    assert sorted(CustomerEvaluation.objects.values_list("device_txn_id", "rating")) == [
        ("T1", "very_satisfied"),
        ("T2", "dissatisfied"),
    ]
    assert ScoreFact.objects.count() == 2
    record = FactImport.objects.get()
    assert (record.kind, record.filename, record.rows, record.created_rows, record.imported_by) == (
        "evaluations",
        "october.csv",
        2,
        2,
        hall_manager,
    )
    audit = AuditEvent.objects.get(action="assessment.import.evaluations")
    assert audit.actor == hall_manager and audit.data["rows"] == 2 and audit.data["file"] == "october.csv"
    shown = client.get(response["Location"])
    assert "Customer evaluations imported from october.csv: 2 rows, 2 new, 0 unchanged." in page_text(shown)
    assert shown.context["form"]["kind"].value() == "evaluations"
    assert history_files(shown) == ["october.csv"]


def test_the_same_file_again_changes_nothing_and_says_so(client, clerk_staff, hall_manager):
    client.force_login(hall_manager)
    client.post(IMPORTS, {"kind": "evaluations", "file": upload(GOOD)})

    again = client.post(IMPORTS, {"kind": "evaluations", "file": upload(GOOD)}, follow=True)

    assert "Customer evaluations imported from october.csv: 2 rows, 0 new, 2 unchanged." in page_text(again)
    assert CustomerEvaluation.objects.count() == 2 and ScoreFact.objects.count() == 2
    assert history_files(again) == ["october.csv", "october.csv"]


def test_a_bad_file_answers_400_with_the_report_by_line_and_column_and_writes_nothing(
    client, clerk_staff, hall_manager
):
    client.force_login(hall_manager)
    bad = HEADER + (
        "T1,C0001,H001,2026-10-05 09:30,satisfied\n"
        "T2,NOBODY,H001,2026-10-05 09:30,satisfied\n"
        "T3,C0001,H001,2026-10-05 9.30,great\n"
    )

    response = client.post(IMPORTS, {"kind": "evaluations", "file": upload(bad, "bad.csv")})

    assert response.status_code == 400
    assert report_rows(response) == [
        ("3", "employee_no", ERROR_MESSAGES["unknown_staff"]()),
        ("4", "rated_at", ERROR_MESSAGES["bad_time"]()),
        ("4", "rating", ERROR_MESSAGES["bad_rating"]()),
    ]
    assert "3 errors; nothing was imported" in page_text(response)
    assert field_error(response, "file") == "The file was not imported: 3 errors."
    assert error_is_beside_field(response, "file")
    assert not CustomerEvaluation.objects.exists() and not ScoreFact.objects.exists()
    assert not FactImport.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="assessment.import").exists()


def test_a_wrong_header_is_reported_on_line_1(client, hall_manager):
    client.force_login(hall_manager)

    response = client.post(IMPORTS, {"kind": "kpis", "file": upload(GOOD)})

    assert response.status_code == 400
    assert field_error(response, "file") == f"The header must name the columns {', '.join(KPI_COLUMNS)}."
    assert [(row, problem) for row, _column, problem in report_rows(response)] == [
        ("1", "Missing or unknown columns.")
    ]


def kpi_workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(KPI_COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_workbook_of_daily_kpis_imports(client, clerk_staff, branch_manager):
    client.force_login(branch_manager)
    content = kpi_workbook(
        [
            ["C0001", "H001", datetime.date(2026, 10, 5), 31, 6, 1200.5],
            ["C0001", "H001", "2026-10-06", 20, 3, 0],
        ]
    )

    response = client.post(IMPORTS, {"kind": "kpis", "file": upload(content, "kpi.xlsx")}, follow=True)

    assert response.redirect_chain == [(f"{IMPORTS}?kind=kpis", 303)]
    assert "Daily KPI records imported from kpi.xlsx: 2 rows, 2 new, 0 unchanged." in page_text(response)
    assert sorted(DailyKpi.objects.values_list("day", "transactions")) == [
        (datetime.date(2026, 10, 5), 31),
        (datetime.date(2026, 10, 6), 20),
    ]
    assert FactImport.objects.get().kind == "kpis"


def test_a_hall_manager_cannot_import_a_row_of_another_hall(client, clerk_staff, hall_manager, other_hall):
    StaffFactory(employee_no="X0002", hall=other_hall)
    client.force_login(hall_manager)
    text = HEADER + "T1,C0001,H001,2026-10-05 09:30,satisfied\nT2,X0002,H002,2026-10-05 09:30,satisfied\n"

    response = client.post(IMPORTS, {"kind": "evaluations", "file": upload(text)})

    assert response.status_code == 400
    assert report_rows(response) == [("3", "hall_code", ERROR_MESSAGES["hall_not_allowed"]())]
    assert not CustomerEvaluation.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "evaluations"}, "file", "This field is required."),
        (
            {"kind": "evaluations", "file": ("october.xls", b"x")},
            "file",
            "Choose a CSV (.csv) or Excel (.xlsx) file.",
        ),
        ({"kind": "evaluations", "file": ("october.csv", b"")}, "file", "The submitted file is empty."),
        (
            {"kind": "complaints", "file": ("october.csv", GOOD.encode())},
            "kind",
            "Select a valid choice. complaints is not one of the available choices.",
        ),
    ],
)
def test_a_missing_or_wrong_file_or_kind_is_an_error_beside_its_field(
    client, clerk_staff, hall_manager, data, field, message
):
    client.force_login(hall_manager)
    if "file" in data:
        data = {**data, "file": SimpleUploadedFile(*data["file"])}

    response = client.post(IMPORTS, data)

    assert response.status_code == 400
    assert field_error(response, field) == message
    assert error_is_beside_field(response, field)
    assert "import-errors" not in response.content.decode()
    assert not FactImport.objects.exists()


def test_a_cut_off_report_says_only_the_first_errors_are_listed(client, clerk_staff, hall_manager):
    client.force_login(hall_manager)
    rows = "".join(f"T{i},NOBODY,H001,2026-10-05 09:30,satisfied\n" for i in range(MAX_REPORTED_ERRORS + 5))

    response = client.post(IMPORTS, {"kind": "evaluations", "file": upload(HEADER + rows)})

    assert response.status_code == 400
    assert len(report_rows(response)) == MAX_REPORTED_ERRORS
    assert f"Only the first {MAX_REPORTED_ERRORS} errors are listed" in page_text(response)


# --- Format help and sample files -----------------------------------------------------------------


def test_the_page_explains_every_column_of_both_kinds_and_the_rules(client, hall_manager):
    client.force_login(hall_manager)

    response = client.get(IMPORTS)

    assert response.status_code == 200
    formats = {f.kind: f.header for f in import_formats()}
    assert formats == {"evaluations": EVALUATION_COLUMNS, "kpis": KPI_COLUMNS}
    html = page_text(response)
    for kind in ("evaluations", "kpis"):
        section = re.search(rf'<section class="[^"]*import-format" id="format-{kind}".*?</section>', html)
        assert section, kind
        documented = re.findall(r"<tr><td><code>(\w+)</code></td><td>.+?</td></tr>", section.group(0))
        assert tuple(documented) == formats[kind]
        assert f'href="{reverse(f"assessment:import-sample-{kind}")}"' in section.group(0)
    for word in RATING_WORDS:
        assert word in html
    assert "Asia/Shanghai" in html
    assert "Importing the same file again changes nothing" in html
    assert "There is no limit on the number of rows." in html
    assert "like 2026-10-05 14:30" in html and "The day, like 2026-10-05" in html


@pytest.mark.parametrize(("kind", "columns"), [("evaluations", EVALUATION_COLUMNS), ("kpis", KPI_COLUMNS)])
def test_each_sample_has_the_exact_header_and_imports_once_its_people_and_hall_are_real(
    client, hall_manager, hall, kind, columns
):
    people = {
        "E000123": StaffFactory(hall=hall, employee_no="C0101"),
        "E000124": StaffFactory(hall=hall, employee_no="C0102"),
    }
    client.force_login(hall_manager)

    sample = client.get(reverse(f"assessment:import-sample-{kind}"))

    assert sample.status_code == 200
    assert sample["Content-Type"] == "text/csv; charset=utf-8"
    assert sample["Content-Disposition"] == f'attachment; filename="{kind}-sample.csv"'
    assert sample.content.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese rating words as UTF-8
    rows = list(csv.reader(io.StringIO(sample.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == columns
    assert len(rows) == 1 + len(SAMPLE_ROWS[kind]) == 3
    adapted = sample.content.decode("utf-8-sig")
    for number, person in people.items():
        adapted = adapted.replace(number, person.employee_no)

    response = client.post(IMPORTS, {"kind": kind, "file": upload(adapted, f"{kind}-sample.csv")})

    assert response.status_code == 303, report_rows(response)
    assert FactImport.objects.get().rows == 2


# --- History --------------------------------------------------------------------------------------


def test_a_hall_manager_sees_only_their_own_imports_and_an_administrator_all(
    client, hall_manager, other_hall_manager, branch_manager, admin_user
):
    FactImportFactory(filename="mine-1.csv", imported_by=hall_manager)
    FactImportFactory(filename="theirs.csv", imported_by=other_hall_manager)
    FactImportFactory(filename="branch.xlsx", kind="kpis", imported_by=branch_manager)
    FactImportFactory(filename="mine-2.csv", imported_by=hall_manager)

    client.force_login(hall_manager)
    assert history_files(client.get(IMPORTS)) == ["mine-2.csv", "mine-1.csv"]
    client.force_login(branch_manager)
    assert history_files(client.get(IMPORTS)) == ["branch.xlsx"]
    client.force_login(admin_user)
    assert history_files(client.get(IMPORTS)) == ["mine-2.csv", "branch.xlsx", "theirs.csv", "mine-1.csv"]


def test_the_history_shows_kind_counts_and_who_and_pages_with_htmx(client, hall_manager):
    hall_manager.first_name, hall_manager.last_name = "Wang", "Li"
    hall_manager.save()
    for index in range(25):
        FactImportFactory(filename=f"older-{index}.csv", imported_by=hall_manager)
    FactImportFactory(filename="kpi.csv", kind="kpis", rows=40, created_rows=12, imported_by=hall_manager)
    client.force_login(hall_manager)

    first = client.get(IMPORTS)
    row = re.search(r"<td[^>]*>Daily KPI records</td>.*?</tr>", page_text(first))
    assert row, "the KPI import is not listed"
    assert re.findall(r'<td class="text-end">(\d+)</td>', row.group(0)) == ["40", "12"]
    assert "Wang Li" in row.group(0)
    assert len(history_files(first)) == 25
    second = client.get(IMPORTS, {"page": "2"}, HTTP_HX_REQUEST="true")
    assert second.templates[0].name == "assessment/_import_history.html"
    assert history_files(second) == ["older-0.csv"]


def history_queries(client, user) -> tuple[int, int]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(IMPORTS)
    assert response.status_code == 200
    return len(history_files(response)), len(queries)


@pytest.mark.parametrize("role", ["hall_manager", "branch_manager", "admin_user"])
def test_the_history_runs_the_same_queries_at_3_and_12_rows(client, cast, admin_user, role):
    user = admin_user if role == "admin_user" else getattr(cast, role)
    for _ in range(3):
        FactImportFactory(imported_by=user)
    rows_n, queries_n = history_queries(client, user)
    for _ in range(9):
        FactImportFactory(imported_by=user)
    rows_3n, queries_3n = history_queries(client, user)

    assert (rows_n, rows_3n) == (3, 12)
    assert queries_n == queries_3n


# --- Navigation and language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "linked"),
    [("hall_manager", True), ("branch_manager", True), ("clerk", False), ("inspector", False)],
)
def test_the_section_tabs_link_the_imports_page_only_for_who_may_import(client, cast, role, linked):
    client.force_login(getattr(cast, role))

    results = client.get(reverse("assessment:results")).content.decode()

    assert (f'href="{IMPORTS}"' in results) is linked


def test_the_page_is_translated_to_chinese(client, clerk_staff, hall_manager):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(hall_manager)

    page = page_text(client.get(IMPORTS))
    assert "<h1>数据导入</h1>" in page and "下载 CSV 示例" in page and "导入记录" in page
    assert "时间和日期均为本地时间" in page

    bad = client.post(IMPORTS, {"kind": "evaluations", "file": upload(HEADER + "T1,NOBODY,H001,x,y\n")})
    html = page_text(bad)
    assert "未导入任何数据" in html and "问题" in html

    client.post(IMPORTS, {"kind": "evaluations", "file": upload(GOOD)})
    done = page_text(client.get(IMPORTS))
    assert "已从 october.csv 导入客户评价：共 2 行，新增 2 行，未变 0 行。" in done

import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from openpyxl import Workbook

from assessment.exceptions import ImportRejected
from assessment.models import CustomerEvaluation, DailyKpi, FactImport, FactRevision, ScoreFact
from assessment.services import import_customer_evaluations, import_daily_kpis
from assessment.services.imports import ERROR_MESSAGES
from halls.models import AuditEvent
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mid_november():
    with time_machine.travel("2026-11-15 10:00 +0800", tick=False):
        yield


HEADER = "device_txn_id,employee_no,hall_code,rated_at,rating\n"


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def test_evaluations_are_imported_with_one_fact_each_and_a_reimport_changes_nothing(
    clerk_staff, hall_manager
):
    text = HEADER + "T1,C0001,H001,2026-10-05 09:30,very_satisfied\nT2,C0001,H001,2026-10-06 14:00,不满意\n"
    result = import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="october.csv")
    assert (result.rows, result.created, result.unchanged) == (2, 2, 0)
    assert sorted(ScoreFact.objects.values_list("value", flat=True)) == [Decimal("0.00"), Decimal("100.00")]
    evaluation = CustomerEvaluation.objects.get(device_txn_id="T1")
    assert evaluation.rated_at.isoformat() == "2026-10-05T01:30:00+00:00"  # local time, Asia/Shanghai
    revision = FactRevision.objects.get().revision
    again = import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="october.csv")
    assert (again.created, again.unchanged) == (0, 2)
    assert FactRevision.objects.get().revision == revision
    assert ScoreFact.objects.count() == 2 and CustomerEvaluation.objects.count() == 2
    assert AuditEvent.objects.filter(action="assessment.import.evaluations").count() == 2


def test_a_bad_file_is_refused_whole_with_every_bad_row_reported(clerk_staff, hall_manager, other_hall):
    StaffFactory(employee_no="X0002", hall=other_hall)
    text = HEADER + (
        "T1,C0001,H001,2026-10-05 09:30,satisfied\n"
        "T2,NOBODY,H001,2026-10-05 09:30,satisfied\n"
        "T3,C0001,H001,2026-02-30 09:30,great\n"
        "T1,C0001,H001,2026-10-07 09:30,satisfied\n"
        "T5,X0002,H002,2026-10-05 09:30,satisfied\n"
        "T6,C0001,H001,2026-12-01 09:30,satisfied\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="bad.csv")
    reported = {(line, column) for line, column, _message in caught.value.errors}
    assert reported == {
        (2, "device_txn_id"),
        (3, "employee_no"),
        (4, "rated_at"),
        (4, "rating"),
        (5, "device_txn_id"),
        (6, "hall_code"),
        (7, "rated_at"),
    }
    messages = {(line, col): msg for line, col, msg in caught.value.errors}
    assert messages[(6, "hall_code")] == ERROR_MESSAGES["hall_not_allowed"]()
    assert messages[(7, "rated_at")] == ERROR_MESSAGES["future"]()
    assert not CustomerEvaluation.objects.exists() and not ScoreFact.objects.exists()


def test_a_device_transaction_reimported_with_other_figures_is_an_error(clerk_staff, hall_manager):
    import_customer_evaluations(
        actor=hall_manager,
        file=csv_file(HEADER + "T1,C0001,H001,2026-10-05 09:30,satisfied\n"),
        filename="a.csv",
    )
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(
            actor=hall_manager,
            file=csv_file(HEADER + "T1,C0001,H001,2026-10-05 09:30,dissatisfied\n"),
            filename="b.csv",
        )
    assert [(line, col) for line, col, _m in caught.value.errors] == [(2, "device_txn_id")]


def test_a_header_without_the_columns_is_refused(hall_manager):
    with pytest.raises(ImportRejected):
        import_customer_evaluations(actor=hall_manager, file=csv_file("txn,who\nT1,C1\n"), filename="x.csv")


def test_a_clerk_cannot_import(clerk):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_customer_evaluations(actor=clerk, file=csv_file(HEADER), filename="x.csv")


def kpi_workbook(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["employee_no", "hall_code", "day", "transactions", "recommendations", "sales"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_daily_kpis_import_from_excel_into_three_facts_a_row(clerk_staff, branch_manager):
    import datetime

    rows = [
        ["C0001", "H001", datetime.date(2026, 10, 5), 31, 6, 1200.5],
        ["C0001", "H001", "2026-10-06", 20, 3, 0],
    ]
    result = import_daily_kpis(actor=branch_manager, file=kpi_workbook(rows), filename="kpi.xlsx")
    assert (result.rows, result.created) == (2, 2)
    assert DailyKpi.objects.get(day="2026-10-05").sales == Decimal("1200.50")
    assert ScoreFact.objects.filter(evidence_type="daily_kpi").count() == 6
    assert FactImport.objects.get().kind == "kpis"
    again = import_daily_kpis(actor=branch_manager, file=kpi_workbook(rows), filename="kpi.xlsx")
    assert (again.created, ScoreFact.objects.count()) == (0, 6)


def test_kpi_rows_with_bad_numbers_are_reported(clerk_staff, branch_manager):
    text = "employee_no,hall_code,day,transactions,recommendations,sales\nC0001,H001,2026-10-05,-3,x,12.345\n"
    with pytest.raises(ImportRejected) as caught:
        import_daily_kpis(actor=branch_manager, file=csv_file(text), filename="kpi.csv")
    assert {col for _l, col, _m in caught.value.errors} == {"transactions", "recommendations", "sales"}


# --- The streaming evaluation import: partial re-imports, conflicts found after the write, reports ----


def test_a_file_overlapping_an_earlier_import_creates_only_the_new_rows_and_their_facts(
    clerk_staff, hall_manager
):
    first = HEADER + "T1,C0001,H001,2026-10-05 09:30,very_satisfied\n"
    import_customer_evaluations(actor=hall_manager, file=csv_file(first), filename="a.csv")
    revision = FactRevision.objects.get().revision
    both = first + "T2, C0001 ,H001,2026-10-06T14:00:30,满意\n"
    result = import_customer_evaluations(actor=hall_manager, file=csv_file(both), filename="b.csv")
    assert (result.rows, result.created, result.unchanged) == (2, 1, 1)
    assert FactRevision.objects.get().revision == revision + 1
    labels = sorted(ScoreFact.objects.values_list("evidence_label", "value", "occurred_on", "hall__code"))
    assert labels == [
        ("T1 2026-10-05 09:30 very_satisfied", Decimal("100.00"), date(2026, 10, 5), "H001"),
        ("T2 2026-10-06 14:00 satisfied", Decimal("80.00"), date(2026, 10, 6), "H001"),
    ]
    t2 = CustomerEvaluation.objects.get(device_txn_id="T2")
    assert (t2.staff_id, t2.rated_at.isoformat()) == (clerk_staff.pk, "2026-10-06T06:00:30+00:00")
    assert ScoreFact.objects.get(evidence_id=t2.pk).staff_id == clerk_staff.pk


def test_a_conflict_found_after_writing_the_new_rows_rolls_the_whole_file_back(clerk_staff, hall_manager):
    import_customer_evaluations(
        actor=hall_manager,
        file=csv_file(HEADER + "T1,C0001,H001,2026-10-05 09:30,satisfied\n"),
        filename="a.csv",
    )
    revision = FactRevision.objects.get().revision
    text = HEADER + "T2,C0001,H001,2026-10-06 09:30,satisfied\nT1,C0001,H001,2026-10-05 09:31,satisfied\n"
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="b.csv")
    assert [(line, col) for line, col, _m in caught.value.errors] == [(3, "device_txn_id")]
    assert caught.value.errors[0][2] == ERROR_MESSAGES["conflict"]()
    assert list(CustomerEvaluation.objects.values_list("device_txn_id", flat=True)) == ["T1"]
    assert ScoreFact.objects.count() == 1 and FactRevision.objects.get().revision == revision
    assert FactImport.objects.count() == 1


def test_a_rejected_file_reports_conflicts_with_earlier_imports_alongside_its_other_errors(
    clerk_staff, branch_manager, other_hall
):
    StaffFactory(employee_no="X0002", hall=other_hall)
    import_customer_evaluations(
        actor=branch_manager,
        file=csv_file(HEADER + "T1,C0001,H001,2026-10-05 09:30,satisfied\n"),
        filename="a.csv",
    )
    long_txn = "L" * 65
    text = HEADER + (
        "T1,C0001,H001,2026-10-05 09:30,dissatisfied\n"  # conflict
        "T1,C0001,H001,2026-10-05 09:30,satisfied\n"  # same figures as stored, but twice in the file
        "T3,X0002,H001,2026-10-05 09:30,satisfied\n"  # X0002 is posted in H002, not H001
        f"{long_txn},C0001,H001,2026-10-05 09:30,satisfied\n"
        ",C0001,NOHALL,2026-10-05 25:30,satisfied\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=branch_manager, file=csv_file(text), filename="b.csv")
    codes = {(line, col, msg) for line, col, msg in caught.value.errors}
    assert codes == {
        (2, "device_txn_id", ERROR_MESSAGES["duplicate"]()),
        (2, "device_txn_id", ERROR_MESSAGES["conflict"]()),
        (3, "device_txn_id", ERROR_MESSAGES["duplicate"]()),
        (4, "employee_no", ERROR_MESSAGES["not_posted"]()),
        (5, "device_txn_id", ERROR_MESSAGES["too_long"]()),
        (6, "device_txn_id", ERROR_MESSAGES["required"]()),
        (6, "hall_code", ERROR_MESSAGES["unknown_hall"]()),
        (6, "rated_at", ERROR_MESSAGES["bad_time"]()),
    }
    assert [e[:2] for e in caught.value.errors] == sorted(e[:2] for e in caught.value.errors)
    assert CustomerEvaluation.objects.count() == 1


def test_a_branch_manager_imports_for_every_hall_of_the_branch(clerk_staff, branch_manager, other_hall):
    StaffFactory(employee_no="X0002", hall=other_hall)
    text = HEADER + "T1,C0001,H001,2026-10-05 09:30,satisfied\nT2,X0002,H002,2026-10-05 09:30,satisfied\n"
    result = import_customer_evaluations(actor=branch_manager, file=csv_file(text), filename="a.csv")
    assert result.created == 2
    assert sorted(ScoreFact.objects.values_list("hall__code", flat=True)) == ["H001", "H002"]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("T1,C0001,H001,2026-10-05 09:30\n", 2),  # a column short
        ("T1,C0001,H001,2026-10-05 09:30,satisfied\nT2,C0001,H001,2026-10-05 09:30,satisfied,x\n", 3),
    ],
)
def test_a_row_with_the_wrong_number_of_columns_rejects_the_file(clerk_staff, hall_manager, body, line):
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=csv_file(HEADER + body), filename="x.csv")
    assert caught.value.errors[0][0] == line
    assert not CustomerEvaluation.objects.exists()


def test_a_file_that_is_not_utf8_is_rejected(clerk_staff, hall_manager):
    raw = (HEADER + "T1,C0001,H001,2026-10-05 09:30,满意\n").encode("gb18030")
    with pytest.raises(ImportRejected):
        import_customer_evaluations(actor=hall_manager, file=io.BytesIO(raw), filename="x.csv")
    assert not CustomerEvaluation.objects.exists()


def test_evaluations_import_from_excel_with_time_cells(clerk_staff, hall_manager):
    import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["rating", "device_txn_id", "employee_no", "hall_code", "rated_at"])  # any column order
    sheet.append(["very_satisfied", "T1", "C0001", "H001", datetime.datetime(2026, 10, 5, 9, 30)])
    sheet.append(["不满意", 1001, "C0001", "H001", "2026-10-06 10:00"])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    result = import_customer_evaluations(actor=hall_manager, file=out, filename="devices.xlsx")
    assert result.created == 2
    assert sorted(CustomerEvaluation.objects.values_list("device_txn_id", "rating")) == [
        ("1001", "dissatisfied"),
        ("T1", "very_satisfied"),
    ]
    assert (
        CustomerEvaluation.objects.get(device_txn_id="T1").rated_at.isoformat() == "2026-10-05T01:30:00+00:00"
    )


# --- Staged in SQL: COPY, one check statement, a report query; the same for both imports ----------

KPI_HEADER = "employee_no,hall_code,day,transactions,recommendations,sales\n"


def evaluation_rows(n: int, *, rating: str = "satisfied", prefix: str = "T") -> str:
    return "".join(
        f"{prefix}{i},C0001,H001,2026-10-{1 + i % 28:02d} {9 + i % 8:02d}:{i % 60:02d},{rating}\n"
        for i in range(n)
    )


def kpi_rows(people, n: int, *, sales: str = "10.5") -> str:
    return "".join(
        f"{people[i % len(people)]},H001,2026-10-{1 + i // len(people):02d},3,1,{sales}\n" for i in range(n)
    )


@pytest.mark.parametrize("kind", ["evaluations", "kpis", "evaluations-rejected", "kpis-rejected"])
def test_an_import_runs_the_same_number_of_queries_for_10_and_200_rows(clerk_staff, hall, hall_manager, kind):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people = ["C0001"] + [StaffFactory(hall=hall).employee_no for _ in range(9)]
    # The actor's scope and the audit's content type are cached after a first import.
    warm_up = HEADER + "W1,C0001,H001,2026-11-01 09:00,satisfied\n"
    import_customer_evaluations(actor=hall_manager, file=csv_file(warm_up), filename="warm-up.csv")
    counts = []
    for n in (10, 200):
        if kind.startswith("evaluations"):
            rating = "great" if kind.endswith("rejected") else "satisfied"
            text, service = (
                HEADER + evaluation_rows(n, rating=rating, prefix=f"N{n}-"),
                import_customer_evaluations,
            )
        else:
            sales = "-1" if kind.endswith("rejected") else "10.5"
            text, service = KPI_HEADER + kpi_rows(people, n, sales=sales), import_daily_kpis
        with CaptureQueriesContext(connection) as ctx:
            try:
                result = service(actor=hall_manager, file=csv_file(text), filename=f"{n}.csv")
            except ImportRejected as exc:
                assert kind.endswith("rejected") and len(exc.errors) == n
            else:
                assert not kind.endswith("rejected") and result.created == n
        counts.append(len(ctx.captured_queries))
        if kind == "kpis":  # the next file repeats no (person, day) of this one
            DailyKpi.objects.all().delete()
            ScoreFact.objects.all().delete()
    assert counts[0] == counts[1], counts


def test_white_space_around_values_is_ignored_as_python_strip_did(clerk_staff, hall_manager):
    text = HEADER + (
        "\tT1\u3000, C0001 ,H001\u00a0,2026-10-05 09:30 , very_satisfied\n"
        '"T2\n",C0001,"  H001",2026-10-06T10:00,满意\u2003\n'
    )
    result = import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="spaces.csv")
    assert result.created == 2
    assert sorted(CustomerEvaluation.objects.values_list("device_txn_id", "rating")) == [
        ("T1", "very_satisfied"),
        ("T2", "satisfied"),
    ]


def test_the_sql_trimming_set_is_exactly_what_python_strips():
    import sys

    from assessment.services.imports import _ASCII_BLANKS, _BLANKS, _WIDE_BLANKS

    assert set(_BLANKS) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    # Every kind is looked for in a file's bytes (spaces and line breaks where they can surround a value).
    looked_for = (
        set(_ASCII_BLANKS) | {" ", "\r", "\n"} | {c for chars in _WIDE_BLANKS.values() for c in chars}
    )
    assert looked_for == set(_BLANKS)


def test_a_line_holding_only_an_end_of_data_marker_is_refused_not_taken_as_the_end(clerk_staff, hall_manager):
    # PostgreSQL before 18 ends a CSV COPY at "\." and would drop the rows after it without a word.
    text = (
        HEADER + "T1,C0001,H001,2026-10-05 09:30,satisfied\n\\.\nT2,C0001,H001,2026-10-05 09:31,satisfied\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="marker.csv")
    assert [e[0] for e in caught.value.errors] == [3]
    assert not CustomerEvaluation.objects.exists()


def test_a_file_mixing_line_ends_is_read_as_before(clerk_staff, hall_manager):
    text = HEADER.replace("\n", "\r\n") + (
        "T1,C0001,H001,2026-10-05 09:30,satisfied\r\nT2,C0001,H001,2026-10-05 09:31,satisfied\n"
    )
    assert import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="x.csv").created == 2


@pytest.mark.parametrize(
    ("line3", "message"),
    [
        (b"T2,C0001,H001,2026-10-05 09:30,\xff\xfe\n", "UTF8"),
        (b"T2,C0001,H001,2026-10-05 09:30,sat\x00isfied\n", "NUL"),
    ],
    ids=["not-utf8", "nul"],
)
def test_unreadable_bytes_are_reported_on_their_line(clerk_staff, hall_manager, line3, message):
    raw = (HEADER + "T1,C0001,H001,2026-10-05 09:30,satisfied\n").encode() + line3
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=io.BytesIO(raw), filename="x.csv")
    [(line, _column, text)] = caught.value.errors
    assert line == 3 and message in text
    assert not CustomerEvaluation.objects.exists()


def test_a_key_repeated_in_an_otherwise_good_file_is_refused_and_nothing_is_kept(clerk_staff, hall_manager):
    # No row fails a check, so the repeat is found only when the write skips the second copy.
    text = HEADER + (
        "T1,C0001,H001,2026-10-05 09:30,satisfied\n"
        "T2,C0001,H001,2026-10-05 09:31,satisfied\n"
        "T1,C0001,H001,2026-10-05 09:30,satisfied\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="x.csv")
    assert caught.value.errors == [
        (2, "device_txn_id", ERROR_MESSAGES["duplicate"]()),
        (4, "device_txn_id", ERROR_MESSAGES["duplicate"]()),
    ]
    assert not CustomerEvaluation.objects.exists() and not ScoreFact.objects.exists()
    assert not FactImport.objects.exists() and not FactRevision.objects.exists()


def test_a_person_and_day_repeated_in_a_kpi_file_is_refused(clerk_staff, hall_manager):
    text = (
        KPI_HEADER
        + "C0001,H001,2026-10-05,3,1,10\nC0001,H001,2026-10-06,3,1,10\nC0001, H001,2026-10-05,4,1,10\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_daily_kpis(actor=hall_manager, file=csv_file(text), filename="x.csv")
    assert [e[:2] for e in caught.value.errors] == [(2, "day"), (4, "day")]
    assert not DailyKpi.objects.exists()


def test_kpi_rows_of_an_earlier_import_are_unchanged_or_a_conflict(clerk_staff, hall_manager):
    first = KPI_HEADER + "C0001,H001,2026-10-05,3,1,10.50\n"
    import_daily_kpis(actor=hall_manager, file=csv_file(first), filename="a.csv")
    again = first.replace("10.50", "10.5") + "C0001,H001,2026-10-06,4,2,0\n"
    result = import_daily_kpis(actor=hall_manager, file=csv_file(again), filename="b.csv")
    assert (result.rows, result.created, result.unchanged) == (2, 1, 1)
    assert ScoreFact.objects.filter(evidence_type="daily_kpi").count() == 6
    changed = KPI_HEADER + "C0001,H001,2026-10-07,1,1,1\nC0001,H001,2026-10-05,3,1,99\n"
    with pytest.raises(ImportRejected) as caught:
        import_daily_kpis(actor=hall_manager, file=csv_file(changed), filename="c.csv")
    assert caught.value.errors == [(3, "day", ERROR_MESSAGES["conflict"]())]
    assert DailyKpi.objects.count() == 2 and FactImport.objects.count() == 2


def test_days_and_times_are_checked_without_a_cast_ever_failing(clerk_staff, hall_manager):
    times = [
        "0000-01-05 09:30",  # no year 0
        "2025-02-29 09:30",  # not a leap year
        "2026-04-31 09:30",
        "2026-10-05 24:00",
        "2026-13-01 09:30",
        "２０２６-10-05 09:30",  # full-width digits
        "2026-10-05 9:30",
        "2024-02-29 09:30",  # a real day, before this person's posting
        "2026-10-05T09:30:59",  # fine
    ]
    text = HEADER + "".join(f"T{i},C0001,H001,{t},satisfied\n" for i, t in enumerate(times))
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="x.csv")
    assert [e[:2] for e in caught.value.errors] == [(line, "rated_at") for line in range(2, 9)] + [
        (9, "employee_no")
    ]
    days = ["0000-01-01", "2025-02-29", "2026-06-31", "2026-1-05", "2024-02-29", "2026-10-05"]
    text = KPI_HEADER + "".join(f"C0001,H001,{d},1,1,1\n" for d in days)
    with pytest.raises(ImportRejected) as caught:
        import_daily_kpis(actor=hall_manager, file=csv_file(text), filename="x.csv")
    assert [e[:2] for e in caught.value.errors] == [(line, "day") for line in range(2, 6)] + [
        (6, "employee_no")
    ]


def test_the_report_lists_the_first_1000_errors_by_line_and_column(clerk_staff, hall_manager):
    text = HEADER + "".join(f"T{i},NOBODY,H001,2026-10-05 09:30,great\n" for i in range(600))
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=csv_file(text), filename="x.csv")
    errors = caught.value.errors
    assert len(errors) == 1000
    assert errors[:2] == [
        (2, "employee_no", ERROR_MESSAGES["unknown_staff"]()),
        (2, "rating", ERROR_MESSAGES["bad_rating"]()),
    ]
    assert [e[:2] for e in errors] == sorted(e[:2] for e in errors) and errors[-1][0] == 501


def test_excel_rows_are_reported_on_their_sheet_line(clerk_staff, hall_manager):
    book = Workbook()
    sheet = book.active
    sheet.append(["device_txn_id", "employee_no", "hall_code", "rated_at", "rating"])
    sheet.append(["T1", "C0001", "H001", "2026-10-05 09:30", "satisfied"])
    sheet.append(["T2", "C0001", "H001", "2026-10-05 09:31", "great"])
    sheet.append(["T3", "C0001", "H001", None, "satisfied"])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    with pytest.raises(ImportRejected) as caught:
        import_customer_evaluations(actor=hall_manager, file=out, filename="x.xlsx")
    assert [e[:2] for e in caught.value.errors] == [(3, "rating"), (4, "rated_at")]

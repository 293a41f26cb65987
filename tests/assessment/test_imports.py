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

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from complaints.exports import complaint_list_workbook, summary_workbook
from complaints.selectors import complaint_list, complaint_monthly_summary
from complaints.sla import SHANGHAI
from halls.exports import read_workbook_rows
from tests.complaints.factories import ComplaintFactory


@pytest.fixture
def hostile(cast):
    return ComplaintFactory(
        hall=cast.hall,
        received_at=datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI),
        customer_name='=HYPERLINK("http://evil")',
        subject="@SUM(A1:A9)",
        root_cause="-1+cmd",
    )


@pytest.mark.django_db
def test_the_complaint_list_export_masks_customers_and_escapes_formulas(hostile, cast):
    content = complaint_list_workbook(complaint_list(user=cast.hall_manager))
    (sheet,) = read_workbook_rows(content).values()
    header, row = sheet
    assert len(header) == len(row) == 17
    assert (row[0], row[1], row[3]) == (hostile.number, datetime(2026, 11, 10, 9, 0), "H001")
    assert (row[7], row[16]) == ("'@SUM(A1:A9)", "'-1+cmd")
    # The masked name still starts with "=": escaped, and masked.
    assert row[8] == "'=" + "*" * (len(hostile.customer_name) - 1)
    assert row[9] == hostile.customer_phone[:3] + "****" + hostile.customer_phone[-4:]
    worksheet = load_workbook(io.BytesIO(content)).active
    assert all(cell.data_type != "f" for line in worksheet.iter_rows() for cell in line)


@pytest.mark.django_db
def test_the_summary_export_has_a_row_per_hall_and_a_total(hostile, cast):
    summary = complaint_monthly_summary(user=cast.branch_manager, month=date(2026, 11, 1))
    (sheet,) = read_workbook_rows(summary_workbook(summary)).values()
    header, *rows = sheet
    assert [row[0] for row in rows] == ["H001", "H002", None]
    assert [row[2] for row in rows] == [1, 0, 1]
    assert len(header) == 3 + 6 + 5 + 3 + 7


@pytest.mark.django_db
def test_the_export_downloads_need_the_export_permission_and_stay_in_scope(hostile, cast, client):
    client.force_login(cast.branch_manager)
    response = client.get("/complaints/export/summary.xlsx?month=2026-11&region=BR01")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="complaints-summary-BR01-2026-11.xlsx"'
    listed = client.get("/complaints/export/list.xlsx?month=2026-11&hall=H001")
    (sheet,) = read_workbook_rows(listed.content).values()
    assert len(sheet) == 2
    client.force_login(cast.other_hall_manager)
    assert client.get("/complaints/export/summary.xlsx?hall=H001").status_code == 404
    (sheet,) = read_workbook_rows(client.get("/complaints/export/list.xlsx?month=2026-11").content).values()
    assert len(sheet) == 1  # the header only: H001's complaint is not theirs
    client.force_login(cast.clerk)
    assert client.get("/complaints/export/list.xlsx").status_code == 403
    client.logout()
    anonymous = client.get("/complaints/export/list.xlsx")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")

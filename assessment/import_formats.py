"""The file formats of the volume imports as the imports page explains them: what each column of
the service's header holds, the rules every file follows, and a small sample file per kind.

The columns come from the import service (EVALUATION_COLUMNS, KPI_COLUMNS), so the help and the
samples cannot drift from what the import requires; a test checks every column is described."""

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from assessment.models import FactImport
from assessment.services.imports import EVALUATION_COLUMNS, KPI_COLUMNS, MAX_REPORTED_ERRORS, RATING_WORDS

# Two rows each that the import accepts once the employee numbers and the hall code are real ones.
SAMPLE_ROWS = {
    FactImport.Kind.EVALUATIONS: (
        {
            "device_txn_id": "T20261005-0001",
            "employee_no": "E000123",
            "hall_code": "H001",
            "rated_at": "2026-10-05 09:30",
            "rating": "very_satisfied",
        },
        {
            "device_txn_id": "T20261005-0002",
            "employee_no": "E000123",
            "hall_code": "H001",
            "rated_at": "2026-10-05 10:12",
            "rating": "满意",
        },
    ),
    FactImport.Kind.KPIS: (
        {
            "employee_no": "E000123",
            "hall_code": "H001",
            "day": "2026-10-05",
            "transactions": "31",
            "recommendations": "6",
            "sales": "1200.50",
        },
        {
            "employee_no": "E000124",
            "hall_code": "H001",
            "day": "2026-10-05",
            "transactions": "27",
            "recommendations": "4",
            "sales": "860.00",
        },
    ),
}

COLUMNS = {FactImport.Kind.EVALUATIONS: EVALUATION_COLUMNS, FactImport.Kind.KPIS: KPI_COLUMNS}


@dataclass(frozen=True)
class ImportFormat:
    kind: str
    label: str
    columns: tuple[tuple[str, str], ...]  # (column, what it holds), in the header's order
    note: str  # what identifies a row, and what importing it again does

    @property
    def sample_url_name(self) -> str:
        return f"assessment:import-sample-{self.kind}"

    @property
    def sample_filename(self) -> str:
        return f"{self.kind}-sample.csv"

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(name for name, _text in self.columns)

    def sample_csv(self) -> str:
        """The sample file: the header and two example rows (CRLF line ends, as Excel writes them)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.header)
        for row in SAMPLE_ROWS[self.kind]:
            writer.writerow([row[name] for name in self.header])
        return out.getvalue()


def _hall_code() -> str:
    return _("The hall's code; the person must be posted in this hall on that day.")


def _descriptions() -> dict[str, dict[str, str]]:
    """What each column holds, by kind, in the active language."""
    ratings = ", ".join(RATING_WORDS)
    return {
        FactImport.Kind.EVALUATIONS: {
            "device_txn_id": _(
                "The rating device's transaction id, at most 64 characters; it identifies the evaluation."
            ),
            "employee_no": _("The employee number of the person rated."),
            "hall_code": _hall_code(),
            "rated_at": _(
                "When the customer rated, in local time, like 2026-10-05 14:30 (seconds optional, an "
                "Excel date-and-time cell works too); not in the future."
            ),
            "rating": _("One of %(words)s.") % {"words": ratings},
        },
        FactImport.Kind.KPIS: {
            "employee_no": _("The employee number of the person."),
            "hall_code": _hall_code(),
            "day": _("The day, like 2026-10-05 (an Excel date cell works too); not in the future."),
            "transactions": _("Transactions handled that day: a whole number of at most 9 digits."),
            "recommendations": _(
                "Proactive recommendations (say one more sentence) that day: a whole number of at most "
                "9 digits."
            ),
            "sales": _("Sales that day in yuan, like 1234.50 (at most two decimals)."),
        },
    }


def import_formats() -> list[ImportFormat]:
    """The format of each kind of import, in the active language."""
    descriptions = _descriptions()
    notes = {
        FactImport.Kind.EVALUATIONS: _(
            "A device transaction id is one evaluation: it appears once in a file, and importing it "
            "again with other figures is an error."
        ),
        FactImport.Kind.KPIS: _(
            "A person has one row a day: it appears once in a file, and importing that day again with "
            "other figures is an error."
        ),
    }
    return [
        ImportFormat(
            kind=kind,
            label=str(label),
            columns=tuple((name, descriptions[kind][name]) for name in COLUMNS[kind]),
            note=notes[kind],
        )
        for kind, label in FactImport.Kind.choices
    ]


def import_format(kind: str) -> ImportFormat:
    return next(f for f in import_formats() if f.kind == kind)


def import_rules() -> list[str]:
    """The rules every import file follows, in the active language."""
    return [
        _(
            "A CSV file in UTF-8 (a byte order mark is fine) or an Excel .xlsx workbook (its first "
            "sheet). The first row names the columns, in any order, and no others."
        ),
        _("Times and days are local: Asia/Shanghai (Beijing time)."),
        _(
            "All or nothing: a file with any bad row imports nothing, and the report lists the bad "
            "rows by line and column (the first %(n)s errors)."
        )
        % {"n": f"{MAX_REPORTED_ERRORS:,}"},
        _(
            "Importing the same file again changes nothing: rows imported before are left as they are, "
            "never updated."
        ),
        _("Rows of halls you do not manage are refused."),
        _("There is no limit on the number of rows."),
    ]

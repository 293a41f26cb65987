"""All-or-nothing imports of the volume sources (rating devices, daily KPIs) from CSV or Excel.

The file is COPied into a temporary staging table of text columns (line numbers kept), validated
with one set-based query that lists every bad row, then written with INSERT ... SELECT ... ON
CONFLICT DO NOTHING and handed to record_score_facts as staged SQL. Nothing per row in Python but
reading an Excel sheet. Re-importing the same file changes nothing (natural keys: the device
transaction id; the person and day). A row that repeats a key already imported with different
figures is an error, not an update. Times and days are local (Asia/Shanghai).

CSV: UTF-8 (a BOM is fine), a header line naming the columns in any order. Excel: the first sheet,
header in the first row.
"""

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import BinaryIO
from zoneinfo import ZoneInfo

import psycopg
from django.db import DataError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.exceptions import ImportRejected
from assessment.models import EvidenceType, FactImport, Measure, Source
from assessment.services.facts import StagedFacts, record_score_facts
from halls.audit import record_audit
from halls.permissions import ACTION_ROLES, require_permission
from halls.scoping import scope_for

EVALUATION_COLUMNS = ("device_txn_id", "employee_no", "hall_code", "rated_at", "rating")
KPI_COLUMNS = ("employee_no", "hall_code", "day", "transactions", "recommendations", "sales")
MAX_REPORTED_ERRORS = 1000

# Accepted spellings of a rating; the value is the code stored.
RATING_WORDS = {
    "very_satisfied": "very_satisfied",
    "satisfied": "satisfied",
    "dissatisfied": "dissatisfied",
    "非常满意": "very_satisfied",
    "满意": "satisfied",
    "不满意": "dissatisfied",
}

# Date checks that never raise inside SQL: the shape first, then the day against the month's length.
_DAY_RE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_TIME_RE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"


def _valid_day_sql(column: str, pattern: str) -> str:
    return (
        f"({column} ~ '{pattern}' AND substr({column}, 9, 2)::int <= "
        f"extract(day from (substr({column}, 1, 7) || '-01')::date + interval '1 month' - interval '1 day'))"
    )


ERROR_MESSAGES = {
    "required": lambda: _("A value is required."),
    "too_long": lambda: _("The value is too long."),
    "duplicate": lambda: _("This key appears more than once in the file."),
    "unknown_staff": lambda: _("No staff member has this employee number."),
    "unknown_hall": lambda: _("No hall has this code."),
    "hall_not_allowed": lambda: _("You cannot import data for this hall."),
    "not_posted": lambda: _("This person was not posted in this hall on that day."),
    "bad_time": lambda: _("Expected a local time like 2026-10-05 14:30."),
    "bad_day": lambda: _("Expected a day like 2026-10-05."),
    "bad_rating": lambda: _("Expected very_satisfied, satisfied or dissatisfied (非常满意 / 满意 / 不满意)."),
    "bad_count": lambda: _("Expected a whole number of at most 9 digits."),
    "bad_amount": lambda: _("Expected an amount like 1234.50."),
    "conflict": lambda: _("Already imported with different figures."),
    "future": lambda: _("The date is in the future."),
}


@dataclass(frozen=True)
class ImportResult:
    import_record: FactImport
    rows: int
    created: int
    unchanged: int


def _allowed_halls(actor) -> tuple[bool, list[int], list[str]]:
    """(everything, hall ids, region paths) the actor may import for: the halls and subtrees where
    they hold a role that assessment.import allows."""
    scope = scope_for(actor)
    if scope.sees_everything:
        return True, [], []
    allowed = ACTION_ROLES["assessment.import"]
    hall_ids = sorted({i for role, ids in scope.hall_roles.items() if role in allowed for i in ids})
    paths = sorted({p for role, ps in scope.region_roles.items() if role in allowed for p in ps})
    return False, hall_ids, paths


def _read_header(raw: bytes) -> tuple[list[str], bytes]:
    text_start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    end = raw.find(b"\n", text_start)
    header_bytes = raw[text_start:] if end < 0 else raw[text_start:end]
    body = b"" if end < 0 else raw[end + 1 :]
    header = next(csv.reader([header_bytes.decode("utf-8", errors="replace").strip("\r")]), [])
    return [h.strip().lower() for h in header], body


def _check_header(header: list[str], expected: tuple[str, ...]) -> None:
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected]
    if missing or unknown or len(set(header)) != len(header):
        raise ImportRejected(
            _("The header must name the columns %(cols)s.") % {"cols": ", ".join(expected)},
            errors=[(1, ",".join(missing + unknown), _("Missing or unknown columns."))],
        )


def _stage(cursor, *, table: str, columns: tuple[str, ...], file: BinaryIO, filename: str) -> int:
    """COPY the file into a temporary table `table` (line, *columns as text); returns the row count."""
    # Sorts and hashes of a 100,000-row file stay in memory (this transaction only).
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cols = ", ".join(f"{c} text" for c in columns)
    cursor.execute(
        f"CREATE TEMP TABLE {table} (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2), {cols}) "
        "ON COMMIT DROP"
    )
    if filename.lower().endswith(".xlsx"):
        _stage_excel(cursor, table=table, columns=columns, file=file)
    else:
        raw = file.read()
        header, body = _read_header(raw)
        _check_header(header, columns)
        try:
            with cursor.copy(f"COPY {table} ({', '.join(header)}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(body)
        except (DataError, psycopg.DataError) as exc:  # COPY raises psycopg's own errors
            line = _copy_error_line(exc)
            raise ImportRejected(
                _("The file is not valid CSV."),
                errors=[(line + 1 if line else 0, "", str(exc).split("\n")[0])],
            ) from exc
    cursor.execute(f"SELECT count(*) FROM {table}")
    return cursor.fetchone()[0]


def _copy_error_line(exc: Exception) -> int | None:
    context = getattr(getattr(exc, "diag", None), "context", None) or ""
    marker = "line "
    if marker in context:
        digits = "".join(ch for ch in context.split(marker, 1)[1] if ch.isdigit())
        return int(digits) if digits else None
    return None


def _stage_excel(cursor, *, table: str, columns: tuple[str, ...], file: BinaryIO) -> None:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(file.read()), read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        # What openpyxl raises for a file that is not a whole .xlsx workbook.
        raise ImportRejected(
            _("The file is not a readable Excel workbook (.xlsx)."), errors=[(0, "", type(exc).__name__)]
        ) from exc
    header = [str(c).strip().lower() if c is not None else "" for c in next(rows, ())]
    while header and header[-1] == "":
        header.pop()
    _check_header(header, columns)
    try:
        with cursor.copy(f"COPY {table} ({', '.join(header)}) FROM STDIN") as copy:
            for row in rows:
                values = [_excel_text(v) for v in row[: len(header)]]
                values += [None] * (len(header) - len(values))
                copy.write_row(values)
    except (DataError, psycopg.DataError) as exc:
        line = _copy_error_line(exc)
        raise ImportRejected(
            _("The file is not a readable Excel workbook (.xlsx)."),
            errors=[(line + 1 if line else 0, "", str(exc).split("\n")[0])],
        ) from exc
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportRejected(
            _("The file is not a readable Excel workbook (.xlsx)."), errors=[(0, "", type(exc).__name__)]
        ) from exc
    finally:
        book.close()


def _excel_text(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "strftime"):
        # Excel stores a day as midnight of that day.
        with_time = hasattr(value, "hour") and (value.hour, value.minute, value.second) != (0, 0, 0)
        return value.strftime("%Y-%m-%d %H:%M:%S") if with_time else value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _errors(cursor, sql: str, params: dict) -> list[tuple[int, str, str]]:
    cursor.execute(f"{sql} ORDER BY 1, 2 LIMIT {MAX_REPORTED_ERRORS}", params)
    return [(line, column, ERROR_MESSAGES[code]()) for line, column, code in cursor.fetchall()]


def _finish(cursor, *, actor, kind: str, filename: str, rows: int, created: int, facts) -> ImportResult:
    record = FactImport.objects.create(
        kind=kind, filename=filename[:200], rows=rows, created_rows=created, imported_by=actor
    )
    written = record_score_facts(facts=facts)
    record_audit(
        actor=actor,
        action=f"assessment.import.{kind}",
        subject=record,
        data={"file": filename, "rows": rows, "created": created, "facts_created": written.created},
    )
    return ImportResult(import_record=record, rows=rows, created=created, unchanged=rows - created)


def _scope_params(actor) -> dict:
    everything, hall_ids, paths = _allowed_halls(actor)
    return {
        "everything": everything,
        "hall_ids": hall_ids,
        "paths": [p + "%" for p in paths],
        # The application's clock, not the database's: "in the future" means the same in tests.
        "now": timezone.now(),
        "today": timezone.localdate(),
    }


_HALL_ALLOWED = "(%(everything)s OR h.id = ANY(%(hall_ids)s::bigint[]) OR g.path LIKE ANY(%(paths)s::text[]))"

# --- Customer evaluations: validated in Python in one streaming pass -----------------------------
#
# The 100,000-row file is the hot path (rating devices upload every evaluation of a month), so it
# does not go through a text staging table and a validation query: each row is checked in Python
# against three look-ups done once per file (the staff of the file's employee numbers, the halls of
# its hall codes with their region paths, those people's postings), the valid rows are COPied
# typed into a temporary table, and one INSERT ... ON CONFLICT DO NOTHING writes the new ones,
# RETURNING them into a second temporary table from which the facts are made (no look-up of the
# evaluation table per row). Rows whose device transaction already exists are compared with it
# set-based afterwards (only when some row was not new): different figures reject the whole file.

_SHANGHAI = ZoneInfo("Asia/Shanghai")
_TIME_PATTERN = re.compile(
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
)


def _parse_local_time(text: str) -> datetime | None:
    """A local (Asia/Shanghai) wall-clock time as an aware datetime, or None when malformed. The
    pattern fixes the accepted shape; fromisoformat then refuses a day past the end of its month."""
    if _TIME_PATTERN.match(text) is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=_SHANGHAI)
    except ValueError:
        return None


def _csv_rows(raw: bytes, columns: tuple[str, ...]) -> Iterator[tuple]:
    """(line, *values in `columns` order, stripped) of every CSV record; header checked first."""
    line = 1
    try:
        text = raw.decode("utf-8-sig")
        nul = text.find("\x00")
        if nul >= 0:  # PostgreSQL text cannot hold NUL: refuse the file, naming the line
            raise ImportRejected(
                _("The file is not valid CSV."),
                errors=[(text.count("\n", 0, nul) + 1, "", _("The line contains a NUL character."))],
            )
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in next(reader, [])]
        _check_header(header, columns)
        pick = itemgetter(*[header.index(c) for c in columns])
        width = len(header)
        for line, record in enumerate(reader, start=2):
            if len(record) != width:
                raise ImportRejected(
                    _("The file is not valid CSV."),
                    errors=[(line, "", _("Expected %(n)s columns.") % {"n": width})],
                )
            yield (line, *[v.strip() for v in pick(record)])
    except UnicodeDecodeError as exc:
        raise ImportRejected(_("The file is not valid CSV."), errors=[(0, "", str(exc))]) from exc
    except csv.Error as exc:
        raise ImportRejected(_("The file is not valid CSV."), errors=[(line + 1, "", str(exc))]) from exc


def _excel_rows(file: BinaryIO, columns: tuple[str, ...]) -> Iterator[tuple]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
        IndexError,
        EOFError,
    )
    try:
        book = load_workbook(io.BytesIO(file.read()), read_only=True, data_only=True)
    except unreadable as exc:  # what openpyxl raises for a file that is not a whole .xlsx workbook
        raise ImportRejected(
            _("The file is not a readable Excel workbook (.xlsx)."), errors=[(0, "", type(exc).__name__)]
        ) from exc
    line = 1
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(c).strip().lower() if c is not None else "" for c in next(rows, ())]
        while header and header[-1] == "":
            header.pop()
        _check_header(header, columns)
        order = [header.index(c) for c in columns]
        for line, row in enumerate(rows, start=2):
            values = [(_excel_text(row[i]) or "") if i < len(row) else "" for i in order]
            if any("\x00" in v for v in values):
                raise ImportRejected(
                    _("The file is not a readable Excel workbook (.xlsx)."),
                    errors=[(line, "", _("The line contains a NUL character."))],
                )
            yield (line, *values)
    except ImportRejected:
        raise
    except unreadable as exc:  # a truncated or damaged sheet fails while it is read
        raise ImportRejected(
            _("The file is not a readable Excel workbook (.xlsx)."),
            errors=[(line + 1, "", type(exc).__name__)],
        ) from exc
    finally:
        book.close()


def _evaluation_lookups(cursor, rows: list) -> tuple[dict, dict, dict]:
    """staff id by employee number, (hall id, region path) by hall code, postings by staff id —
    three queries whatever the size of the file."""
    employee_nos = sorted({r[2] for r in rows} - {""})
    hall_codes = sorted({r[3] for r in rows} - {""})
    cursor.execute(
        "SELECT employee_no, id FROM staffing_staff WHERE employee_no = ANY(%s::text[])", [employee_nos]
    )
    staff = dict(cursor.fetchall())
    cursor.execute(
        "SELECT h.code, h.id, g.path FROM halls_hall h JOIN halls_region g ON g.id = h.region_id "
        "WHERE h.code = ANY(%s::text[])",
        [hall_codes],
    )
    halls = {code: (hall_id, path) for code, hall_id, path in cursor.fetchall()}
    cursor.execute(
        "SELECT staff_id, hall_id, started_on, ended_on FROM staffing_staffposting "
        "WHERE staff_id = ANY(%s::bigint[])",
        [list(staff.values())],
    )
    postings: dict[tuple[int, int], list] = {}
    for staff_id, hall_id, started_on, ended_on in cursor.fetchall():
        postings.setdefault((staff_id, hall_id), []).append((started_on, ended_on))
    return staff, halls, postings


def _check_evaluations(cursor, rows: list, actor) -> tuple[list, list]:
    """(valid typed rows, errors as (line, column, code)) of the file's rows."""
    everything, hall_ids, paths = _allowed_halls(actor)
    allowed_ids = set(hall_ids)
    prefixes = tuple(paths)
    staff, halls, postings = _evaluation_lookups(cursor, rows)
    copies = Counter(row[1] for row in rows)
    now = timezone.now()
    no_hall = (None, None)
    valid, errors = [], []
    # Per file, not per row: the hall verdict and the parsed times repeat across rows.
    hall_verdicts: dict[str, tuple] = {}
    for line, txn, employee_no, hall_code, rated_at, rating in rows:
        bad = []
        if not txn:
            bad.append(("device_txn_id", "required"))
        elif len(txn) > 64:
            bad.append(("device_txn_id", "too_long"))
        if txn and copies[txn] > 1:
            bad.append(("device_txn_id", "duplicate"))
        staff_id = staff.get(employee_no)
        if staff_id is None:
            bad.append(("employee_no", "unknown_staff"))
        verdict = hall_verdicts.get(hall_code)
        if verdict is None:
            hall_id, path = halls.get(hall_code, no_hall)
            allowed = hall_id is not None and (
                everything or hall_id in allowed_ids or bool(prefixes and path.startswith(prefixes))
            )
            verdict = hall_verdicts[hall_code] = (hall_id, allowed)
        hall_id, allowed = verdict
        if hall_id is None:
            bad.append(("hall_code", "unknown_hall"))
        elif not allowed:
            bad.append(("hall_code", "hall_not_allowed"))
        at = _parse_local_time(rated_at)
        if at is None:
            bad.append(("rated_at", "bad_time"))
        elif at > now:
            bad.append(("rated_at", "future"))
        code = RATING_WORDS.get(rating)
        if code is None:
            bad.append(("rating", "bad_rating"))
        if staff_id is not None and hall_id is not None and at is not None:
            day = at.date()
            if not any(
                started <= day and (ended is None or ended >= day)
                for started, ended in postings.get((staff_id, hall_id), ())
            ):
                bad.append(("employee_no", "not_posted"))
        if bad:
            errors.extend((line, column, error) for column, error in bad)
        else:
            valid.append((line, txn, staff_id, hall_id, at, code))
    if errors:
        # A rejected file reports conflicts with earlier imports too, so that one round of fixes is enough.
        cursor.execute(
            "SELECT device_txn_id, staff_id, hall_id, rated_at, rating FROM assessment_customerevaluation "
            "WHERE device_txn_id = ANY(%s::text[])",
            [sorted(set(copies) - {""})],
        )
        stored = {txn: tuple(figures) for txn, *figures in cursor.fetchall()}
        for line, txn, employee_no, hall_code, rated_at, rating in rows:
            existing = stored.get(txn)
            incoming = (
                staff.get(employee_no),
                halls.get(hall_code, no_hall)[0],
                _parse_local_time(rated_at),
                RATING_WORDS.get(rating),
            )
            if existing is not None and existing != incoming:
                errors.append((line, "device_txn_id", "conflict"))
    return valid, errors


def _report(errors: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    return [(line, column, ERROR_MESSAGES[code]()) for line, column, code in sorted(set(errors))][
        :MAX_REPORTED_ERRORS
    ]


EVALUATION_WRITE_SQL = """
WITH ins AS (
    INSERT INTO assessment_customerevaluation (device_txn_id, staff_id, hall_id, rated_at, rating, created_at)
    SELECT device_txn_id, staff_id, hall_id, rated_at, rating, now() FROM _stage_evaluations
    ON CONFLICT (device_txn_id) DO NOTHING
    RETURNING id, device_txn_id, staff_id, hall_id, rated_at, rating
)
INSERT INTO _new_evaluations SELECT * FROM ins
"""

# Rows of the file that were not new: their stored evaluation must have the same figures.
EVALUATION_CONFLICTS_SQL = """
SELECT s.line FROM _stage_evaluations s
JOIN assessment_customerevaluation e ON e.device_txn_id = s.device_txn_id
WHERE NOT EXISTS (SELECT 1 FROM _new_evaluations n WHERE n.device_txn_id = s.device_txn_id)
  AND (e.staff_id, e.hall_id, e.rated_at, e.rating) IS DISTINCT FROM (s.staff_id, s.hall_id, s.rated_at, s.rating)
ORDER BY s.line
"""

EVALUATION_FACTS_SQL = f"""
SELECT e.staff_id, e.hall_id, (e.rated_at AT TIME ZONE 'Asia/Shanghai')::date,
       '{Source.CUSTOMER_EVALUATION}', '{Measure.EVALUATION_SCORE}',
       CASE e.rating WHEN 'very_satisfied' THEN 100 WHEN 'satisfied' THEN 80 ELSE 0 END,
       '{EvidenceType.CUSTOMER_EVALUATION}', e.id,
       e.device_txn_id || ' ' || to_char(e.rated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') || ' ' || e.rating
FROM _new_evaluations e
"""


@transaction.atomic
def import_customer_evaluations(*, actor, file: BinaryIO, filename: str) -> ImportResult:
    """Import rating-device rows (device_txn_id, employee_no, hall_code, rated_at, rating).

    All or nothing: any bad row rejects the file with ImportRejected listing (line, column, message)
    for every bad row (up to 1,000). Needs assessment.import; rows of halls outside the actor's
    import scope are errors. Each new evaluation becomes one evaluation_score fact (very satisfied
    100, satisfied 80, dissatisfied 0). Idempotent: the same file again creates nothing."""
    require_permission(actor, "assessment.import")
    if filename.lower().endswith(".xlsx"):
        rows = list(_excel_rows(file, EVALUATION_COLUMNS))
    else:
        rows = list(_csv_rows(file.read(), EVALUATION_COLUMNS))
    with connection.cursor() as cursor:
        valid, errors = _check_evaluations(cursor, rows, actor)
        if errors:
            report = _report(errors)
            raise ImportRejected(
                _("The file was not imported: %(n)s errors.") % {"n": len(report)}, errors=report
            )
        cursor.execute(
            "CREATE TEMP TABLE _stage_evaluations (line bigint NOT NULL, device_txn_id text NOT NULL, "
            "staff_id bigint NOT NULL, hall_id bigint NOT NULL, rated_at timestamptz NOT NULL, rating text NOT NULL) "
            "ON COMMIT DROP"
        )
        cursor.execute(
            "CREATE TEMP TABLE _new_evaluations (id bigint, device_txn_id text, staff_id bigint, hall_id bigint, "
            "rated_at timestamptz, rating text) ON COMMIT DROP"
        )
        with cursor.copy(
            "COPY _stage_evaluations (line, device_txn_id, staff_id, hall_id, rated_at, rating) FROM STDIN"
        ) as copy:
            for row in valid:
                copy.write_row(row)
        cursor.execute(EVALUATION_WRITE_SQL)
        created = cursor.rowcount
        if created < len(valid):
            cursor.execute(EVALUATION_CONFLICTS_SQL)
            conflicts = [(line, "device_txn_id", "conflict") for (line,) in cursor.fetchall()]
            if conflicts:
                report = _report(conflicts)
                raise ImportRejected(
                    _("The file was not imported: %(n)s errors.") % {"n": len(report)}, errors=report
                )
        result = _finish(
            cursor,
            actor=actor,
            kind=FactImport.Kind.EVALUATIONS,
            filename=filename,
            rows=len(rows),
            created=created,
            facts=StagedFacts(EVALUATION_FACTS_SQL),
        )
        cursor.execute("DROP TABLE _stage_evaluations, _new_evaluations")
    return result


KPI_ERRORS_SQL = f"""
WITH s AS MATERIALIZED (
    SELECT s.*, count(*) OVER (PARTITION BY trim(s.employee_no), trim(s.day)) AS copies,
           {_valid_day_sql("trim(s.day)", _DAY_RE)} AS day_ok,
           coalesce(trim(s.transactions) ~ '^\\d{{1,9}}$', false) AS tx_ok,
           coalesce(trim(s.recommendations) ~ '^\\d{{1,9}}$', false) AS rec_ok,
           coalesce(trim(s.sales) ~ '^\\d{{1,10}}(\\.\\d{{1,2}})?$', false) AS sales_ok
    FROM _stage_kpis s
), v AS MATERIALIZED (
    SELECT s.*, st.id AS staff_id, h.id AS hall_id, {_HALL_ALLOWED} AS hall_ok,
           CASE WHEN s.day_ok THEN trim(s.day)::date END AS d
    FROM s
    LEFT JOIN staffing_staff st ON st.employee_no = trim(s.employee_no)
    LEFT JOIN halls_hall h ON h.code = trim(s.hall_code)
    LEFT JOIN halls_region g ON g.id = h.region_id
)
SELECT v.line, chk.col, chk.code FROM v
LEFT JOIN LATERAL (
    SELECT k.id, k.hall_id, k.transactions, k.recommendations, k.sales FROM assessment_dailykpi k
    WHERE k.staff_id = v.staff_id AND k.day = v.d LIMIT 1
) k ON true
CROSS JOIN LATERAL (VALUES
    (v.staff_id IS NULL, 'employee_no', 'unknown_staff'),
    (v.copies > 1 AND v.staff_id IS NOT NULL AND v.day_ok, 'day', 'duplicate'),
    (v.hall_id IS NULL, 'hall_code', 'unknown_hall'),
    (v.hall_id IS NOT NULL AND NOT v.hall_ok, 'hall_code', 'hall_not_allowed'),
    (NOT coalesce(v.day_ok, false), 'day', 'bad_day'),
    (v.d > %(today)s::date, 'day', 'future'),
    (NOT v.tx_ok, 'transactions', 'bad_count'),
    (NOT v.rec_ok, 'recommendations', 'bad_count'),
    (NOT v.sales_ok, 'sales', 'bad_amount'),
    (v.staff_id IS NOT NULL AND v.hall_id IS NOT NULL AND v.d IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM staffing_staffposting p
        WHERE p.staff_id = v.staff_id AND p.hall_id = v.hall_id
          AND p.started_on <= v.d AND (p.ended_on IS NULL OR p.ended_on >= v.d)),
     'employee_no', 'not_posted'),
    (k.id IS NOT NULL AND v.tx_ok AND v.rec_ok AND v.sales_ok
        AND (k.hall_id, k.transactions, k.recommendations, k.sales) IS DISTINCT FROM
            (v.hall_id, trim(v.transactions)::int, trim(v.recommendations)::int, trim(v.sales)::numeric),
     'day', 'conflict')
) AS chk(bad, col, code)
WHERE chk.bad
"""

KPI_INSERT_SQL = """
WITH ins AS (
    INSERT INTO assessment_dailykpi (staff_id, hall_id, day, transactions, recommendations, sales, created_at)
    SELECT st.id, h.id, trim(s.day)::date, trim(s.transactions)::int, trim(s.recommendations)::int,
           trim(s.sales)::numeric, now()
    FROM _stage_kpis s
    JOIN staffing_staff st ON st.employee_no = trim(s.employee_no)
    JOIN halls_hall h ON h.code = trim(s.hall_code)
    ON CONFLICT (staff_id, day) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM ins
"""

KPI_FACTS_SQL = f"""
SELECT k.staff_id, k.hall_id, k.day, '{Source.KPI}', m.measure,
       CASE m.measure WHEN '{Measure.TRANSACTIONS}' THEN k.transactions
                      WHEN '{Measure.RECOMMENDATIONS}' THEN k.recommendations ELSE k.sales END,
       '{EvidenceType.DAILY_KPI}', k.id, to_char(k.day, 'YYYY-MM-DD') || ' ' || m.measure
FROM _stage_kpis s
JOIN staffing_staff st ON st.employee_no = trim(s.employee_no)
CROSS JOIN LATERAL (
    SELECT * FROM assessment_dailykpi k WHERE k.staff_id = st.id AND k.day = trim(s.day)::date LIMIT 1
) k
CROSS JOIN (VALUES ('{Measure.TRANSACTIONS}'), ('{Measure.RECOMMENDATIONS}'), ('{Measure.SALES}')) AS m(measure)
"""


@transaction.atomic
def import_daily_kpis(*, actor, file: BinaryIO, filename: str) -> ImportResult:
    """Import daily KPI rows (employee_no, hall_code, day, transactions, recommendations, sales).

    Same contract as import_customer_evaluations: all or nothing with a row-by-row error report,
    scoped to the actor's halls, idempotent on (person, day). Each new row becomes three facts:
    transactions, recommendations (多说一句话) and sales."""
    require_permission(actor, "assessment.import")
    params = _scope_params(actor)
    with connection.cursor() as cursor:
        rows = _stage(cursor, table="_stage_kpis", columns=KPI_COLUMNS, file=file, filename=filename)
        cursor.execute("ANALYZE _stage_kpis")
        errors = _errors(cursor, KPI_ERRORS_SQL, params)
        if errors:
            raise ImportRejected(
                _("The file was not imported: %(n)s errors.") % {"n": len(errors)}, errors=errors
            )
        cursor.execute(KPI_INSERT_SQL, params)
        created = cursor.fetchone()[0]
        result = _finish(
            cursor,
            actor=actor,
            kind=FactImport.Kind.KPIS,
            filename=filename,
            rows=rows,
            created=created,
            facts=StagedFacts(KPI_FACTS_SQL),
        )
        cursor.execute("DROP TABLE _stage_kpis")
    return result

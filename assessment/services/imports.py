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
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

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

# MATERIALIZED: each row's parsing is done once, not once per reference of an inlined CTE. The
# existing evaluation is looked up by index per row (LIMIT 1 keeps the planner from hashing the
# whole evaluation table).
EVALUATION_ERRORS_SQL = f"""
WITH s AS MATERIALIZED (
    SELECT s.*, trim(s.device_txn_id) AS txn, trim(s.rating) AS rating_word,
           count(*) OVER (PARTITION BY trim(s.device_txn_id)) AS copies,
           {_valid_day_sql("trim(s.rated_at)", _TIME_RE)} AS time_ok
    FROM _stage_evaluations s
), v AS MATERIALIZED (
    SELECT s.*, st.id AS staff_id, h.id AS hall_id, {_HALL_ALLOWED} AS hall_ok, w.code AS rating_code,
           CASE WHEN s.time_ok THEN (trim(s.rated_at)::timestamp AT TIME ZONE 'Asia/Shanghai') END AS at
    FROM s
    LEFT JOIN staffing_staff st ON st.employee_no = trim(s.employee_no)
    LEFT JOIN halls_hall h ON h.code = trim(s.hall_code)
    LEFT JOIN halls_region g ON g.id = h.region_id
    LEFT JOIN unnest(%(words)s::text[], %(codes)s::text[]) AS w(word, code) ON w.word = s.rating_word
)
SELECT v.line, chk.col, chk.code FROM v
LEFT JOIN LATERAL (
    SELECT e.id, e.staff_id, e.hall_id, e.rated_at, e.rating FROM assessment_customerevaluation e
    WHERE e.device_txn_id = v.txn LIMIT 1
) e ON true
CROSS JOIN LATERAL (VALUES
    (coalesce(v.txn, '') = '', 'device_txn_id', 'required'),
    (length(v.txn) > 64, 'device_txn_id', 'too_long'),
    (v.copies > 1 AND coalesce(v.txn, '') <> '', 'device_txn_id', 'duplicate'),
    (v.staff_id IS NULL, 'employee_no', 'unknown_staff'),
    (v.hall_id IS NULL, 'hall_code', 'unknown_hall'),
    (v.hall_id IS NOT NULL AND NOT v.hall_ok, 'hall_code', 'hall_not_allowed'),
    (NOT coalesce(v.time_ok, false), 'rated_at', 'bad_time'),
    (v.at > %(now)s, 'rated_at', 'future'),
    (v.rating_code IS NULL, 'rating', 'bad_rating'),
    (v.staff_id IS NOT NULL AND v.hall_id IS NOT NULL AND v.at IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM staffing_staffposting p
        WHERE p.staff_id = v.staff_id AND p.hall_id = v.hall_id
          AND p.started_on <= (v.at AT TIME ZONE 'Asia/Shanghai')::date
          AND (p.ended_on IS NULL OR p.ended_on >= (v.at AT TIME ZONE 'Asia/Shanghai')::date)),
     'employee_no', 'not_posted'),
    (e.id IS NOT NULL AND (e.staff_id, e.hall_id, e.rated_at, e.rating)
        IS DISTINCT FROM (v.staff_id, v.hall_id, v.at, v.rating_code), 'device_txn_id', 'conflict')
) AS chk(bad, col, code)
WHERE chk.bad
"""

EVALUATION_INSERT_SQL = """
WITH ins AS (
    INSERT INTO assessment_customerevaluation (device_txn_id, staff_id, hall_id, rated_at, rating, created_at)
    SELECT trim(s.device_txn_id), st.id, h.id, trim(s.rated_at)::timestamp AT TIME ZONE 'Asia/Shanghai', w.code, now()
    FROM _stage_evaluations s
    JOIN staffing_staff st ON st.employee_no = trim(s.employee_no)
    JOIN halls_hall h ON h.code = trim(s.hall_code)
    JOIN unnest(%(words)s::text[], %(codes)s::text[]) AS w(word, code) ON w.word = trim(s.rating)
    ON CONFLICT (device_txn_id) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM ins
"""

EVALUATION_FACTS_SQL = f"""
SELECT e.staff_id, e.hall_id, (e.rated_at AT TIME ZONE 'Asia/Shanghai')::date,
       '{Source.CUSTOMER_EVALUATION}', '{Measure.EVALUATION_SCORE}',
       CASE e.rating WHEN 'very_satisfied' THEN 100 WHEN 'satisfied' THEN 80 ELSE 0 END,
       '{EvidenceType.CUSTOMER_EVALUATION}', e.id,
       e.device_txn_id || ' ' || to_char(e.rated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') || ' ' || e.rating
FROM _stage_evaluations s
CROSS JOIN LATERAL (
    SELECT * FROM assessment_customerevaluation e WHERE e.device_txn_id = trim(s.device_txn_id) LIMIT 1
) e
"""


@transaction.atomic
def import_customer_evaluations(*, actor, file: BinaryIO, filename: str) -> ImportResult:
    """Import rating-device rows (device_txn_id, employee_no, hall_code, rated_at, rating).

    All or nothing: any bad row rejects the file with ImportRejected listing (line, column, message)
    for every bad row (up to 1,000). Needs assessment.import; rows of halls outside the actor's
    import scope are errors. Each new evaluation becomes one evaluation_score fact (very satisfied
    100, satisfied 80, dissatisfied 0). Idempotent: the same file again creates nothing."""
    require_permission(actor, "assessment.import")
    params = {**_scope_params(actor), "words": list(RATING_WORDS), "codes": list(RATING_WORDS.values())}
    with connection.cursor() as cursor:
        rows = _stage(
            cursor, table="_stage_evaluations", columns=EVALUATION_COLUMNS, file=file, filename=filename
        )
        cursor.execute("ANALYZE _stage_evaluations")
        errors = _errors(cursor, EVALUATION_ERRORS_SQL, params)
        if errors:
            raise ImportRejected(
                _("The file was not imported: %(n)s errors.") % {"n": len(errors)}, errors=errors
            )
        cursor.execute(EVALUATION_INSERT_SQL, params)
        created = cursor.fetchone()[0]
        result = _finish(
            cursor,
            actor=actor,
            kind=FactImport.Kind.EVALUATIONS,
            filename=filename,
            rows=rows,
            created=created,
            facts=StagedFacts(EVALUATION_FACTS_SQL),
        )
        cursor.execute("DROP TABLE _stage_evaluations")
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

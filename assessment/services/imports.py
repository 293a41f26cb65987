"""All-or-nothing imports of the volume sources (rating devices, daily KPIs) from CSV or Excel.

Both imports run the same steps (_stage_check_write), a fixed number of statements whatever the
size of the file; nothing is done per row in Python but streaming an Excel sheet.

1. Stage. A CSV file's header line is checked in Python (the columns in any order, a BOM is
   fine) and the rest of the file is COPied as it is into a temporary table of text columns
   numbered by line; an Excel sheet (the first one, header in the first row) is streamed through
   the same COPY row by row. What COPY refuses — invalid UTF-8, a row with too few or too many
   columns, a broken quote — rejects the file naming the line. NUL characters (PostgreSQL text
   cannot hold them) and a line that is only a backslash and a period (PostgreSQL before 18 ends
   a CSV COPY there, silently dropping the rest) are refused before the COPY. White space around
   values (what str.strip() removes) is trimmed in place, by one UPDATE, when the bytes show a
   value may have some.
2. Check. One statement turns the staged text into typed rows in a second temporary table:
   people and halls are found by hash joins (staff by employee number; halls by code with their
   region path, judged against the actor's import scope once per hall), a person's postings in a
   hall by a hash join on (person, hall) to their stays as one date multirange, ratings by a hash
   join on the accepted words. Days and times are parsed once per distinct text, a pattern and a
   day-of-month check before the cast, so no cast can raise. Each row gets `ok`: no check fails.
3. Report. If a row is not ok, one query lists (line, column, error) in line and column order, up
   to 1,000: the failed checks, keys repeated within the file (GROUP BY) and keys imported before
   with other figures (`conflict`, looked up through the key's unique index), so that one round
   of fixes is enough. Nothing is written.
4. Write. INSERT ... ON CONFLICT DO NOTHING on the natural key (the device transaction id; the
   person and day), in line order, returning the new rows into a temporary table. Only when the
   write skipped rows (repeated within the file, or imported before) does the report query run
   again; any repeat or conflict rejects the file and the transaction rolls back what was written.
5. Facts. record_score_facts with staged SQL: one fact per new evaluation (from the rows the INSERT
   returned), three per KPI row of the file (new or not; unchanged facts are left alone).

Re-importing the same file changes nothing. Times and days are local (Asia/Shanghai).
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

import psycopg
from django.db import DataError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.exceptions import ImportRejected
from assessment.models import EvidenceType, FactImport, Measure, Source, evaluation_points_sql
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


def _params(actor) -> dict:
    everything, hall_ids, paths = _allowed_halls(actor)
    return {
        "everything": everything,
        "hall_ids": hall_ids,
        "paths": [p + "%" for p in paths],
        # The application's clock, not the database's: "in the future" means the same in tests.
        "now": timezone.now(),
        "today": timezone.localdate(),
        "words": list(RATING_WORDS),
        "codes": list(RATING_WORDS.values()),
    }


# --- 1. Stage: the file as text, numbered by line ------------------------------------------------


def _stage(cursor, *, table: str, columns: tuple[str, ...], file: BinaryIO, filename: str) -> None:
    """COPY the file into a temporary table `table` (line, *columns as text), each value without
    the white space around it (what Python's str.strip() removes)."""
    # Sorts and hashes of a 100,000-row file stay in memory (this transaction only).
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cols = ", ".join(f"{c} text" for c in columns)
    cursor.execute(
        f"CREATE TEMP TABLE {table} (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2 CACHE 1000), {cols}) "
        "ON COMMIT DROP"
    )
    if filename.lower().endswith(".xlsx"):
        _stage_excel(cursor, table=table, columns=columns, file=file)
    else:
        _stage_csv(cursor, table=table, columns=columns, raw=file.read())


# What Python's str.strip() removes: the white space these imports have always ignored around a
# value (an Excel cell's text is stripped in Python, see _excel_text).
_BLANKS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_BLANKS = "\t\x0b\x0c\x1c\x1d\x1e\x1f"  # white space wherever it is, besides spaces and line breaks
# The other white space characters by the first byte of their UTF-8 spelling (scanning for one byte
# is a memchr; a file of Chinese ratings has none of these leading bytes).
_WIDE_BLANKS = {
    lead: [c for c in _BLANKS if c >= "\x80" and c.encode()[:1] == lead]
    for lead in (b"\xc2", b"\xe1", b"\xe2", b"\xe3")
}


# A space next to a comma or a line end. (re finds a pattern that starts with a literal several
# times faster than bytes.find finds two bytes.)
_SPACE_EDGES = [re.compile(edge) for edge in (rb" [,\r\n]", rb", ", rb"\n ", rb"\r ")]
_END_OF_DATA = re.compile(rb"\\\.")


def _read_header(raw: bytes) -> tuple[list[str], bytes]:
    """The header's column names (stripped, lower case) and the bytes after the header line."""
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    ends = [i for i in (raw.find(b"\n", start), raw.find(b"\r", start)) if i >= 0]
    if not ends:
        header_bytes, body = raw[start:], b""
    else:
        end = min(ends)
        header_bytes = raw[start:end]
        body = raw[end + (2 if raw[end : end + 2] == b"\r\n" else 1) :]
    header = next(csv.reader([header_bytes.decode("utf-8", errors="replace")]), [])
    return [h.strip().lower() for h in header], body


def _check_header(header: list[str], expected: tuple[str, ...]) -> None:
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected]
    if missing or unknown or len(set(header)) != len(header):
        raise ImportRejected(
            _("The header must name the columns %(cols)s.") % {"cols": ", ".join(expected)},
            errors=[(1, ",".join(missing + unknown), _("Missing or unknown columns."))],
        )


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _end_of_data_marker(raw: bytes) -> int:
    """Offset of a line that is only a backslash and a period, or -1."""
    if not _END_OF_DATA.search(raw):
        return -1
    padded = b"\n" + raw
    at = padded.find(b"\n\\.")
    while at >= 0:
        if padded[at + 3 : at + 4] in (b"", b"\n", b"\r"):
            return at
        at = padded.find(b"\n\\.", at + 1)
    return -1


def _stage_csv(cursor, *, table: str, columns: tuple[str, ...], raw: bytes) -> None:
    not_csv = _("The file is not valid CSV.")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise ImportRejected(
            not_csv, errors=[(_line_of(raw, nul), "", _("The line contains a NUL character."))]
        )
    header, body = _read_header(raw)
    _check_header(header, columns)
    marker = _end_of_data_marker(raw)
    if marker >= 0:
        line = _line_of(raw, marker)
        raise ImportRejected(not_csv, errors=[(line, "", _("Expected %(n)s columns.") % {"n": len(header)})])
    crlf = body.count(b"\r\n") if b"\r" in body else 0
    if crlf and crlf != body.count(b"\n"):
        # COPY wants one kind of line end per file; Python's csv module, which these files were
        # first read with, accepted a mix.
        body = body.replace(b"\r\n", b"\n")
    try:
        with cursor.copy(f"COPY {table} ({', '.join(header)}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(body)
    except (DataError, psycopg.DataError) as exc:  # COPY raises psycopg's own errors
        raise ImportRejected(not_csv, errors=[_copy_error(exc, len(header))]) from exc
    blanks = _blanks_around_values(body)
    if blanks:
        # Values are compared and cast as they are from here on. Trimming only the characters the
        # file holds costs a fraction of trimming every kind of white space (a multibyte set).
        assignments = ", ".join(f"{c} = btrim({c}, %(blanks)s)" for c in columns)
        cursor.execute(f"UPDATE {table} SET {assignments}", {"blanks": blanks})


def _blanks_around_values(body: bytes) -> str:
    """The white space characters that may begin or end a value of this CSV body ('' for none):
    spaces next to a comma or a line end, line breaks and spaces inside quotes, any other kind
    of white space anywhere. A few scans of the bytes; most files need no trimming."""
    found = {c for c in _ASCII_BLANKS if c.encode() in body}
    for lead, blanks in _WIDE_BLANKS.items():
        if lead in body:
            found.update(c for c in blanks if c.encode() in body)
    if body.startswith(b" ") or body.endswith(b" ") or any(edge.search(body) for edge in _SPACE_EDGES):
        found.add(" ")
    if b'"' in body:
        found |= {" ", "\r", "\n"}
    return "".join(sorted(found))


def _copy_error(exc: Exception, width: int) -> tuple[int, str, str]:
    """(line in the file, "", message) of an error COPY raised; COPY numbers the rows it read from 1."""
    diag = getattr(exc, "diag", None) or getattr(exc.__cause__, "diag", None)
    found = re.search(r"\bline (\d+)", getattr(diag, "context", None) or "")
    primary = getattr(diag, "message_primary", None) or str(exc).split("\n")[0]
    if primary.startswith(("missing data for column", "extra data after last expected column")):
        primary = _("Expected %(n)s columns.") % {"n": width}
    return (int(found.group(1)) + 1 if found else 0, "", primary)


# What openpyxl raises for a file that is not a whole .xlsx workbook, when it opens it or while a
# truncated or damaged sheet is read.
_UNREADABLE_WORKBOOK = (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, EOFError)


def _stage_excel(cursor, *, table: str, columns: tuple[str, ...], file: BinaryIO) -> None:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    not_excel = _("The file is not a readable Excel workbook (.xlsx).")
    try:
        book = load_workbook(io.BytesIO(file.read()), read_only=True, data_only=True)
    except (InvalidFileException, *_UNREADABLE_WORKBOOK) as exc:
        raise ImportRejected(not_excel, errors=[(0, "", type(exc).__name__)]) from exc
    line = 1
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(c).strip().lower() if c is not None else "" for c in next(rows, ())]
        while header and header[-1] == "":
            header.pop()
        _check_header(header, columns)
        width = len(header)
        with cursor.copy(f"COPY {table} ({', '.join(header)}) FROM STDIN") as copy:
            for line, row in enumerate(rows, start=2):
                values = [_excel_text(v) for v in row[:width]]
                values += [None] * (width - len(values))
                if any(v is not None and "\x00" in v for v in values):
                    raise ImportRejected(
                        not_excel, errors=[(line, "", _("The line contains a NUL character."))]
                    )
                copy.write_row(values)
    except ImportRejected:
        raise
    except (DataError, psycopg.DataError) as exc:
        raise ImportRejected(not_excel, errors=[_copy_error(exc, width)]) from exc
    except _UNREADABLE_WORKBOOK as exc:
        raise ImportRejected(not_excel, errors=[(line + 1, "", type(exc).__name__)]) from exc
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


# --- 2. Check, 3. report, 4. write: shared by both imports -----------------------------------------
#
# Parameters of every statement: _params(actor).

# The shapes of a day and of a local time; the day of the month is checked against the month's
# length separately (_day_fits), before any cast.
_DAY_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_TIME_RE = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
)


def _day_fits(text: str) -> str:
    """SQL: the day of `text` (which matched _DAY_RE or _TIME_RE) exists in its month and year."""
    year, month, day = (f"substr({text}, {a}, {n})::int" for a, n in ((1, 4), (6, 2), (9, 2)))
    leap = f"(mod({year}, 4) = 0 AND (mod({year}, 100) <> 0 OR mod({year}, 400) = 0))"
    return (
        f"{year} > 0 AND {day} <= CASE {month} WHEN 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
        f"WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END"
    )


def _parse_distinct(*, stage: str, column: str, pattern: str, cast: str, dated: bool = False) -> str:
    """SQL of (text, value): every distinct text of the staged `column` with its value as `cast`,
    NULL when malformed. Parsed once per distinct text, not once per row (a month's file repeats
    its days, times and counts; a regular expression costs PostgreSQL microseconds a row), and
    nested CASEs fix the order — the pattern, then for a `dated` value the day of the month, then
    the cast, which therefore cannot raise."""
    valid = _day_fits(column) if dated else "true"
    return (
        f"SELECT {column}, CASE WHEN {column} ~ '{pattern}' THEN CASE WHEN {valid} "
        f"THEN {column}::{cast} END END FROM (SELECT DISTINCT {column} FROM {stage}) d"
    )


_HALL_ALLOWED = "(%(everything)s OR h.id = ANY(%(hall_ids)s::bigint[]) OR g.path LIKE ANY(%(paths)s::text[]))"

# Every hall with the verdict of the actor's import scope: once per hall, not once per row.
_HALLS_CTE = f"""halls AS MATERIALIZED (
    SELECT h.id, h.code, {_HALL_ALLOWED} AS allowed FROM halls_hall h JOIN halls_region g ON g.id = h.region_id
    WHERE h.code <> ''
)"""

# Staff by employee number (an empty cell names nobody).
_STAFF_JOIN = "LEFT JOIN staffing_staff st ON st.employee_no = s.employee_no AND st.employee_no <> ''"


class _Check(NamedTuple):
    column: str  # the file's column the error is reported on
    code: str  # a key of ERROR_MESSAGES
    bad: str  # SQL over a checked row `c`: true when the row has this error


@dataclass(frozen=True)
class _Volume:
    """One volume import: its file's columns, its temporary tables and its statements."""

    name: str
    columns: tuple[str, ...]
    check_sql: str  # step 2: CREATE TEMP TABLE checked AS ...
    errors_sql: str  # step 3: (line, column, code) of the first errors
    new_columns: str  # step 4: the rows the write created ...
    write_sql: str  # ... and the statement that writes them

    @property
    def stage(self) -> str:  # the file as text
        return f"_stage_{self.name}"

    @property
    def checked(self) -> str:  # the typed rows and their verdicts
        return f"_checked_{self.name}"

    @property
    def new(self) -> str:
        return f"_new_{self.name}"


def _check_sql(*, volume: str, ctes: str, typed: str, day: str, checks: tuple[_Check, ...]) -> str:
    """CREATE TEMP TABLE _checked_<volume> AS the rows of `v` (defined by `ctes`, after `halls`):
    the typed values `typed` (NULL where the text is not valid), the verdicts `allowed` (the hall
    is in the actor's import scope) and `posted` (the person was posted in the hall on `day`),
    and `ok`: no check fails.

    A person's postings in a hall are one multirange, hash-joined on (person, hall): a semi-join
    whatever the postings, as EXISTS would be, without the second pass over the rows and the
    join back that EXISTS needs here (they cost as much as all the other joins together)."""
    fails = " OR ".join(f"coalesce({c.bad}, false)" for c in checks)
    return f"""
CREATE TEMP TABLE _checked_{volume} ON COMMIT DROP AS
SELECT c.*, NOT ({fails}) AS ok FROM (
    WITH {_HALLS_CTE},
    {ctes}
    SELECT {typed}, v.allowed, coalesce({day} <@ p.stays, false) AS posted
    FROM v
    LEFT JOIN (
        SELECT staff_id, hall_id, range_agg(daterange(started_on, ended_on, '[]')) AS stays
        FROM staffing_staffposting GROUP BY staff_id, hall_id
    ) p ON p.staff_id = v.staff_id AND p.hall_id = v.hall_id
) c
"""


def _errors_sql(
    *,
    volume: str,
    checks: tuple[_Check, ...],
    key: tuple[str, ...],
    duplicate: str,
    earlier: str,
    conflict: _Check,
) -> str:
    """(line, column, code) of the first errors in the report's order: the failed checks of the
    rows that are not ok, every row whose `key` (columns of the checked rows) is in the file more
    than once (`duplicate`, on that column), and every row whose key was imported before (found
    among the rows `earlier` selects, as `k`; the rows this import wrote are not "before") with
    other figures (`conflict`, SQL over `c` and `k`)."""
    checked, new = f"_checked_{volume}", f"_new_{volume}"
    fails = ", ".join(f"(coalesce({c.bad}, false), '{c.column}', '{c.code}')" for c in checks)
    columns = ", ".join(key)
    return f"""
SELECT c.line, e.col, e.code FROM (
    SELECT c.*, r.repeated IS NOT NULL AS repeated,
           coalesce(k.id IS NOT NULL AND k.id NOT IN (SELECT id FROM {new}) AND {conflict.bad}, false) AS conflict
    FROM {checked} c
    LEFT JOIN (
        SELECT {columns}, true AS repeated FROM {checked} WHERE ({columns}) IS NOT NULL
        GROUP BY {columns} HAVING count(*) > 1
    ) r ON {" AND ".join(f"r.{k} = c.{k}" for k in key)}
    LEFT JOIN ({earlier}) k ON {" AND ".join(f"k.{k} = c.{k}" for k in key)}
) c
-- An unpivot of the errors of the rows that have some: no look-up.
CROSS JOIN LATERAL (VALUES {fails},
    (c.repeated, '{duplicate}', 'duplicate'), (c.conflict, '{conflict.column}', '{conflict.code}')
) AS e(bad, col, code)
WHERE (NOT c.ok OR c.repeated OR c.conflict) AND e.bad
ORDER BY c.line, e.col COLLATE "C", e.code COLLATE "C" LIMIT {MAX_REPORTED_ERRORS}
"""


def _stage_check_write(
    cursor, volume: _Volume, *, file: BinaryIO, filename: str, params: dict
) -> tuple[int, int]:
    """Steps 1–4 of an import; (rows in the file, rows created). Raises ImportRejected."""
    _stage(cursor, table=volume.stage, columns=volume.columns, file=file, filename=filename)
    cursor.execute(volume.check_sql, params)
    rows = cursor.rowcount
    cursor.execute(f"CREATE TEMP TABLE {volume.new} ({volume.new_columns}) ON COMMIT DROP")
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {volume.checked} WHERE NOT ok)")
    if cursor.fetchone()[0]:
        _reject_errors(cursor, volume, params)
    cursor.execute(volume.write_sql)
    created = cursor.rowcount
    if created < rows:
        # The write skipped rows: keys repeated within the file (their first row was written) or
        # imported before, with the same figures or not. Looked for only now, as few files have
        # any; a rejection rolls back what was written.
        _reject_errors(cursor, volume, params)
    return rows, created


def _reject_errors(cursor, volume: _Volume, params: dict) -> None:
    """Reject the file with the report of its errors, if it has any."""
    cursor.execute(volume.errors_sql, params)
    errors = [(line, column, ERROR_MESSAGES[code]()) for line, column, code in cursor.fetchall()]
    if errors:
        raise ImportRejected(
            _("The file was not imported: %(n)s errors.") % {"n": len(errors)}, errors=errors
        )


def _drop(cursor, volume: _Volume) -> None:
    cursor.execute(f"DROP TABLE {volume.stage}, {volume.checked}, {volume.new}")


def _import(
    *, actor, volume: _Volume, kind: str, facts_sql: str, file: BinaryIO, filename: str
) -> ImportResult:
    """Steps 1–5 of one volume import for `actor` (who needs assessment.import), in the caller's
    transaction: stage, check, write, then the facts of `facts_sql` and the import's record."""
    require_permission(actor, "assessment.import")
    params = _params(actor)
    with connection.cursor() as cursor:
        rows, created = _stage_check_write(cursor, volume, file=file, filename=filename, params=params)
        result = _finish(
            actor=actor,
            kind=kind,
            filename=filename,
            rows=rows,
            created=created,
            facts=StagedFacts(facts_sql),
        )
        _drop(cursor, volume)
    return result


def _finish(*, actor, kind: str, filename: str, rows: int, created: int, facts) -> ImportResult:
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


# --- Customer evaluations ------------------------------------------------------------------------

EVALUATION_CHECKS = (
    _Check("device_txn_id", "required", "c.device_txn_id IS NULL"),
    _Check("device_txn_id", "too_long", "length(c.device_txn_id) > 64"),
    _Check("employee_no", "unknown_staff", "c.staff_id IS NULL"),
    _Check("hall_code", "unknown_hall", "c.hall_id IS NULL"),
    _Check("hall_code", "hall_not_allowed", "NOT c.allowed"),
    _Check("rated_at", "bad_time", "c.rated_at IS NULL"),
    _Check("rated_at", "future", "c.rated_at > %(now)s"),
    _Check("rating", "bad_rating", "c.rating IS NULL"),
    _Check(
        "employee_no",
        "not_posted",
        "c.staff_id IS NOT NULL AND c.hall_id IS NOT NULL AND c.rated_at IS NOT NULL AND NOT c.posted",
    ),
)

# The stored evaluations that may share a device transaction id with the file, through the unique
# index (= ANY of an array): a join with the whole table makes PostgreSQL hash all of it instead.
EVALUATION_EARLIER_SQL = """
SELECT * FROM assessment_customerevaluation
WHERE device_txn_id = ANY (ARRAY(SELECT device_txn_id FROM _checked_evaluations WHERE device_txn_id IS NOT NULL))
"""

EVALUATIONS = _Volume(
    name="evaluations",
    columns=EVALUATION_COLUMNS,
    check_sql=_check_sql(
        volume="evaluations",
        ctes=f"""times AS MATERIALIZED (
        SELECT text, local_at AT TIME ZONE 'Asia/Shanghai' AS rated_at, local_at::date AS day
        FROM ({_parse_distinct(stage="_stage_evaluations", column="rated_at", pattern=_TIME_RE, cast="timestamp", dated=True)})
            AS p(text, local_at)
    ),
    v AS (
        SELECT s.line, NULLIF(s.device_txn_id, '') AS txn, st.id AS staff_id, h.id AS hall_id, h.allowed,
               w.code AS rating, t.rated_at, t.day
        FROM _stage_evaluations s
        {_STAFF_JOIN}
        LEFT JOIN halls h ON h.code = s.hall_code
        LEFT JOIN unnest(%(words)s::text[], %(codes)s::text[]) AS w(word, code) ON w.word = s.rating
        LEFT JOIN times t ON t.text = s.rated_at
    )""",
        typed="v.line, v.txn AS device_txn_id, v.staff_id, v.hall_id, v.rated_at, v.rating",
        day="v.day",
        checks=EVALUATION_CHECKS,
    ),
    errors_sql=_errors_sql(
        volume="evaluations",
        checks=EVALUATION_CHECKS,
        key=("device_txn_id",),
        duplicate="device_txn_id",
        earlier=EVALUATION_EARLIER_SQL,
        conflict=_Check(
            "device_txn_id",
            "conflict",
            "(k.staff_id, k.hall_id, k.rated_at, k.rating) IS DISTINCT FROM (c.staff_id, c.hall_id, c.rated_at, c.rating)",
        ),
    ),
    new_columns="id bigint NOT NULL, device_txn_id text, staff_id bigint, hall_id bigint, rated_at timestamptz, rating text",
    write_sql="""
WITH ins AS (
    INSERT INTO assessment_customerevaluation (device_txn_id, staff_id, hall_id, rated_at, rating, created_at)
    SELECT device_txn_id, staff_id, hall_id, rated_at, rating, now() FROM _checked_evaluations ORDER BY line
    ON CONFLICT (device_txn_id) DO NOTHING
    RETURNING id, device_txn_id, staff_id, hall_id, rated_at, rating
)
INSERT INTO _new_evaluations SELECT * FROM ins
""",
)

EVALUATION_FACTS_SQL = f"""
SELECT e.staff_id, e.hall_id, (e.rated_at AT TIME ZONE 'Asia/Shanghai')::date,
       '{Source.CUSTOMER_EVALUATION}', '{Measure.EVALUATION_SCORE}',
       {evaluation_points_sql("e.rating")},
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
    return _import(
        actor=actor,
        volume=EVALUATIONS,
        kind=FactImport.Kind.EVALUATIONS,
        facts_sql=EVALUATION_FACTS_SQL,
        file=file,
        filename=filename,
    )


# --- Daily KPIs ----------------------------------------------------------------------------------

KPI_CHECKS = (
    _Check("employee_no", "unknown_staff", "c.staff_id IS NULL"),
    _Check("hall_code", "unknown_hall", "c.hall_id IS NULL"),
    _Check("hall_code", "hall_not_allowed", "NOT c.allowed"),
    _Check("day", "bad_day", "c.day IS NULL"),
    _Check("day", "future", "c.day > %(today)s::date"),
    _Check("transactions", "bad_count", "c.transactions IS NULL"),
    _Check("recommendations", "bad_count", "c.recommendations IS NULL"),
    _Check("sales", "bad_amount", "c.sales IS NULL"),
    _Check(
        "employee_no",
        "not_posted",
        "c.staff_id IS NOT NULL AND c.hall_id IS NOT NULL AND c.day IS NOT NULL AND NOT c.posted",
    ),
)

_COUNT_RE = r"^[0-9]{1,9}$"
_AMOUNT_RE = r"^[0-9]{1,10}([.][0-9]{1,2})?$"

# The stored KPI rows of the file's people within the file's days, through the (person, day) index.
KPI_EARLIER_SQL = """
SELECT * FROM assessment_dailykpi
WHERE staff_id = ANY (ARRAY(SELECT DISTINCT staff_id FROM _checked_kpis WHERE staff_id IS NOT NULL))
  AND day BETWEEN (SELECT min(day) FROM _checked_kpis) AND (SELECT max(day) FROM _checked_kpis)
"""

KPIS = _Volume(
    name="kpis",
    columns=KPI_COLUMNS,
    check_sql=_check_sql(
        volume="kpis",
        ctes=f"""days (text, day) AS MATERIALIZED (
        {_parse_distinct(stage="_stage_kpis", column="day", pattern=_DAY_RE, cast="date", dated=True)}
    ),
    v AS (
        SELECT s.line, st.id AS staff_id, h.id AS hall_id, h.allowed, d.day,
               CASE WHEN s.transactions ~ '{_COUNT_RE}' THEN s.transactions::int END AS transactions,
               CASE WHEN s.recommendations ~ '{_COUNT_RE}' THEN s.recommendations::int END AS recommendations,
               CASE WHEN s.sales ~ '{_AMOUNT_RE}' THEN s.sales::numeric(12, 2) END AS sales
        FROM _stage_kpis s
        {_STAFF_JOIN}
        LEFT JOIN halls h ON h.code = s.hall_code
        LEFT JOIN days d ON d.text = s.day
    )""",
        typed="v.line, v.staff_id, v.hall_id, v.day, v.transactions, v.recommendations, v.sales",
        day="v.day",
        checks=KPI_CHECKS,
    ),
    errors_sql=_errors_sql(
        volume="kpis",
        checks=KPI_CHECKS,
        key=("staff_id", "day"),
        duplicate="day",
        earlier=KPI_EARLIER_SQL,
        conflict=_Check(
            "day",
            "conflict",
            "c.transactions IS NOT NULL AND c.recommendations IS NOT NULL AND c.sales IS NOT NULL "
            "AND (k.hall_id, k.transactions, k.recommendations, k.sales) "
            "IS DISTINCT FROM (c.hall_id, c.transactions, c.recommendations, c.sales)",
        ),
    ),
    new_columns="id bigint NOT NULL",
    write_sql="""
WITH ins AS (
    INSERT INTO assessment_dailykpi (staff_id, hall_id, day, transactions, recommendations, sales, created_at)
    SELECT staff_id, hall_id, day, transactions, recommendations, sales, now() FROM _checked_kpis ORDER BY line
    ON CONFLICT (staff_id, day) DO NOTHING
    RETURNING id
)
INSERT INTO _new_kpis SELECT * FROM ins
""",
)

# Three facts for every row of the file, new or imported before (unchanged facts are left alone).
KPI_FACTS_SQL = f"""
SELECT k.staff_id, k.hall_id, k.day, '{Source.KPI}', m.measure,
       CASE m.measure WHEN '{Measure.TRANSACTIONS}' THEN k.transactions
                      WHEN '{Measure.RECOMMENDATIONS}' THEN k.recommendations ELSE k.sales END,
       '{EvidenceType.DAILY_KPI}', k.id, to_char(k.day, 'YYYY-MM-DD') || ' ' || m.measure
FROM _checked_kpis c
JOIN ({KPI_EARLIER_SQL}) k ON k.staff_id = c.staff_id AND k.day = c.day
CROSS JOIN (VALUES ('{Measure.TRANSACTIONS}'), ('{Measure.RECOMMENDATIONS}'), ('{Measure.SALES}')) AS m(measure)
"""


@transaction.atomic
def import_daily_kpis(*, actor, file: BinaryIO, filename: str) -> ImportResult:
    """Import daily KPI rows (employee_no, hall_code, day, transactions, recommendations, sales).

    Same contract as import_customer_evaluations: all or nothing with a row-by-row error report,
    scoped to the actor's halls, idempotent on (person, day). Each row becomes three facts:
    transactions, recommendations (多说一句话) and sales."""
    return _import(
        actor=actor,
        volume=KPIS,
        kind=FactImport.Kind.KPIS,
        facts_sql=KPI_FACTS_SQL,
        file=file,
        filename=filename,
    )

"""The one write path into the fact table: record_score_facts."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from assessment.exceptions import FactInvalid, FactsFrozen
from assessment.models import MEASURE_SOURCE, EvidenceType

FACT_COLUMNS = (
    "staff_id",
    "hall_id",
    "occurred_on",
    "source",
    "measure",
    "value",
    "evidence_type",
    "evidence_id",
    "evidence_label",
)


@dataclass(frozen=True)
class FactInput:
    """One fact to record. `hall_id` is where it happened; the month is that of `occurred_on`."""

    staff_id: int
    hall_id: int
    occurred_on: date
    source: str
    measure: str
    value: Decimal
    evidence_type: str
    evidence_id: int
    evidence_label: str


@dataclass(frozen=True)
class StagedFacts:
    """Facts produced by a SELECT in the same database (set-based importers): `sql` must return the
    columns of FACT_COLUMNS in that order. Only for trusted, parameterised SQL written in code."""

    sql: str
    params: tuple | list | dict = ()


@dataclass(frozen=True)
class FactWriteResult:
    created: int
    updated: int
    unchanged: int
    months: tuple[date, ...]


@dataclass(frozen=True)
class FactWithdrawResult:
    removed: int
    months: tuple[date, ...]


def _measure_pairs_sql() -> tuple[str, list]:
    measures = [str(m) for m in MEASURE_SOURCE]
    sources = [str(MEASURE_SOURCE[m]) for m in MEASURE_SOURCE]
    return "SELECT * FROM unnest(%s::text[], %s::text[]) AS ms(measure, source)", [measures, sources]


@transaction.atomic
def record_score_facts(*, facts: Iterable[FactInput] | StagedFacts) -> FactWriteResult:
    """Record facts idempotently; every source of assessment writes through here.

    The natural key is (evidence_type, evidence_id, measure): an identical fact is left alone, a
    changed one is updated in place. Each month whose facts changed gets its FactRevision bumped,
    and the changed rows carry that revision; a call that changes nothing bumps nothing, so a
    re-import leaves every later computation identical. Set-based whatever the volume: the facts
    go through a temporary table (COPY for Python iterables) and a fixed number of statements.

    Refuses (nothing written): a measure that does not belong to its source, an unknown evidence
    type, a negative value (FactInvalid); a change to an existing fact of a person whose month is
    already published (FactsFrozen) — published numbers and the evidence behind them stay as they were.
    """
    with connection.cursor() as cursor:
        # The batch's checks hash up to every fact of an import: keep them in memory.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            """
            CREATE TEMP TABLE _incoming_facts (
                staff_id bigint NOT NULL, hall_id bigint NOT NULL, occurred_on date NOT NULL,
                source text NOT NULL, measure text NOT NULL, value numeric(14, 2) NOT NULL,
                evidence_type text NOT NULL, evidence_id bigint NOT NULL, evidence_label text NOT NULL
            ) ON COMMIT DROP
            """
        )
        # On an error the surrounding (sub)transaction rolls back, which removes the table too.
        result = _record(cursor, facts)
        cursor.execute("DROP TABLE _incoming_facts")
        return result


def _record(cursor, facts) -> FactWriteResult:
    columns = ", ".join(FACT_COLUMNS)
    if isinstance(facts, StagedFacts):
        cursor.execute(f"INSERT INTO _incoming_facts ({columns}) {facts.sql}", facts.params)
    else:
        with cursor.copy(f"COPY _incoming_facts ({columns}) FROM STDIN") as copy:
            for f in facts:
                copy.write_row(
                    (
                        f.staff_id,
                        f.hall_id,
                        f.occurred_on,
                        str(f.source),
                        str(f.measure),
                        f.value,
                        str(f.evidence_type),
                        f.evidence_id,
                        f.evidence_label[:200],
                    )
                )
    pairs_sql, pairs_params = _measure_pairs_sql()
    cursor.execute(
        f"""
        SELECT
            count(*) FILTER (WHERE ms.measure IS NULL),
            count(*) FILTER (WHERE NOT (i.evidence_type = ANY(%s::text[]))),
            count(*) FILTER (WHERE i.value < 0),
            -- Hashed, not sorted: count(DISTINCT (...)) sorted every row of a 100,000-fact batch.
            (SELECT count(*) FROM (
                SELECT 1 FROM _incoming_facts GROUP BY evidence_type, evidence_id, measure HAVING count(*) > 1
             ) d)
        FROM _incoming_facts i
        LEFT JOIN ({pairs_sql}) ms ON ms.measure = i.measure AND ms.source = i.source
        """,
        [list(EvidenceType.values), *pairs_params],
    )
    bad_measure, bad_evidence, negative, duplicates = cursor.fetchone()
    if bad_measure:
        raise FactInvalid(_("A fact's measure does not belong to its source."))
    if bad_evidence:
        raise FactInvalid(_("A fact points to an unknown kind of evidence."))
    if negative:
        raise FactInvalid(_("A fact's value cannot be negative."))
    if duplicates:
        raise FactInvalid(_("The same evidence and measure appear twice in one batch."))

    # Lock the revision rows of the months the facts go to: fact writers of one month queue here,
    # and the monthly job's share lock on the same row makes its read of the facts a clean cut
    # between revisions.
    cursor.execute(
        """
        INSERT INTO assessment_factrevision (month, revision, changed_at)
        SELECT DISTINCT date_trunc('month', occurred_on)::date, 0, now() FROM _incoming_facts
        ON CONFLICT (month) DO NOTHING
        """
    )
    cursor.execute(
        """
        SELECT month, revision + 1 FROM assessment_factrevision
        WHERE month IN (SELECT DISTINCT date_trunc('month', occurred_on)::date FROM _incoming_facts)
        ORDER BY month FOR UPDATE
        """
    )
    next_revision = dict(cursor.fetchall())
    revisions = [list(next_revision), list(next_revision.values())]

    # New evidence first: one INSERT of every fact whose key is not stored yet. An import of new
    # rows (the usual case, and every evaluation import) ends here, without looking up the stored
    # facts: that join is the most expensive statement of a batch (PostgreSQL hashes the whole
    # fact table for it).
    cursor.execute(
        "CREATE TEMP TABLE _inserted_facts (evidence_type text, evidence_id bigint, measure text) ON COMMIT DROP"
    )
    cursor.execute(
        """
        WITH inserted AS (
            INSERT INTO assessment_scorefact
                (staff_id, hall_id, month, occurred_on, source, measure, value,
                 evidence_type, evidence_id, evidence_label, revision, recorded_at)
            SELECT i.staff_id, i.hall_id, rv.month, i.occurred_on, i.source, i.measure, i.value,
                   i.evidence_type, i.evidence_id, left(i.evidence_label, 200), rv.revision, now()
            FROM _incoming_facts i
            JOIN unnest(%s::date[], %s::bigint[]) AS rv(month, revision)
              ON rv.month = date_trunc('month', i.occurred_on)::date
            ON CONFLICT (evidence_type, evidence_id, measure) DO NOTHING
            RETURNING month, evidence_type, evidence_id, measure
        ), kept AS (
            INSERT INTO _inserted_facts SELECT evidence_type, evidence_id, measure FROM inserted
        )
        SELECT month, count(*) FROM inserted GROUP BY month
        """,
        revisions,
    )
    inserted = dict(cursor.fetchall())
    created = sum(inserted.values())
    updated, updated_months, moved_from = 0, set(), []
    cursor.execute("SELECT count(*) FROM _incoming_facts")
    total = cursor.fetchone()[0]
    if created < total:
        updated, updated_months, moved_from = _update_stored(cursor, revisions)
    cursor.execute("DROP TABLE _inserted_facts")
    # A fact that moved out of a month (always a change: its day differs) changed that month too.
    changed_months = sorted(set(inserted) | updated_months | set(moved_from))
    if changed_months:
        cursor.execute(
            "UPDATE assessment_factrevision SET revision = revision + 1, changed_at = now() WHERE month = ANY(%s)",
            [changed_months],
        )
    return FactWriteResult(
        created=created, updated=updated, unchanged=total - created - updated, months=tuple(changed_months)
    )


def _update_stored(cursor, revisions: list) -> tuple[int, set, list]:
    """The facts of the batch whose key was stored before: update those whose figures changed.
    (updated, the months they are in now, the months they moved out of). Raises FactsFrozen,
    rolling back the batch, when one of them belongs to a person whose month is published."""
    cursor.execute(
        """
        CREATE TEMP TABLE _stored_facts ON COMMIT DROP AS
        SELECT i.* FROM _incoming_facts i
        WHERE NOT EXISTS (
            SELECT 1 FROM _inserted_facts n
            WHERE n.evidence_type = i.evidence_type AND n.evidence_id = i.evidence_id AND n.measure = i.measure
        )
        """
    )
    # A changed fact of a person whose month is published would silently rewrite the evidence of
    # frozen numbers. The same look-up finds the months that facts move out of (a re-dated piece
    # of evidence): those months change too.
    cursor.execute(
        """
        SELECT count(*) FILTER (
                   WHERE (f.staff_id, f.hall_id, f.occurred_on, f.value, f.evidence_label)
                         IS DISTINCT FROM (i.staff_id, i.hall_id, i.occurred_on, i.value, left(i.evidence_label, 200))
                     AND EXISTS (
                         SELECT 1 FROM assessment_monthlyresult r
                         JOIN assessment_resultrun rr ON rr.id = r.run_id AND rr.status = 'published'
                         WHERE r.staff_id = f.staff_id AND r.month = f.month)),
               coalesce(array_agg(DISTINCT f.month)
                   FILTER (WHERE f.month <> date_trunc('month', i.occurred_on)::date), '{}')
        FROM _stored_facts i
        JOIN assessment_scorefact f
          ON f.evidence_type = i.evidence_type AND f.evidence_id = i.evidence_id AND f.measure = i.measure
        """
    )
    frozen, moved_from = cursor.fetchone()
    if frozen:
        raise FactsFrozen(_("These facts belong to a published month and can no longer change."))
    if moved_from:
        # The months facts leave are locked too (after the months they join, which this batch
        # already holds: a writer moving facts the other way at the same moment is a deadlock,
        # which PostgreSQL breaks by failing one of the two; nothing is half-written).
        cursor.execute(
            "SELECT month FROM assessment_factrevision WHERE month = ANY(%s::date[]) ORDER BY month FOR UPDATE",
            [moved_from],
        )
    cursor.execute(
        """
        WITH changed AS (
            UPDATE assessment_scorefact f SET
                staff_id = i.staff_id, hall_id = i.hall_id, month = rv.month, occurred_on = i.occurred_on,
                value = i.value, evidence_label = left(i.evidence_label, 200), revision = rv.revision,
                recorded_at = now()
            FROM _stored_facts i
            JOIN unnest(%s::date[], %s::bigint[]) AS rv(month, revision)
              ON rv.month = date_trunc('month', i.occurred_on)::date
            WHERE f.evidence_type = i.evidence_type AND f.evidence_id = i.evidence_id AND f.measure = i.measure
              AND (f.staff_id, f.hall_id, f.occurred_on, f.value, f.evidence_label)
                  IS DISTINCT FROM (i.staff_id, i.hall_id, i.occurred_on, i.value, left(i.evidence_label, 200))
            RETURNING f.month
        )
        SELECT month, count(*) FROM changed GROUP BY month
        """,
        revisions,
    )
    changed = dict(cursor.fetchall())
    cursor.execute("DROP TABLE _stored_facts")
    return sum(changed.values()), set(changed), list(moved_from)


@transaction.atomic
def withdraw_score_facts(*, evidence_type: str, evidence_ids: Iterable[int]) -> FactWithdrawResult:
    """Remove the facts whose evidence no longer exists (a clerk taken off a reopened visit, say):
    the other half of `record_score_facts`, with the same rules. Refuses (FactsFrozen, nothing
    removed) when a fact belongs to a person whose month is published; bumps the FactRevision of
    each month that lost facts, so the next computation sees the change. Idempotent."""
    ids = sorted(set(evidence_ids))
    if str(evidence_type) not in EvidenceType.values:
        raise FactInvalid(_("A fact points to an unknown kind of evidence."))
    if not ids:
        return FactWithdrawResult(removed=0, months=())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM assessment_scorefact f
            JOIN assessment_monthlyresult r ON r.staff_id = f.staff_id AND r.month = f.month
            JOIN assessment_resultrun rr ON rr.id = r.run_id AND rr.status = 'published'
            WHERE f.evidence_type = %s AND f.evidence_id = ANY(%s)
            """,
            [str(evidence_type), ids],
        )
        if cursor.fetchone()[0]:
            raise FactsFrozen(_("These facts belong to a published month and can no longer change."))
        cursor.execute(
            """
            SELECT month FROM assessment_factrevision
            WHERE month IN (SELECT DISTINCT month FROM assessment_scorefact
                            WHERE evidence_type = %s AND evidence_id = ANY(%s))
            ORDER BY month FOR UPDATE
            """,
            [str(evidence_type), ids],
        )
        cursor.execute(
            """
            WITH gone AS (
                DELETE FROM assessment_scorefact WHERE evidence_type = %s AND evidence_id = ANY(%s)
                RETURNING month
            )
            SELECT month, count(*) FROM gone GROUP BY month ORDER BY month
            """,
            [str(evidence_type), ids],
        )
        removed = cursor.fetchall()
        months = [row[0] for row in removed]
        if months:
            cursor.execute(
                "UPDATE assessment_factrevision SET revision = revision + 1, changed_at = now() WHERE month = ANY(%s)",
                [months],
            )
    return FactWithdrawResult(removed=sum(row[1] for row in removed), months=tuple(months))

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

    # A changed fact of a person whose month is published would silently rewrite the evidence of
    # frozen numbers. The same look-up of the stored facts finds the months that facts move out of
    # (a re-dated piece of evidence): those months change too.
    cursor.execute(
        """
        SELECT count(*) FILTER (
                   WHERE (f.staff_id, f.hall_id, f.occurred_on, f.value, f.evidence_label)
                         IS DISTINCT FROM (i.staff_id, i.hall_id, i.occurred_on, i.value, i.evidence_label)
                     AND EXISTS (
                         SELECT 1 FROM assessment_monthlyresult r
                         JOIN assessment_resultrun rr ON rr.id = r.run_id AND rr.status = 'published'
                         WHERE r.staff_id = f.staff_id AND r.month = f.month)),
               coalesce(array_agg(DISTINCT f.month)
                   FILTER (WHERE f.month <> date_trunc('month', i.occurred_on)::date), '{}')
        FROM _incoming_facts i
        JOIN assessment_scorefact f
          ON f.evidence_type = i.evidence_type AND f.evidence_id = i.evidence_id AND f.measure = i.measure
        """
    )
    frozen, moved_from = cursor.fetchone()
    if frozen:
        raise FactsFrozen(_("These facts belong to a published month and can no longer change."))

    # Lock the months' revision rows (those the facts go to and those they leave): fact writers of
    # one month queue here, and the monthly job's share lock on the same row makes its read of the
    # facts a clean cut between revisions.
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
           OR month = ANY(%s::date[])
        ORDER BY month FOR UPDATE
        """,
        [moved_from],
    )
    next_revision = dict(cursor.fetchall())
    cursor.execute(
        """
        WITH written AS (
        INSERT INTO assessment_scorefact
            (staff_id, hall_id, month, occurred_on, source, measure, value,
             evidence_type, evidence_id, evidence_label, revision, recorded_at)
        SELECT i.staff_id, i.hall_id, rv.month, i.occurred_on, i.source, i.measure, i.value,
               i.evidence_type, i.evidence_id, left(i.evidence_label, 200), rv.revision, now()
        FROM _incoming_facts i
        JOIN unnest(%s::date[], %s::bigint[]) AS rv(month, revision)
          ON rv.month = date_trunc('month', i.occurred_on)::date
        ON CONFLICT (evidence_type, evidence_id, measure) DO UPDATE SET
            staff_id = EXCLUDED.staff_id, hall_id = EXCLUDED.hall_id, month = EXCLUDED.month,
            occurred_on = EXCLUDED.occurred_on, value = EXCLUDED.value,
            evidence_label = EXCLUDED.evidence_label, revision = EXCLUDED.revision,
            recorded_at = EXCLUDED.recorded_at
        WHERE (assessment_scorefact.staff_id, assessment_scorefact.hall_id, assessment_scorefact.occurred_on,
               assessment_scorefact.value, assessment_scorefact.evidence_label)
              IS DISTINCT FROM (EXCLUDED.staff_id, EXCLUDED.hall_id, EXCLUDED.occurred_on,
                                EXCLUDED.value, EXCLUDED.evidence_label)
        RETURNING month, (xmax = 0) AS inserted
        )
        SELECT month, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
        FROM written GROUP BY month
        """,
        [list(next_revision), list(next_revision.values())],
    )
    written = cursor.fetchall()
    created = sum(row[1] for row in written)
    updated = sum(row[2] for row in written)
    # A fact that moved out of a month (always a change: its day differs) changed that month too.
    changed_months = sorted({row[0] for row in written} | set(moved_from))
    if changed_months:
        cursor.execute(
            "UPDATE assessment_factrevision SET revision = revision + 1, changed_at = now() WHERE month = ANY(%s)",
            [changed_months],
        )
    cursor.execute("SELECT count(*) FROM _incoming_facts")
    total = cursor.fetchone()[0]
    return FactWriteResult(
        created=created, updated=updated, unchanged=total - created - updated, months=tuple(changed_months)
    )


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

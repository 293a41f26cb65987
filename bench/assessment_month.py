"""Benchmark the monthly assessment job and the evaluation import.

    .venv/bin/python -m bench.assessment_month --clerks 20000

Builds a scratch database (hallops_bench, or $HALLOPS_BENCH_DB; dropped and re-created) with one branch, N clerks in
N/10 halls (5 % of them change hall mid-month), and a month of inputs streamed with COPY
(assessment.demo.load_month_inputs: ~4 evaluations a day and a KPI row a day per clerk, so about
3 million evaluation and KPI rows for 20,000 clerks) turned into facts by record_score_facts. Then:

(a) the job (compute_month_results) vs one hand-written SQL query computing the same totals and
    ranks from the month's facts (target: job ≤ 1.5 × query), and the job's query count; for
    context, the same query over the per-person totals the job reads (FactTotal);
(b) importing an evaluation CSV of --import-rows rows through import_customer_evaluations vs a
    plain COPY of the same file into a table of its columns (target: import ≤ 3 × COPY), and vs a
    COPY of the same rows into the two tables the import fills (evaluations and their facts, with
    every index, key and trigger): the floor of storing them, printed for context; and the import's
    staging and checking alone (nothing stored) vs the plain COPY.

Each comparison is measured --repeat times as back-to-back pairs (the machine is shared: a pair
sees the same load), with each run's figures, the median ratio and the ratio of the fastest runs.
--reuse measures again on the database the previous run built. Prints figures and ratios; asserts
only that the job and the query agree on every total and rank, and that each import creates every row.
"""

import argparse
import io
import os
import random
import sys
import time
from datetime import date, timedelta

BENCH_DB = os.environ.get("HALLOPS_BENCH_DB", "hallops_bench")


def setup_django(*, reuse: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hallops.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings
    from django.db import connections

    django.setup()
    default = connections["default"]
    default.ensure_connection()
    default.connection.autocommit = True
    if not reuse:
        with default.connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    default.close()
    settings.DATABASES["default"]["NAME"] = BENCH_DB
    default.settings_dict["NAME"] = BENCH_DB
    from django.core.management import call_command

    if not reuse:
        call_command("migrate", verbosity=0)


def build_branch(n_clerks: int, month: date, rng: random.Random):
    """One branch, 10 counties, N/10 halls of 10 clerks; postings through COPY; 5 % move mid-month."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from halls.models import Hall, Membership, Region, Role

    admin = get_user_model().objects.create_superuser("bench-admin", "bench@example.com", "bench-pass-123")
    manager = get_user_model().objects.create_user("bench-branch-manager", "bm@example.com", "bench-pass-123")
    branch = Region.objects.create(code="BENCH", name="Bench branch", kind="branch", path="/BENCH/")
    Membership.objects.create(user=manager, role=Role.BRANCH_MANAGER, region=branch)
    counties = [
        Region.objects.create(
            code=f"BC{i:02d}", name=f"County {i}", kind="county", parent=branch, path=f"/BENCH/BC{i:02d}/"
        )
        for i in range(10)
    ]
    n_halls = max(2, n_clerks // 10)
    Hall.objects.bulk_create(
        [
            Hall(
                code=f"BH{i:05d}",
                name=f"Bench hall {i}",
                hall_class="B",
                operation="self",
                region=counties[i % 10],
                min_staff_offpeak=2,
                min_staff_peak=3,
            )
            for i in range(n_halls)
        ],
        batch_size=2000,
    )
    hall_ids = list(Hall.objects.order_by("code").values_list("id", flat=True))
    hired = date(2024, 1, 1)
    now = timezone.now()
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY staffing_staff (employee_no, name, hall_id, post, employment_type, hire_date, status, star_level, "
            "phone, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(n_clerks):
                copy.write_row(
                    (
                        f"B{i:06d}",
                        f"Clerk {i}",
                        hall_ids[i % n_halls],
                        "clerk",
                        "formal",
                        hired,
                        "active",
                        rng.randrange(6),
                        "",
                        now,
                        now,
                    )
                )
        cursor.execute(
            "INSERT INTO staffing_staffposting (staff_id, hall_id, post, started_on, ended_on, created_at) "
            "SELECT id, hall_id, post, hire_date, NULL, now() FROM staffing_staff"
        )
        movers = 0
        cursor.execute("SELECT id, hall_id FROM staffing_staff WHERE mod(id, 20) = 0")
        moves = cursor.fetchall()
        on = month + timedelta(days=rng.randrange(5, 25))
        for_update = [(sid, hall_ids[(hall_ids.index(hid) + 1) % n_halls]) for sid, hid in moves]
        if for_update:
            ids = [m[0] for m in for_update]
            cursor.execute(
                "UPDATE staffing_staffposting SET ended_on = %s WHERE staff_id = ANY(%s)",
                [on - timedelta(days=1), ids],
            )
            cursor.execute(
                "INSERT INTO staffing_staffposting (staff_id, hall_id, post, started_on, created_at) "
                "SELECT v.id, v.hall, 'clerk', %s, now() FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, hall)",
                [on, ids, [m[1] for m in for_update]],
            )
            cursor.execute(
                "UPDATE staffing_staff s SET hall_id = v.hall FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, hall) "
                "WHERE s.id = v.id",
                [ids, [m[1] for m in for_update]],
            )
            movers = len(ids)
    return admin, manager, branch, movers


HAND_WRITTEN_SQL = """
WITH stays AS (
    SELECT staff_id, hall_id, post, started_on,
           LEAST(COALESCE(ended_on, %(last)s), %(last)s) - GREATEST(started_on, %(first)s) + 1 AS days
    FROM staffing_staffposting WHERE started_on <= %(last)s AND COALESCE(ended_on, %(last)s) >= %(first)s
), home AS (
    SELECT DISTINCT ON (staff_id) staff_id, hall_id, post FROM (
        SELECT staff_id, hall_id, SUM(days) AS days, MAX(started_on) AS last_start,
               (array_agg(post ORDER BY started_on DESC))[1] AS post
        FROM stays GROUP BY staff_id, hall_id) x
    ORDER BY staff_id, days DESC, last_start DESC, hall_id
), agg AS (
    SELECT f.staff_id, f.source, f.measure, count(*) AS n, sum(f.value) AS total
    FROM assessment_scorefact f WHERE f.month = %(first)s GROUP BY 1, 2, 3
), scored AS (
    SELECT h.staff_id, h.hall_id, h.post, i.weight, i.max_points, ROUND(CASE
        WHEN i.aggregate = 'avg' AND a.n IS NULL THEN CASE i.when_missing WHEN 'full' THEN i.max_points ELSE 0 END
        WHEN i.rule = 'ratio_to_target' THEN i.max_points * LEAST(1, COALESCE(a.total, 0) / i.target)
        WHEN i.rule = 'linear_band' THEN i.max_points * LEAST(1, GREATEST(0,
             (ROUND(a.total / a.n, 4) - i.band_low) / (i.band_high - i.band_low)))
        WHEN i.rule = 'deduction' THEN GREATEST(i.floor, i.max_points - i.deduction_per_unit * COALESCE(a.total, 0))
        ELSE LEAST(i.max_points, ROUND(a.total / a.n, 4)) END, 2) AS points
    FROM home h
    JOIN assessment_assessmentscheme s ON s.post = h.post AND s.status = 'active' AND s.effective_from <= %(first)s
         AND (s.effective_to IS NULL OR s.effective_to >= %(first)s)
    JOIN assessment_indicator i ON i.scheme_id = s.id
    LEFT JOIN agg a ON a.staff_id = h.staff_id AND a.source = i.source AND a.measure = i.measure
), totals AS (
    SELECT staff_id, hall_id, post, SUM(ROUND(points * weight / max_points, 2)) AS total
    FROM scored GROUP BY staff_id, hall_id, post
)
SELECT staff_id, total,
       RANK() OVER (PARTITION BY hall_id, post ORDER BY total DESC),
       RANK() OVER (PARTITION BY post ORDER BY total DESC)
FROM totals
"""


# The same query reading the per-person totals the job reads (FactTotal, kept by triggers when
# facts are written) instead of the facts: printed for context, no target.
HAND_WRITTEN_ON_TOTALS_SQL = HAND_WRITTEN_SQL.replace(
    "SELECT f.staff_id, f.source, f.measure, count(*) AS n, sum(f.value) AS total\n"
    "    FROM assessment_scorefact f WHERE f.month = %(first)s GROUP BY 1, 2, 3",
    "SELECT t.staff_id, t.source, t.measure, t.fact_count AS n, t.total\n"
    "    FROM assessment_facttotal t WHERE t.month = %(first)s",
)
assert HAND_WRITTEN_ON_TOTALS_SQL != HAND_WRITTEN_SQL


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bench_job(branch, month, repeat: int) -> dict:
    """`repeat` pairs of (job, hand-written query), each pair run back to back so that both see
    the same load on a shared machine. Before each job the month's fact revision is bumped, which
    changes the input hash: every run computes and writes a full new version (no re-use)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessment.models import MonthlyResult
    from assessment.services import compute_month_results
    from assessment.services.compute import month_end

    params = {"first": month, "last": month_end(month)}

    def query(sql=HAND_WRITTEN_SQL):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    query()  # warm the cache for both
    pairs, queries, on_totals = [], [], []
    for _ in range(repeat):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessment_factrevision SET revision = revision + 1 WHERE month = %s", [month]
            )
        with CaptureQueriesContext(connection) as ctx:
            job_seconds, run = timed(lambda: compute_month_results(branch=branch, month=month))
        query_seconds, rows = timed(query)
        totals_seconds, totals_rows = timed(lambda: query(HAND_WRITTEN_ON_TOTALS_SQL))
        pairs.append((job_seconds, query_seconds))
        on_totals.append((job_seconds, totals_seconds))
        queries.append(len(ctx.captured_queries))
        job_rows = {
            staff_id: (total, rh, rb)
            for staff_id, total, rh, rb in MonthlyResult.objects.filter(run=run).values_list(
                "staff_id", "total", "rank_in_hall", "rank_in_branch"
            )
        }
        hand = {staff_id: (total, rh, rb) for staff_id, total, rh, rb in rows}
        hand_on_totals = {staff_id: (total, rh, rb) for staff_id, total, rh, rb in totals_rows}
        if not hand == hand_on_totals == job_rows:
            raise SystemExit("The job and the hand-written queries disagree: not a valid comparison.")
    return {"run": run, "pairs": pairs, "queries": queries, "on_totals": on_totals}


def evaluation_file(people, month, rows: int, rng: random.Random, prefix: str) -> bytes:
    lines = ["device_txn_id,employee_no,hall_code,rated_at,rating"]
    for n in range(rows):
        employee_no, hall_code = people[n % len(people)]
        day = month + timedelta(days=rng.randrange(3))
        rating = ("very_satisfied", "satisfied", "dissatisfied")[rng.randrange(3)]
        lines.append(
            f"{prefix}-{n:08d},{employee_no},{hall_code},{day:%Y-%m-%d} {9 + n % 8:02d}:{n % 60:02d},{rating}"
        )
    return ("\n".join(lines) + "\n").encode()


def bench_import(admin, month, rows: int, rng: random.Random, repeat: int) -> dict:
    """`repeat` pairs of (plain COPY, import) of a new file each time (fresh device ids, same size
    and people), then a re-import of the last file."""
    from django.db import connection

    from assessment.services import import_customer_evaluations

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.employee_no, h.code FROM staffing_staffposting p JOIN staffing_staff s ON s.id = p.staff_id "
            "JOIN halls_hall h ON h.id = p.hall_id WHERE p.ended_on IS NULL AND p.started_on <= %s",
            [month],
        )
        people = cursor.fetchall()

    def plain_copy(payload: bytes):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
            cursor.execute(
                "CREATE TABLE bench_copy (device_txn_id text, employee_no text, hall_code text, rated_at text, rating text)"
            )
            with cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                copy.write(payload)

    with connection.cursor() as cursor:
        cursor.execute("SELECT employee_no, id FROM staffing_staff")
        staff_ids = dict(cursor.fetchall())
        cursor.execute("SELECT code, id FROM halls_hall")
        hall_ids = dict(cursor.fetchall())

    def copy_into_tables(payload: bytes) -> float:
        """The floor of any import that stores what this one stores: the file's rows, ids already
        resolved (untimed), COPied into the evaluation table and the fact table with their indexes,
        keys and triggers; timed, then rolled back."""
        from datetime import datetime
        from zoneinfo import ZoneInfo

        from django.db import transaction

        from assessment.models import EVALUATION_POINTS

        shanghai = ZoneInfo("Asia/Shanghai")
        lines = payload.decode().splitlines()[1:]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('assessment_customerevaluation', 'id')) "
                "FROM generate_series(1, %s)",
                [len(lines)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            evaluations, facts = [], []
            for eid, line in zip(ids, lines, strict=True):
                txn, employee_no, hall_code, rated_at, rating = line.split(",")
                at = datetime.fromisoformat(rated_at).replace(tzinfo=shanghai)
                staff_id, hall_id = staff_ids[employee_no], hall_ids[hall_code]
                evaluations.append((eid, txn, staff_id, hall_id, at, rating, at))
                value = EVALUATION_POINTS[rating]
                facts.append(
                    (
                        staff_id,
                        hall_id,
                        at.date().replace(day=1),
                        at.date(),
                        "customer_evaluation",
                        "evaluation_score",
                        value,
                        "customer_evaluation",
                        eid,
                        f"{txn} {rated_at} {rating}",
                        0,
                        at,
                    )
                )
            start = time.perf_counter()
            with cursor.copy(
                "COPY assessment_customerevaluation (id, device_txn_id, staff_id, hall_id, rated_at, rating, "
                "created_at) FROM STDIN"
            ) as copy:
                for row in evaluations:
                    copy.write_row(row)
            with cursor.copy(
                "COPY assessment_scorefact (staff_id, hall_id, month, occurred_on, source, measure, value, "
                "evidence_type, evidence_id, evidence_label, revision, recorded_at) FROM STDIN"
            ) as copy:
                for row in facts:
                    copy.write_row(row)
            seconds = time.perf_counter() - start
            transaction.set_rollback(True)
        return seconds

    def check_only(payload: bytes) -> float:
        """Steps 1–2 of the import alone (stage the file, check every row; nothing stored), rolled
        back: what any import that validates before writing pays on top of reading the file."""
        from django.db import transaction

        from assessment.services import imports

        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            imports._stage(
                cursor,
                table=imports.EVALUATIONS.stage,
                columns=imports.EVALUATION_COLUMNS,
                file=io.BytesIO(payload),
                filename="bench.csv",
            )
            cursor.execute(imports.EVALUATIONS.check_sql, imports._params(admin))
            seconds = time.perf_counter() - start
            transaction.set_rollback(True)
        return seconds

    pairs, floors, checks = [], [], []
    for r in range(repeat):
        payload = evaluation_file(people, month, rows, rng, f"IMP{int(time.time())}-{r}")
        copy_seconds, _ = timed(lambda data=payload: plain_copy(data))
        floor_seconds = copy_into_tables(payload)
        checks.append((check_only(payload), copy_seconds))
        import_seconds, result = timed(
            lambda data=payload: import_customer_evaluations(
                actor=admin, file=io.BytesIO(data), filename="bench.csv"
            )
        )
        if result.created != rows:
            raise SystemExit(f"The import created {result.created} of {rows} rows.")
        pairs.append((import_seconds, copy_seconds))
        floors.append((import_seconds, floor_seconds))
    again_seconds, again = timed(
        lambda: import_customer_evaluations(actor=admin, file=io.BytesIO(payload), filename="bench.csv")
    )
    return {
        "pairs": pairs,
        "floors": floors,
        "checks": checks,
        "again": again_seconds,
        "again_created": again.created,
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _print_pairs(pairs: list[tuple[float, float]], names: tuple[str, str], target: float) -> None:
    for i, (mine, base) in enumerate(pairs, start=1):
        print(f"    run {i}: {names[0]} {mine:.2f} s, {names[1]} {base:.2f} s, ratio {mine / base:.2f}")
    ratios = [mine / base for mine, base in pairs]
    best = min(p[0] for p in pairs) / min(p[1] for p in pairs)
    goal = f"  (target <= {target:g})" if target else ""
    print(f"    median ratio {_median(ratios):.2f}, ratio of the fastest runs {best:.2f}{goal}")


def _conditions() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem')"
        )
        version, buffers, work_mem = cursor.fetchone()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"PostgreSQL {version}, shared_buffers {buffers}, work_mem {work_mem}, {os.cpu_count()} CPUs, load average {load:.1f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.assessment_month", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clerks", type=int, default=20000)
    parser.add_argument("--evaluations-per-day", type=float, default=4.0)
    parser.add_argument("--import-rows", type=int, default=100000)
    parser.add_argument("--month", default="2026-10", help="YYYY-MM, in the past")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="measured pairs of each comparison")
    parser.add_argument("--only", choices=["job", "import"], help="measure one comparison only")
    parser.add_argument(
        "--reuse", action="store_true", help="measure again on the database the last run built (no rebuild)"
    )
    args = parser.parse_args(argv)
    month = date.fromisoformat(f"{args.month}-01")
    rng = random.Random(args.seed)

    setup_django(reuse=args.reuse)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from assessment.demo import load_month_inputs
    from halls.models import Region

    if args.reuse:
        admin, branch = get_user_model().objects.get(username="bench-admin"), Region.objects.get(code="BENCH")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM staffing_staff")
            clerks = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM assessment_scorefact")
            facts = cursor.fetchone()[0]
        print(f"data: the last run's database, {clerks} clerks, {facts} facts (earlier imports included)")
    else:
        t0 = time.perf_counter()
        admin, _manager, branch, movers = build_branch(args.clerks, month, rng)
        counts = load_month_inputs(
            rng=rng, month=month, evaluations_per_day=args.evaluations_per_day, rater=admin
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("SELECT count(*) FROM assessment_scorefact")
            facts = cursor.fetchone()[0]
        print(
            f"data: {args.clerks} clerks ({movers} changed hall mid-month), {counts['evaluations']} evaluations, "
            f"{counts['kpis']} KPI rows ({counts['evaluations'] + counts['kpis']} together), "
            f"{counts['ratings']} ratings, {counts['discipline']} discipline records, {facts} facts; "
            f"built in {time.perf_counter() - t0:.1f} s"
        )

    print(_conditions())
    if args.only in (None, "job"):
        job = bench_job(branch, month, args.repeat)
        print(
            f"(a) monthly job vs hand-written SQL (same totals and ranks, verified each run): "
            f"{job['run'].staff_count} results, queries per job run {sorted(set(job['queries']))}"
        )
        _print_pairs(job["pairs"], ("job", "query"), 1.5)
        print(
            "    the job reads per-person totals (FactTotal, kept by triggers in every fact write: its cost "
            "is inside the import's figures); the same query over those totals, for context (no target):"
        )
        _print_pairs(job["on_totals"], ("job", "query over FactTotal"), 0)
    if args.only in (None, "import"):
        imp = bench_import(admin, month, args.import_rows, rng, args.repeat)
        print(
            f"(b) import of {args.import_rows} evaluation rows (all created) vs a plain COPY of the same file:"
        )
        _print_pairs(imp["pairs"], ("import", "COPY"), 3)
        print(
            "    the same import vs COPY of the same rows (ids resolved beforehand) into the evaluation and "
            "fact tables it fills, with their indexes, keys and triggers (no target; the floor of any "
            "import that stores them):"
        )
        _print_pairs(imp["floors"], ("import", "COPY into the tables"), 0)
        print(
            "    the import's first two steps alone (stage the file and check every row, nothing stored) vs "
            "the plain COPY (no target; what validating costs before anything is written):"
        )
        _print_pairs(imp["checks"], ("stage and check", "COPY"), 0)
        print(f"    re-import of the last file: {imp['again']:.2f} s, {imp['again_created']} created")
    print(_conditions())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

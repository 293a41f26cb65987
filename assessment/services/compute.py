"""The monthly job: one branch, one month, set-based SQL, a fixed number of statements.

Who is assessed, and where (the posting rule): everyone with a StaffPosting overlapping the month
is ranked in the hall where they were posted the most days of the month (ties: the hall of the
later posting, then the lower hall id), with the post of their latest posting in that hall; they
belong to the branch of that hall. A post without a scheme in force on the first of the month is
not assessed. Facts keep their own hall: all of the person's facts of the month count, wherever
they happened.

Ranks are per post: in the hall and in the branch, by total, descending; ties share a rank (RANK()).
Rounding and missing inputs: assessment/scoring.py.

Crash safety: the population goes into a session temporary table; the run row is created (status
computing) in a short transaction; the facts are aggregated and every row of the version written
by ONE statement, in ONE transaction that also switches the run to draft. A worker killed mid-run
therefore leaves the run `computing` with no rows and earlier versions untouched; the retry holds
the same advisory lock, finds that stale `computing` run and completes it. `progress` is committed in its own short
transactions so pages and the API can show it while the job runs.
"""

from contextlib import contextmanager
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.exceptions import MonthAlreadyPublished, MonthBeingComputed, MonthNotBegun, NoSchemeInForce
from assessment.models import AssessmentScheme, ResultRun, StarLevelPolicy
from halls.audit import record_audit
from halls.models import Region, Role
from halls.permissions import ACTION_ROLES, HR, require_permission
from halls.scoping import scope_for

# Advisory-lock key space of this job: 'AS' in the top bits, then branch id and month number.
_LOCK_NAMESPACE = 0x4153 << 48


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, delta: int) -> date:
    index = month.year * 12 + month.month - 1 + delta
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def _lock_key(branch_id: int, month: date) -> int:
    return _LOCK_NAMESPACE | (branch_id << 20) | (month.year * 12 + month.month)


@contextmanager
def month_lock(branch: Region, month: date):
    """Hold the session advisory lock of (branch, month) or refuse at once (MonthBeingComputed).
    Session-level so that it spans the job's several transactions; a dead worker's connection
    releases it."""
    key = _lock_key(branch.pk, month)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            raise MonthBeingComputed(
                _("The results of %(branch)s for %(month)s are being computed right now.")
                % {"branch": branch.code, "month": f"{month:%Y-%m}"}
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


# --- SQL -----------------------------------------------------------------------------------------

# Who is assessed where: params first, last, branch_path, posts, scheme_ids.
POPULATION_SQL = """
WITH stays AS (
    SELECT p.staff_id, p.hall_id, p.post, p.started_on,
           LEAST(COALESCE(p.ended_on, %(last)s::date), %(last)s::date)
             - GREATEST(p.started_on, %(first)s::date) + 1 AS days
    FROM staffing_staffposting p
    WHERE p.started_on <= %(last)s::date AND (p.ended_on IS NULL OR p.ended_on >= %(first)s::date)
), per_hall AS (
    SELECT staff_id, hall_id, SUM(days)::int AS days, MAX(started_on) AS last_start,
           (array_agg(post ORDER BY started_on DESC))[1] AS post
    FROM stays GROUP BY staff_id, hall_id
), chosen AS (
    SELECT DISTINCT ON (staff_id) * FROM per_hall ORDER BY staff_id, days DESC, last_start DESC, hall_id
)
SELECT c.staff_id, c.hall_id, c.post, c.days, sch.scheme_id
FROM chosen c
JOIN unnest(%(posts)s::text[], %(scheme_ids)s::bigint[]) AS sch(post, scheme_id) ON sch.post = c.post
WHERE c.hall_id IN (
    SELECT h.id FROM halls_hall h JOIN halls_region g ON g.id = h.region_id
    WHERE g.path LIKE %(branch_path)s || '%%')
"""


# Everything the numbers depend on, hashed: facts (by revision), population and posting days,
# current star levels, schemes (id and last change), policy, and the published history used
# by the star-level rule.
def _fingerprint_sql(population: str) -> str:
    return f"""
WITH pop AS ({population})
SELECT md5(concat_ws('|',
    %(revision)s::text, %(schemes_key)s::text, %(policy_id)s::text,
    (SELECT string_agg(concat_ws(':', pop.staff_id, pop.hall_id, pop.post, pop.days, s.star_level), ','
                       ORDER BY pop.staff_id)
       FROM pop JOIN staffing_staff s ON s.id = pop.staff_id),
    (SELECT string_agg(rr.id::text, ',' ORDER BY rr.id) FROM assessment_resultrun rr
       WHERE rr.status = 'published' AND rr.month >= %(hist_from)s::date AND rr.month < %(first)s::date)
))
"""


# The same hash from the population query (publish's staleness check) or from the job's own copy
# of it (the job computes the population once).
FINGERPRINT_SQL = _fingerprint_sql(POPULATION_SQL)
JOB_FINGERPRINT_SQL = _fingerprint_sql("SELECT staff_id, hall_id, post, days, scheme_id FROM _assess_pop")

# The month's facts of the population, per person, source and measure: their count and sum, read
# from FactTotal (kept by triggers in every fact write, so it is the GROUP BY of the facts), one
# primary-key look-up per person — not a scan of the month's millions of facts. Under the share
# lock on the month's fact revision no fact writer commits meanwhile, so these are exactly the
# facts with revision <= the run's.
AGGREGATE_SQL = """
SELECT p.result_id, t.source, t.measure, t.fact_count AS n, t.total
FROM _assess_pop p
JOIN assessment_facttotal t ON t.staff_id = p.staff_id AND t.month = %(first)s::date
WHERE t.fact_count > 0
"""

# Points per indicator: the scoring rules of assessment/scoring.py, in SQL.
INDICATOR_POINTS_SQL = """
SELECT p.result_id, i.id AS indicator_id, COALESCE(a.n, 0) AS fact_count, v.value AS measure_value,
       pts.points, ROUND(pts.points * i.weight / i.max_points, 2) AS score
FROM _assess_pop p
JOIN assessment_indicator i ON i.scheme_id = p.scheme_id
LEFT JOIN agg a ON a.result_id = p.result_id AND a.source = i.source AND a.measure = i.measure
CROSS JOIN LATERAL (SELECT CASE i.aggregate
        WHEN 'count' THEN COALESCE(a.n, 0)::numeric
        WHEN 'sum' THEN COALESCE(a.total, 0)
        ELSE ROUND(a.total / a.n, 4) END AS value) v
CROSS JOIN LATERAL (SELECT ROUND(CASE
        WHEN v.value IS NULL THEN CASE WHEN i.when_missing = 'full' THEN i.max_points ELSE 0 END
        WHEN i.rule = 'ratio_to_target' THEN i.max_points * LEAST(1, GREATEST(0, v.value) / i.target)
        WHEN i.rule = 'linear_band' THEN CASE
            WHEN v.value <= i.band_low THEN 0
            WHEN v.value >= i.band_high THEN i.max_points
            ELSE i.max_points * (v.value - i.band_low) / (i.band_high - i.band_low) END
        WHEN i.rule = 'deduction' THEN GREATEST(i.floor, i.max_points - i.deduction_per_unit * v.value)
        ELSE LEAST(i.max_points, GREATEST(0, v.value)) END, 2) AS points) pts
"""


def _band_sql(expr: str) -> str:
    return (
        f"(CASE WHEN {expr} >= %(l5)s THEN 5 WHEN {expr} >= %(l4)s THEN 4 WHEN {expr} >= %(l3)s THEN 3 "
        f"WHEN {expr} >= %(l2)s THEN 2 WHEN {expr} >= %(l1)s THEN 1 ELSE 0 END)"
    )


# The whole version in one statement: the facts aggregated, each indicator's points computed, and
# the results inserted with their breakdown arrays (one row per person), totals, ranks, percentiles
# and proposed star levels. Each person's result id was taken from the sequence up front (in
# _assess_pop), so the rows go in key order: the B-tree inserts append at the right edge.
RESULTS_SQL = f"""
WITH agg AS MATERIALIZED ({AGGREGATE_SQL}
), tot AS (
    SELECT result_id, SUM(score) AS total,
           array_agg(indicator_id ORDER BY indicator_id) AS indicator_ids,
           array_agg(fact_count ORDER BY indicator_id) AS fact_counts,
           array_agg(measure_value ORDER BY indicator_id) AS measure_values,
           array_agg(points ORDER BY indicator_id) AS points,
           array_agg(score ORDER BY indicator_id) AS scores
    FROM ({INDICATOR_POINTS_SQL}) ip
    GROUP BY result_id
), hist AS (
    SELECT DISTINCT ON (mr.staff_id, mr.month) mr.staff_id, mr.total,
           ((EXTRACT(YEAR FROM %(first)s::date) - EXTRACT(YEAR FROM mr.month)) * 12
             + EXTRACT(MONTH FROM %(first)s::date) - EXTRACT(MONTH FROM mr.month))::int AS ago
    FROM assessment_monthlyresult mr
    JOIN assessment_resultrun rr ON rr.id = mr.run_id AND rr.status = 'published'
    WHERE mr.month >= %(hist_from)s::date AND mr.month < %(first)s::date
      AND mr.staff_id IN (SELECT staff_id FROM _assess_pop)
    ORDER BY mr.staff_id, mr.month, rr.published_at DESC
), hist_agg AS (
    SELECT staff_id,
           SUM(total) FILTER (WHERE ago < %(avg_n)s) AS sum_avg,
           COUNT(*) FILTER (WHERE ago < %(avg_n)s) AS n_avg,
           COUNT(*) FILTER (WHERE ago < %(promo_n)s) AS n_promo,
           MIN({_band_sql("total")}) FILTER (WHERE ago < %(promo_n)s) AS min_band_promo
    FROM hist GROUP BY staff_id
), base AS (
    SELECT p.result_id, p.staff_id, p.hall_id, p.post, p.days, p.scheme_id, t.total, s.star_level AS before,
           ROUND((t.total + COALESCE(h.sum_avg, 0)) / (1 + COALESCE(h.n_avg, 0)), 2) AS avg_total,
           COALESCE(h.n_promo, 0) AS n_promo, h.min_band_promo
    FROM _assess_pop p
    JOIN tot t ON t.result_id = p.result_id
    JOIN staffing_staff s ON s.id = p.staff_id
    LEFT JOIN hist_agg h ON h.staff_id = p.staff_id
), banded AS (
    SELECT base.*, {_band_sql("total")} AS band_now, {_band_sql("avg_total")} AS candidate FROM base
), ranked AS (
    -- Ranks on narrow rows: the breakdown arrays join in only at the end.
    SELECT result_id, staff_id, hall_id, post, days, scheme_id, total,
           RANK() OVER (PARTITION BY hall_id, post ORDER BY total DESC) AS rank_in_hall,
           COUNT(*) OVER (PARTITION BY hall_id, post) AS hall_size,
           RANK() OVER (PARTITION BY post ORDER BY total DESC) AS rank_in_branch,
           COUNT(*) OVER (PARTITION BY post) AS branch_size,
           ROUND(100.0 * COUNT(*) OVER (PARTITION BY post ORDER BY total) / COUNT(*) OVER (PARTITION BY post), 2)
               AS percentile,
           band_now, avg_total, before,
           CASE
               WHEN %(demote)s AND band_now = 0 THEN LEAST(candidate, GREATEST(before - 1, 0))
               WHEN candidate < before THEN candidate
               WHEN candidate > before AND n_promo = %(promo_n)s - 1
                   THEN GREATEST(before, LEAST(candidate, band_now, min_band_promo))
               ELSE before
           END AS proposed
    FROM banded
)
INSERT INTO assessment_monthlyresult
    (id, run_id, staff_id, hall_id, post, month, scheme_id, posting_days, total,
     rank_in_hall, hall_size, rank_in_branch, branch_size, percentile,
     band_level, average_total, star_level_before, proposed_star_level,
     indicator_ids, indicator_fact_counts, indicator_measure_values, indicator_points, indicator_weighted_scores,
     created_at, updated_at)
SELECT r.result_id, %(run)s, r.staff_id, r.hall_id, r.post, %(first)s::date, r.scheme_id, r.days, r.total,
       r.rank_in_hall, r.hall_size, r.rank_in_branch, r.branch_size, r.percentile,
       r.band_now, r.avg_total, r.before, r.proposed,
       t.indicator_ids, t.fact_counts, t.measure_values, t.points, t.scores,
       now(), now()
FROM ranked r
JOIN tot t ON t.result_id = r.result_id
ORDER BY r.result_id
"""

# --- The job -------------------------------------------------------------------------------------


def _policy_params(policy: StarLevelPolicy) -> dict:
    return {
        "l1": policy.level_1_min,
        "l2": policy.level_2_min,
        "l3": policy.level_3_min,
        "l4": policy.level_4_min,
        "l5": policy.level_5_min,
        "avg_n": policy.average_months,
        "promo_n": policy.promote_after_months,
        "demote": policy.demote_below_lowest,
    }


def _inputs(branch: Region, month: date) -> dict:
    """Schemes and policy in force for the month, as SQL parameters (2 queries)."""
    schemes = list(AssessmentScheme.objects.effective_on(month).order_by("post"))
    if not schemes:
        raise NoSchemeInForce(
            _("No assessment scheme is in force for %(month)s.") % {"month": f"{month:%Y-%m}"}
        )
    policy = StarLevelPolicy.objects.filter(effective_from__lte=month).order_by("-effective_from").first()
    if policy is None:
        raise NoSchemeInForce(
            _("No star-level policy is in force for %(month)s.") % {"month": f"{month:%Y-%m}"}
        )
    history = max(policy.average_months, policy.promote_after_months)
    return {
        "schemes": schemes,
        "policy": policy,
        "first": month,
        "last": month_end(month),
        "branch_path": branch.path,
        "posts": [s.post for s in schemes],
        "scheme_ids": [s.pk for s in schemes],
        "schemes_key": ",".join(f"{s.pk}@{s.updated_at.isoformat()}" for s in schemes),
        "policy_id": policy.pk,
        "hist_from": add_months(month, -(history - 1)),
        **_policy_params(policy),
    }


def _fingerprint(cursor, params: dict, revision: int, *, sql: str = FINGERPRINT_SQL) -> str:
    cursor.execute(sql, {**params, "revision": revision})
    return cursor.fetchone()[0]


def _current_revision(cursor, month: date, *, share_lock: bool) -> int:
    cursor.execute(
        "INSERT INTO assessment_factrevision (month, revision, changed_at) VALUES (%s, 0, now()) "
        "ON CONFLICT (month) DO NOTHING",
        [month],
    )
    lock = " FOR SHARE" if share_lock else ""
    cursor.execute(f"SELECT revision FROM assessment_factrevision WHERE month = %s{lock}", [month])
    return cursor.fetchone()[0]


def input_fingerprint(*, branch: Region, month: date) -> tuple[str, int]:
    """(input hash, fact revision) of a branch's month as it stands now; publish compares it with
    the run's to refuse stale results."""
    params = _inputs(branch, month)
    with connection.cursor() as cursor:
        revision = _current_revision(cursor, month, share_lock=False)
        return _fingerprint(cursor, params, revision), revision


def _set_progress(run: ResultRun, progress: int, note: str) -> None:
    with transaction.atomic():
        ResultRun.objects.filter(pk=run.pk).update(progress=progress, progress_note=note)
    run.progress, run.progress_note = progress, note


def compute_month_results(*, branch: Region, month: date, actor=None) -> ResultRun:
    """Compute (or re-use) the results of a branch's month and return the run, as a draft.

    Idempotent: when the newest draft already has the same input hash, it is returned and nothing
    is written. Otherwise a new version is written (older drafts become superseded). Refuses a month
    already published (MonthAlreadyPublished), a month being computed by someone else
    (MonthBeingComputed) and a month without schemes (NoSchemeInForce). `actor` None is the system
    (the beat schedule, the management command); a user needs assessment.compute over the branch.
    On an unexpected error the run is marked failed, with the error, and the error re-raised.
    """
    if actor is not None:
        require_branch_permission(actor, "assessment.compute", branch)
    month = month_start(month)
    with month_lock(branch, month):
        params = _inputs(branch, month)
        try:
            _population(params)
            run, existing = _start(branch, month, actor, params)
            if existing is not None:
                return existing
            try:
                _set_progress(run, 20, "population found")
                _write(run, actor, params)
            except Exception as exc:
                _fail(run, exc)
                raise
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS _assess_pop")
        return run


def require_month_computable(*, branch: Region, month: date) -> None:
    """Refuse, on the month field, a month that has not begun (MonthNotBegun: after the current
    month, local date; the current month is computed as a preview) and a branch's month that is
    already published (MonthAlreadyPublished: its numbers are frozen). Pages and the API call it
    before queuing a computation; the job checks it again under its lock."""
    month = month_start(month)
    if month > timezone.localdate().replace(day=1):
        raise MonthNotBegun(
            _("%(month)s has not begun; the current month can be computed as a preview.")
            % {"month": f"{month:%Y-%m}"}
        )
    if ResultRun.objects.filter(branch=branch, month=month, status=ResultRun.Status.PUBLISHED).exists():
        raise MonthAlreadyPublished(
            _("%(month)s is already published for %(branch)s; its results are frozen.")
            % {"month": f"{month:%Y-%m}", "branch": branch.name}
        )


def _population(params: dict) -> None:
    """Who is assessed where, with each person's result id drawn from the sequence in staff order,
    into a session temporary table (kept across the job's transactions, dropped at the end)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS _assess_pop")
        # The sequence's name looked up once: pg_get_serial_sequence() per row costs more than nextval.
        cursor.execute("SELECT pg_get_serial_sequence('assessment_monthlyresult', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(
            "CREATE TEMP TABLE _assess_pop AS SELECT nextval(%(sequence)s::regclass)"
            f" AS result_id, pop.* FROM ({POPULATION_SQL}) pop ORDER BY pop.staff_id",
            {**params, "sequence": sequence},
        )
        cursor.execute("CREATE UNIQUE INDEX ON _assess_pop (staff_id)")
        cursor.execute("ANALYZE _assess_pop")


def _start(branch: Region, month: date, actor, params: dict) -> tuple[ResultRun, ResultRun | None]:
    with transaction.atomic():
        require_month_computable(branch=branch, month=month)
        with connection.cursor() as cursor:
            revision = _current_revision(cursor, month, share_lock=False)
            fingerprint = _fingerprint(cursor, params, revision, sql=JOB_FINGERPRINT_SQL)
        latest = (
            ResultRun.objects.filter(branch=branch, month=month, status=ResultRun.Status.DRAFT)
            .order_by("-version")
            .first()
        )
        if latest is not None and latest.input_hash == fingerprint:
            return latest, latest
        now = timezone.now()
        # Under our lock a `computing` run is one whose worker died: take it over.
        run = ResultRun.objects.filter(branch=branch, month=month, status=ResultRun.Status.COMPUTING).first()
        if run is None:
            last = ResultRun.objects.filter(branch=branch, month=month).order_by("-version").first()
            run = ResultRun(branch=branch, month=month, version=(last.version + 1) if last else 1)
        run.star_policy = params["policy"]
        run.fact_revision = revision
        run.input_hash = fingerprint
        run.progress, run.progress_note = 5, "started"
        run.requested_by = actor if actor is not None and actor.is_authenticated else None
        run.started_at, run.finished_at, run.error = now, None, ""
        run.save()
        run.schemes.set(params["schemes"])
    return run, None


def _write(run: ResultRun, actor, params: dict) -> None:
    """Every row of the version and its switch to draft: one transaction, under a share lock on the
    month's fact revision (no fact writer commits while the facts are read: a clean cut)."""
    with transaction.atomic(), connection.cursor() as cursor:
        revision = _current_revision(cursor, run.month, share_lock=True)
        if revision != run.fact_revision:
            run.fact_revision = revision
            run.input_hash = _fingerprint(cursor, params, revision, sql=JOB_FINGERPRINT_SQL)
        cursor.execute(RESULTS_SQL, {**params, "run": run.pk})
        staff_count = cursor.rowcount
        ResultRun.objects.filter(
            branch_id=run.branch_id, month=run.month, status=ResultRun.Status.DRAFT
        ).exclude(pk=run.pk).update(status=ResultRun.Status.SUPERSEDED)
        run.status = ResultRun.Status.DRAFT
        run.progress, run.progress_note = 100, "done"
        run.staff_count = staff_count
        run.finished_at = timezone.now()
        run.save(
            update_fields=[
                "status",
                "progress",
                "progress_note",
                "staff_count",
                "finished_at",
                "fact_revision",
                "input_hash",
                "updated_at",
            ]
        )
        record_audit(
            actor=actor,
            action="assessment.results.computed",
            subject=run,
            data={
                "branch": run.branch.code,
                "month": f"{run.month:%Y-%m}",
                "version": run.version,
                "staff": staff_count,
                "input_hash": run.input_hash,
            },
        )


def _fail(run: ResultRun, exc: Exception) -> None:
    try:
        with transaction.atomic():
            ResultRun.objects.filter(pk=run.pk, status=ResultRun.Status.COMPUTING).update(
                status=ResultRun.Status.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=timezone.now(),
            )
    except DatabaseError:
        # The connection itself is gone: the run stays `computing` and the retry takes it over.
        return


def require_branch_permission(actor, action: str, branch: Region) -> None:
    """A branch-level action: the actor must hold a permitted role over the branch itself."""
    require_permission(actor, action)
    scope = scope_for(actor)
    if scope.sees_everything:
        return
    held = {role for role, paths in scope.region_roles.items() if branch.path.startswith(paths)}
    if Role.HR_CLIENT in held and not action.endswith(".view") and not scope.api_client_can_write:
        held -= {HR}
    if not held & ACTION_ROLES[action]:
        raise PermissionDenied(action)

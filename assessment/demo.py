"""Demo data for assessment: a month of inputs for the staff that exist, then computed and published.

`seed_assessment` is a step for `seed_demo`; `load_month_inputs` is shared with the benchmark. The
evidence rows are streamed with COPY and turned into facts through record_score_facts (staged SQL),
so province scale (20,000 staff, ~3 million rows) loads in minutes, not hours.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from assessment.models import EvidenceType, Measure, ResultRun, Source, evaluation_points_sql
from assessment.services import StagedFacts, compute_month_results, publish_results, record_score_facts
from assessment.services.compute import month_end
from halls.demo import DemoContext, Scale, register
from halls.models import Membership, Region, Role

RATINGS = ("very_satisfied", "satisfied", "dissatisfied")


def _month_postings(month: date) -> list[tuple[int, int, date, date, str]]:
    """(staff id, hall id, first day, last day, post) of every stay overlapping the month."""
    last = month_end(month)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.staff_id, p.hall_id, GREATEST(p.started_on, %s), LEAST(COALESCE(p.ended_on, %s), %s), p.post
            FROM staffing_staffposting p
            WHERE p.started_on <= %s AND (p.ended_on IS NULL OR p.ended_on >= %s)
            ORDER BY p.staff_id, p.started_on
            """,
            [month, last, last, last, month],
        )
        return cursor.fetchall()


@transaction.atomic
def load_month_inputs(
    *, rng: random.Random, month: date, evaluations_per_day: float = 4.0, rater=None
) -> dict:
    """Evaluations, daily KPIs, a supervisor rating per person and some discipline records for every
    stay overlapping `month`, each in the hall of the stay, plus their facts. Returns row counts.
    Each person gets a skill drawn once, so scores spread and ranks mean something."""
    stays = _month_postings(month)
    tz = timezone.get_current_timezone()
    skill = {}
    counts = {"evaluations": 0, "kpis": 0, "ratings": 0, "discipline": 0}
    txn_prefix = f"D{month:%Y%m}-{rng.randrange(10**6):06d}"
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY assessment_customerevaluation (device_txn_id, staff_id, hall_id, rated_at, rating, created_at) FROM STDIN"
        ) as copy:
            now = timezone.now()
            n = 0
            for staff_id, hall_id, first, last, _post in stays:
                s = skill.setdefault(staff_id, rng.random())
                day = first
                while day <= last:
                    for _ in range(int(evaluations_per_day * (0.5 + rng.random()))):
                        at = datetime.combine(day, time(9 + rng.randrange(8), rng.randrange(60)), tz)
                        roll = rng.random()
                        rating = (
                            RATINGS[0] if roll < 0.35 + 0.5 * s else RATINGS[1] if roll < 0.97 else RATINGS[2]
                        )
                        n += 1
                        copy.write_row((f"{txn_prefix}-{n}", staff_id, hall_id, at, rating, now))
                    day += timedelta(days=1)
            counts["evaluations"] = n
        with cursor.copy(
            "COPY assessment_dailykpi (staff_id, hall_id, day, transactions, recommendations, sales, created_at) "
            "FROM STDIN"
        ) as copy:
            for staff_id, hall_id, first, last, _post in stays:
                s = skill[staff_id]
                day = first
                while day <= last:
                    tx = int(10 + 20 * s + rng.randrange(8))
                    copy.write_row(
                        (
                            staff_id,
                            hall_id,
                            day,
                            tx,
                            int(tx * (0.1 + 0.2 * s)),
                            Decimal(rng.randrange(0, 150000)) / 100,
                            now,
                        )
                    )
                    counts["kpis"] += 1
                    day += timedelta(days=1)
        if rater is not None:
            seen = set()
            with cursor.copy(
                "COPY assessment_supervisorrating (staff_id, hall_id, month, attitude, skill, teamwork, appearance, "
                "comment, rated_by_id, created_at, updated_at) FROM STDIN"
            ) as copy:
                for staff_id, hall_id, _first, _last, _post in reversed(stays):
                    if staff_id in seen:
                        continue
                    seen.add(staff_id)
                    base = 15 + int(10 * skill[staff_id])
                    marks = [min(25, base + rng.randrange(-3, 3)) for _ in range(4)]
                    copy.write_row((staff_id, hall_id, month, *marks, "", rater.pk, now, now))
                    counts["ratings"] += 1
            with cursor.copy(
                "COPY staffing_disciplinerecord (staff_id, hall_id, occurred_on, kind, deduction, note, recorded_by_id, "
                "created_at) FROM STDIN"
            ) as copy:
                for staff_id, hall_id, first, last, _post in stays:
                    if rng.random() < 0.08:
                        kind, deduction = rng.choice(
                            [("late", 1), ("late", 1), ("left_post", 2), ("absent", 5)]
                        )
                        day = first + timedelta(days=rng.randrange((last - first).days + 1))
                        copy.write_row((staff_id, hall_id, day, kind, deduction, "", rater.pk, now))
                        counts["discipline"] += 1
    record_score_facts(facts=StagedFacts(_FACTS_SQL, {"first": month, "last": month_end(month)}))
    return counts


_FACTS_SQL = f"""
SELECT e.staff_id, e.hall_id, (e.rated_at AT TIME ZONE 'Asia/Shanghai')::date, '{Source.CUSTOMER_EVALUATION}',
       '{Measure.EVALUATION_SCORE}',
       {evaluation_points_sql("e.rating")},
       '{EvidenceType.CUSTOMER_EVALUATION}', e.id, e.device_txn_id || ' ' || e.rating
FROM assessment_customerevaluation e
WHERE e.rated_at >= (%(first)s::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
  AND e.rated_at < (%(last)s::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
UNION ALL
SELECT k.staff_id, k.hall_id, k.day, '{Source.KPI}', m.measure,
       CASE m.measure WHEN '{Measure.TRANSACTIONS}' THEN k.transactions
                      WHEN '{Measure.RECOMMENDATIONS}' THEN k.recommendations ELSE k.sales END,
       '{EvidenceType.DAILY_KPI}', k.id, to_char(k.day, 'YYYY-MM-DD') || ' ' || m.measure
FROM assessment_dailykpi k
CROSS JOIN (VALUES ('{Measure.TRANSACTIONS}'), ('{Measure.RECOMMENDATIONS}'), ('{Measure.SALES}')) AS m(measure)
WHERE k.day BETWEEN %(first)s AND %(last)s
UNION ALL
SELECT r.staff_id, r.hall_id, r.month, '{Source.SUPERVISOR}', '{Measure.SUPERVISOR_POINTS}',
       r.attitude + r.skill + r.teamwork + r.appearance, '{EvidenceType.SUPERVISOR_RATING}', r.id,
       to_char(r.month, 'YYYY-MM') || ' ' || r.attitude || '+' || r.skill || '+' || r.teamwork || '+' || r.appearance
FROM assessment_supervisorrating r WHERE r.month = %(first)s
UNION ALL
SELECT d.staff_id, d.hall_id, d.occurred_on, '{Source.DISCIPLINE}', '{Measure.DISCIPLINE_POINTS}', d.deduction,
       '{EvidenceType.DISCIPLINE_RECORD}', d.id, to_char(d.occurred_on, 'YYYY-MM-DD') || ' ' || d.kind || ' -' || d.deduction
FROM staffing_disciplinerecord d WHERE d.occurred_on BETWEEN %(first)s AND %(last)s
"""


def _publisher(branch: Region):
    membership = (
        Membership.objects.filter(role=Role.BRANCH_MANAGER, region=branch).select_related("user").first()
    )
    if membership is not None:
        return membership.user
    return get_user_model().objects.filter(is_superuser=True, is_active=True).first()


def seed_assessment(*, rng: random.Random, scale, month: date) -> dict:
    """A seeding step: a month of inputs for the existing staff (volume follows the staff count, so
    `scale` needs no table of its own here), then each branch's month computed and published by its
    branch manager (or a superuser; left as a draft when there is neither). Returns counts."""
    month = month.replace(day=1)
    users = get_user_model().objects
    rater = (
        users.filter(is_superuser=True).first()
        or users.filter(memberships__role=Role.HALL_MANAGER).order_by("pk").first()
    )
    counts = load_month_inputs(rng=rng, month=month, rater=rater)
    published = 0
    for branch in Region.objects.filter(kind=Region.Kind.BRANCH).order_by("code"):
        run = compute_month_results(branch=branch, month=month)
        actor = _publisher(branch)
        if actor is not None and run.status == ResultRun.Status.DRAFT and run.staff_count:
            publish_results(run=run, actor=actor)
            published += 1
    return {**counts, "published_runs": published}


@register
def seed_assessment_month(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """The registered seeding step: the month before the reference day, computed and published
    (October 2026 for the fixed reference date)."""
    month = (context.today.replace(day=1) - timedelta(days=1)).replace(day=1)
    context.extra["assessment"] = seed_assessment(rng=rng, scale=scale, month=month)

"""Reads of assessment for pages and the API: scoped, joins applied, a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, Q

from assessment.models import FactImport, IndicatorScore, MonthlyResult, ResultRun, ScoreFact, StarLevelChange
from assessment.scoring import explain, format_measure, plain_number
from assessment.services.compute import add_months
from halls.models import Hall, Region
from halls.scoping import scope_for
from staffing.models import Staff


def published_results(*, user):
    """Published monthly results the user may see (a clerk: their own), joined for listing."""
    return MonthlyResult.objects.visible_to(user).select_related(
        "staff", "hall", "hall__region", "run", "run__branch"
    )


def result_detail(*, user):
    """Published results with their indicator scores and indicators prefetched."""
    return published_results(user=user).prefetch_related(
        Prefetch(
            "indicator_scores",
            queryset=IndicatorScore.objects.select_related("indicator").order_by("indicator__position"),
        )
    )


def run_list(*, user):
    """Result runs of the branches the user manages or inspects (progress included)."""
    return (
        ResultRun.objects.visible_to(user).select_related("branch", "star_policy").prefetch_related("schemes")
    )


def run_results(*, run: ResultRun):
    """Every result of one run (drafts included) for branch management reviewing it."""
    return (
        MonthlyResult.objects.filter(run=run)
        .select_related("staff", "hall", "hall__region", "run", "run__branch")
        .order_by("post", "rank_in_branch", "staff__employee_no")
    )


def import_history(*, user):
    """Accepted import files, newest first, with who imported them. An import has no hall (a file
    may span several), so a user sees their own imports; administrators, who see everything, all."""
    imports = FactImport.objects.select_related("imported_by").order_by("-created_at", "-pk")
    if scope_for(user).sees_everything:
        return imports
    return imports.filter(imported_by=user)


@dataclass(frozen=True)
class RunCoverage:
    """How much of a run's month is backed by facts: people assessed, people without a single fact
    behind any indicator, and the share of (person, indicator) figures that have facts."""

    people: int
    people_without_facts: int
    figures: int
    figures_with_facts: int

    @property
    def figure_percent(self) -> Decimal | None:
        if not self.figures:
            return None
        return (Decimal(100) * self.figures_with_facts / self.figures).quantize(Decimal("1"))


RUN_COVERAGE_SQL = """
SELECT COUNT(*),
       COUNT(*) FILTER (WHERE NOT (0 < ANY (indicator_fact_counts))),
       COALESCE(SUM(cardinality(indicator_fact_counts)), 0),
       COALESCE(SUM((SELECT COUNT(*) FROM unnest(indicator_fact_counts) n WHERE n > 0)), 0)
FROM assessment_monthlyresult WHERE run_id = %s
"""


def run_coverage(*, run: ResultRun) -> RunCoverage:
    """The data coverage of one run (one query over its rows), shown before publishing it."""
    with connection.cursor() as cursor:
        cursor.execute(RUN_COVERAGE_SQL, [run.pk])
        people, without, figures, with_facts = cursor.fetchone()
    return RunCoverage(
        people=people, people_without_facts=without, figures=figures, figures_with_facts=with_facts
    )


def star_level_history(*, user):
    return StarLevelChange.objects.visible_to(user).select_related("staff", "run", "run__branch")


@dataclass
class ScoreCardRow:
    indicator_code: str
    indicator_name: str
    source: str
    measure: str
    aggregate: str
    rule: str
    weight: Decimal
    max_points: Decimal
    fact_count: int
    measure_value: Decimal | None
    points: Decimal
    score: Decimal
    explanation: str
    facts: list = field(default_factory=list)

    @property
    def measure_display(self) -> str:
        """The measured value as people read it (counts as integers, money with 2 decimals)."""
        return format_measure(self.measure_value, measure=self.measure, aggregate=self.aggregate)

    @property
    def weight_display(self) -> str:
        return plain_number(self.weight)

    @property
    def max_points_display(self) -> str:
        return plain_number(self.max_points)


@dataclass
class ScoreCard:
    result: MonthlyResult
    rows: list[ScoreCardRow]

    @property
    def total(self) -> Decimal:
        return self.result.total


def score_card(*, staff: Staff, month: date, user=None, run: ResultRun | None = None) -> ScoreCard | None:
    """The score card of one person for one month: each indicator's figures, the rule that made the
    points (a translated sentence) and the facts behind them (those the run saw: revision ≤ the run's).

    Uses the published run of the month, or `run` when given (branch management reviewing a draft).
    With `user`, only what that user may see (a clerk: their own, published). None when there is no
    result. Three queries whatever the number of facts.
    """
    month = month.replace(day=1)
    if run is not None:
        results = MonthlyResult.objects.filter(run=run)
    elif user is not None:
        results = MonthlyResult.objects.visible_to(user)
    else:
        results = MonthlyResult.objects.published()
    result = (
        results.filter(staff=staff, month=month)
        .select_related("run", "hall", "staff", "scheme")
        .order_by("-run__published_at")
        .first()
    )
    if result is None:
        return None
    scores = list(
        IndicatorScore.objects.filter(result=result)
        .select_related("indicator")
        .order_by("indicator__position")
    )
    facts: dict[tuple[str, str], list[ScoreFact]] = {}
    for fact in (
        ScoreFact.objects.filter(staff=staff, month=month, revision__lte=result.run.fact_revision)
        .select_related("hall")
        .order_by("occurred_on", "id")
    ):
        fact.value_display = format_measure(fact.value, measure=fact.measure, aggregate="sum")
        facts.setdefault((fact.source, fact.measure), []).append(fact)
    rows = []
    for s in scores:
        i = s.indicator
        rows.append(
            ScoreCardRow(
                indicator_code=i.code,
                indicator_name=i.display_name,
                source=i.source,
                measure=i.measure,
                aggregate=i.aggregate,
                rule=i.rule,
                weight=i.weight,
                max_points=i.max_points,
                fact_count=s.fact_count,
                measure_value=s.measure_value,
                points=s.points,
                score=s.score,
                explanation=explain(
                    i, value=s.measure_value, fact_count=s.fact_count, points=s.points, score=s.score
                ),
                facts=facts.get((i.source, i.measure), []),
            )
        )
    return ScoreCard(result=result, rows=rows)


HALL_RANKING_SQL = """
WITH halls AS (
    SELECT h.id, h.code, h.name FROM halls_hall h JOIN halls_region g ON g.id = h.region_id
    WHERE g.path LIKE %(path)s || '%%'
), runs AS (
    SELECT id, month, fact_revision FROM assessment_resultrun
    WHERE branch_id = %(branch)s AND status = 'published' AND month IN (%(month)s::date, %(prev)s::date)
), scores AS (
    SELECT r.month, mr.hall_id, ROUND(AVG(mr.total), 2) AS avg_total, count(*) AS clerks
    FROM assessment_monthlyresult mr JOIN runs r ON r.id = mr.run_id
    WHERE mr.post = 'clerk'
    GROUP BY r.month, mr.hall_id
), shop AS (
    SELECT r.month, f.hall_id, ROUND(AVG(f.value), 2) AS avg_shop
    FROM assessment_scorefact f JOIN runs r ON r.month = f.month AND f.revision <= r.fact_revision
    WHERE f.source = 'mystery_shop' AND f.hall_id IN (SELECT id FROM halls)
    GROUP BY r.month, f.hall_id
), ranked AS (
    SELECT m.month, h.id AS hall_id, s.avg_total, s.clerks, sh.avg_shop,
           CASE WHEN s.avg_total IS NOT NULL THEN
               RANK() OVER (PARTITION BY m.month, s.avg_total IS NULL ORDER BY s.avg_total DESC) END AS score_rank,
           CASE WHEN sh.avg_shop IS NOT NULL THEN
               RANK() OVER (PARTITION BY m.month, sh.avg_shop IS NULL ORDER BY sh.avg_shop DESC) END AS shop_rank
    FROM halls h
    CROSS JOIN (VALUES (%(month)s::date), (%(prev)s::date)) AS m(month)
    LEFT JOIN scores s ON s.hall_id = h.id AND s.month = m.month
    LEFT JOIN shop sh ON sh.hall_id = h.id AND sh.month = m.month
)
SELECT h.id, h.code, h.name,
       c.avg_total, c.clerks, c.score_rank, p.avg_total, p.score_rank,
       c.avg_shop, c.shop_rank, p.avg_shop, p.shop_rank
FROM halls h
JOIN ranked c ON c.hall_id = h.id AND c.month = %(month)s::date
JOIN ranked p ON p.hall_id = h.id AND p.month = %(prev)s::date
ORDER BY c.score_rank NULLS LAST, h.code
"""


@dataclass(frozen=True)
class HallRankingRow:
    hall_id: int
    hall_code: str
    hall_name: str
    average_score: Decimal | None
    clerks: int | None
    score_rank: int | None
    previous_average_score: Decimal | None
    previous_score_rank: int | None
    mystery_shop_score: Decimal | None
    mystery_shop_rank: int | None
    previous_mystery_shop_score: Decimal | None
    previous_mystery_shop_rank: int | None

    @property
    def score_change(self) -> Decimal | None:
        if self.average_score is None or self.previous_average_score is None:
            return None
        return self.average_score - self.previous_average_score

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous month (positive = moved up)."""
        if self.score_rank is None or self.previous_score_rank is None:
            return None
        return self.previous_score_rank - self.score_rank

    @property
    def mystery_shop_change(self) -> Decimal | None:
        if self.mystery_shop_score is None or self.previous_mystery_shop_score is None:
            return None
        return self.mystery_shop_score - self.previous_mystery_shop_score


def hall_ranking(*, branch: Region, month: date) -> list[HallRankingRow]:
    """The halls of a branch ranked by the average total of their clerks and by their average
    mystery-shop score, this month and the month before (published runs only; ties share a rank;
    averages rounded half-up to 2 decimals). One query."""
    month = month.replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute(
            HALL_RANKING_SQL,
            {"path": branch.path, "branch": branch.pk, "month": month, "prev": add_months(month, -1)},
        )
        return [HallRankingRow(*row) for row in cursor.fetchall()]


def branch_visible_to(*, user, code: str) -> Region | None:
    """The branch with this code when the user sees at least one of its halls, else None."""
    branch = Region.objects.filter(code=code, kind=Region.Kind.BRANCH).first()
    if branch is None:
        return None
    visible = Hall.objects.visible_to(user).filter(region__path__startswith=branch.path).exists()
    return branch if visible else None


# --- Pages ---------------------------------------------------------------------------------------


def month_runs(*, user, month: date) -> list[ResultRun]:
    """The run of each branch shown for `month` to branch management (assessment.runs.view): the
    published one, else the newest draft. One query."""
    current: dict[int, ResultRun] = {}
    for run in (
        ResultRun.objects.visible_to(user)
        .filter(month=month.replace(day=1), status__in=[ResultRun.Status.PUBLISHED, ResultRun.Status.DRAFT])
        .order_by("branch_id", "version")
    ):
        shown = current.get(run.branch_id)
        if shown is None or shown.status != ResultRun.Status.PUBLISHED:
            current[run.branch_id] = run
    return list(current.values())


def page_results(*, user, month: date, with_drafts: bool):
    """The results of `month` a results page lists: published ones the user may see (a clerk: their
    own) or, `with_drafts` (branch management), the published or newest draft run of each of their
    branches. Joined for listing, ranked by post and rank in branch."""
    month = month.replace(day=1)
    if with_drafts:
        runs = [run.pk for run in month_runs(user=user, month=month)]
        results = MonthlyResult.objects.filter(run_id__in=runs)
    else:
        results = MonthlyResult.objects.visible_to(user).filter(month=month)
    return results.select_related("staff", "hall", "run", "run__branch").order_by(
        "post", "rank_in_branch", "staff__employee_no"
    )


def visible_result(*, user, pk: int, with_drafts: bool) -> MonthlyResult:
    """One result the user may open: published and in scope, or (`with_drafts`) any result of a run
    of their branches. Raises MonthlyResult.DoesNotExist otherwise."""
    if with_drafts:
        results = MonthlyResult.objects.filter(run__in=ResultRun.objects.visible_to(user))
    else:
        results = MonthlyResult.objects.visible_to(user)
    return results.select_related("staff", "hall", "run", "run__branch").get(pk=pk)


def result_trends(*, user, staff_ids, month: date, months: int = 6) -> dict[int, list[tuple[date, Decimal]]]:
    """The published totals of each person over the `months` months ending with `month`, oldest
    first, as the user may see them. One query."""
    month = month.replace(day=1)
    trends: dict[int, list[tuple[date, Decimal]]] = {}
    for staff_id, when, total in (
        MonthlyResult.objects.visible_to(user)
        .filter(staff_id__in=list(staff_ids), month__gte=add_months(month, 1 - months), month__lte=month)
        .order_by("staff_id", "month")
        .values_list("staff_id", "month", "total")
    ):
        trends.setdefault(staff_id, []).append((when, total))
    return trends


def latest_result_month(*, user, with_drafts: bool) -> date | None:
    """The newest month with a result the user may see (drafts included for branch management)."""
    if with_drafts:
        return (
            ResultRun.objects.visible_to(user)
            .filter(status__in=[ResultRun.Status.PUBLISHED, ResultRun.Status.DRAFT])
            .order_by("-month")
            .values_list("month", flat=True)
            .first()
        )
    return MonthlyResult.objects.visible_to(user).order_by("-month").values_list("month", flat=True).first()


def branches_visible_to(*, user):
    """The branches holding at least one hall the user sees, by code."""
    halls = Hall.objects.visible_to(user)
    return (
        Region.objects.filter(kind=Region.Kind.BRANCH)
        .filter(Q(pk__in=halls.values("region_id")) | Q(pk__in=halls.values("region__parent_id")))
        .order_by("code")
    )

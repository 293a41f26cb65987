"""The monthly job against an independent, straightforward Python computation on random data."""

import datetime
import itertools
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.models import AssessmentScheme, IndicatorScore, Measure, MonthlyResult, StarLevelPolicy
from assessment.scoring import rule_points
from assessment.services import compute_month_results, publish_results
from tests.assessment.factories import add_facts, fact_input, move
from tests.halls.factories import BranchFactory, CountyFactory, HallFactory, UserFactory
from tests.staffing.factories import StaffFactory

pytestmark = pytest.mark.django_db

_branch_codes = itertools.count(1)

# Few distinct values, so that totals tie often; high enough that every star band is reached.
VALUES = {
    Measure.EVALUATION_SCORE: [0, 80, 100, 100],
    Measure.TRANSACTIONS: [0, 300, 600, 600],
    Measure.RECOMMENDATIONS: [0, 60, 130, 130],
    Measure.SALES: [0, 12000, 25000, 25000],
    Measure.SUPERVISOR_POINTS: [60, 80, 100, 100],
    Measure.DISCIPLINE_POINTS: [1, 2, 5, 1],
    Measure.MYSTERY_SHOP_SCORE: [55, 80, 100, 100],
}
fact_st = st.tuples(st.sampled_from(sorted(VALUES)), st.integers(0, 3), st.integers(1, 28))
# The 16th splits a 30-day month 15/15: the posting-days tie rule.
move_st = st.one_of(st.none(), st.sampled_from([16, 16, 2, 10, 25, 30]))
clerk_st = st.fixed_dictionaries(
    {
        "hall": st.integers(0, 1),
        "post": st.sampled_from(["clerk", "clerk", "clerk", "guide"]),
        "move_on": move_st,
        "hired_on": st.one_of(st.none(), st.integers(2, 20)),
        "star": st.integers(0, 5),
        # Clerks sharing a profile have the same facts: ties, above and below others.
        "profile": st.integers(0, 3),
        "own": st.lists(fact_st, max_size=14),
        "previous": st.lists(fact_st, max_size=14),
    }
)
world_st = st.fixed_dictionaries(
    {
        "month": st.sampled_from([datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)]),
        "clerks": st.lists(clerk_st, min_size=1, max_size=7),
        "profiles": st.lists(st.lists(fact_st, max_size=14), min_size=3, max_size=3),
        "publish_previous": st.booleans(),
    }
)


def r(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def days_in(month: datetime.date) -> int:
    nxt = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return (nxt - month).days


# --- the reference -------------------------------------------------------------------------------


def ref_assignment(stays, month):
    """stays: [(hall_id, post, start, end|None)] -> (hall_id, post, days) by most days, later start, hall id."""
    last = month.replace(day=days_in(month))
    per_hall = {}
    for hall_id, post, start, end in stays:
        a, b = max(start, month), min(end or last, last)
        if a > b:
            continue
        days, latest, latest_post = per_hall.get(hall_id, (0, None, None))
        if latest is None or start > latest:
            latest, latest_post = start, post
        per_hall[hall_id] = (days + (b - a).days + 1, latest, latest_post)
    if not per_hall:
        return None
    hall_id, (days, _start, post) = sorted(
        per_hall.items(), key=lambda kv: (-kv[1][0], -kv[1][1].toordinal(), kv[0])
    )[0]
    return hall_id, post, days


def ref_points(ind, values):
    top = ind.max_points
    if ind.aggregate == "avg":
        value = r(sum(values, Decimal(0)) / len(values), "0.0001") if values else None
    elif ind.aggregate == "sum":
        value = sum(values, Decimal(0))
    else:
        value = Decimal(len(values))
    if value is None:
        return value, (top if ind.when_missing == "full" else Decimal(0))
    if ind.rule == "ratio_to_target":
        pts = top * min(Decimal(1), value / ind.target)
    elif ind.rule == "linear_band":
        if value <= ind.band_low:
            pts = Decimal(0)
        elif value >= ind.band_high:
            pts = top
        else:
            pts = top * (value - ind.band_low) / (ind.band_high - ind.band_low)
    elif ind.rule == "deduction":
        pts = max(ind.floor, top - ind.deduction_per_unit * value)
    else:
        pts = min(top, max(Decimal(0), value))
    return value, r(pts, "0.01")


def ref_band(policy, total):
    level = 0
    for n, minimum in enumerate(policy.band_minimums, start=1):
        if total >= minimum:
            level = n
    return level


def reference(month, people, facts, schemes, policy, history):
    """people: {staff_id: (stays, star_level)}; facts: {staff_id: {measure: [values]}};
    history: {staff_id: {months_ago: total}} -> {staff_id: expected dict}."""
    assigned = {}
    for staff_id, (stays, _star) in people.items():
        a = ref_assignment(stays, month)
        if a is not None and a[1] in schemes:
            assigned[staff_id] = a
    out = {}
    for staff_id, (hall_id, post, days) in assigned.items():
        indicators = {}
        total = Decimal(0)
        for ind in schemes[post]:
            value, pts = ref_points(ind, facts.get(staff_id, {}).get(ind.measure, []))
            score = r(pts * ind.weight / ind.max_points, "0.01")
            indicators[ind.code] = (value, pts, score)
            total += score
        out[staff_id] = {
            "hall": hall_id,
            "post": post,
            "days": days,
            "total": total,
            "indicators": indicators,
        }
    for staff_id, row in out.items():
        same_post = [o for o in out.values() if o["post"] == row["post"]]
        same_hall = [o for o in same_post if o["hall"] == row["hall"]]
        row["rank_in_branch"] = 1 + sum(o["total"] > row["total"] for o in same_post)
        row["rank_in_hall"] = 1 + sum(o["total"] > row["total"] for o in same_hall)
        row["branch_size"], row["hall_size"] = len(same_post), len(same_hall)
        row["percentile"] = r(
            Decimal(100) * sum(o["total"] <= row["total"] for o in same_post) / len(same_post), "0.01"
        )
        # star levels
        before = people[staff_id][1]
        prev = history.get(staff_id, {})
        window = [row["total"]] + [prev[k] for k in range(1, policy.average_months) if k in prev]
        avg = r(sum(window, Decimal(0)) / len(window), "0.01")
        candidate = ref_band(policy, avg)
        now_band = ref_band(policy, row["total"])
        if policy.demote_below_lowest and now_band == 0:
            proposed = min(candidate, max(before - 1, 0))
        elif candidate < before:
            proposed = candidate
        elif candidate > before and all(k in prev for k in range(1, policy.promote_after_months)):
            lowest = min(
                [now_band] + [ref_band(policy, prev[k]) for k in range(1, policy.promote_after_months)]
            )
            proposed = max(before, min(candidate, lowest))
        else:
            proposed = before
        row.update(band=now_band, average=avg, before=before, proposed=proposed)
    return out


# --- the property --------------------------------------------------------------------------------


def build_world(world, previous_month):
    n = next(_branch_codes)
    branch = BranchFactory(code=f"PB{n:04d}")
    county = CountyFactory(code=f"PC{n:04d}", parent=branch)
    halls = [HallFactory(code=f"P{n:04d}A", region=county), HallFactory(code=f"P{n:04d}B", region=county)]
    month = world["month"]
    facts_now, facts_prev, staff_rows = {}, {}, []
    for c in world["clerks"]:
        hired = previous_month if c["hired_on"] is None else month.replace(day=c["hired_on"])
        s = StaffFactory(hall=halls[c["hall"]], post=c["post"], hire_date=hired, star_level=c["star"])
        staff_rows.append((s, c))
        if (
            c["move_on"] is not None
            and c["move_on"] <= days_in(month)
            and month.replace(day=c["move_on"]) > hired
        ):
            move(s, to_hall=halls[1 - c["hall"]], on=month.replace(day=c["move_on"]))
    inputs = []
    for s, c in staff_rows:
        facts = world["profiles"][c["profile"]] if c["profile"] < 3 else c["own"]
        for measure, pick, day in facts:
            value = VALUES[measure][pick % len(VALUES[measure])]
            inputs.append(fact_input(s, measure, value, day=month.replace(day=day)))
            facts_now.setdefault(s.pk, {}).setdefault(measure, []).append(Decimal(value))
        for measure, pick, day in c["previous"]:
            value = VALUES[measure][pick % len(VALUES[measure])]
            inputs.append(fact_input(s, measure, value, day=previous_month.replace(day=day)))
            facts_prev.setdefault(s.pk, {}).setdefault(measure, []).append(Decimal(value))
    if inputs:
        add_facts(*inputs)
    return branch, [s for s, _c in staff_rows], facts_now, facts_prev


def people_of(staff):
    from staffing.models import Staff, StaffPosting

    stars = dict(Staff.objects.filter(pk__in=[s.pk for s in staff]).values_list("pk", "star_level"))
    stays = {}
    for p in StaffPosting.objects.filter(staff__in=staff):
        stays.setdefault(p.staff_id, []).append((p.hall_id, p.post, p.started_on, p.ended_on))
    return {s.pk: (stays.get(s.pk, []), stars[s.pk]) for s in staff}


def check(run, expected):
    results = {m.staff_id: m for m in MonthlyResult.objects.filter(run=run)}
    assert set(results) == set(expected)
    scores = {}
    for s in IndicatorScore.objects.filter(result__run=run).select_related("indicator", "result"):
        scores[(s.result.staff_id, s.indicator.code)] = s
        # Python's rule functions round exactly like the SQL.
        assert rule_points(s.indicator, s.measure_value) == s.points
    for staff_id, e in expected.items():
        m = results[staff_id]
        got = (m.hall_id, m.post, m.posting_days, m.total, m.rank_in_hall, m.hall_size, m.rank_in_branch)
        assert got == (
            e["hall"],
            e["post"],
            e["days"],
            e["total"],
            e["rank_in_hall"],
            e["hall_size"],
            e["rank_in_branch"],
        )
        assert (m.branch_size, m.percentile, m.band_level, m.average_total) == (
            e["branch_size"],
            e["percentile"],
            e["band"],
            e["average"],
        )
        assert (m.star_level_before, m.proposed_star_level) == (e["before"], e["proposed"])
        for code, (value, pts, score) in e["indicators"].items():
            s = scores[(staff_id, code)]
            assert (s.measure_value, s.points, s.score) == (value, pts, score), code


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=world_st)
def test_the_job_matches_a_straightforward_python_computation(world, db):
    month = world["month"]
    previous = datetime.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    admin = UserFactory(is_superuser=True)
    branch, staff, facts_now, facts_prev = build_world(world, previous)
    schemes = {
        s.post: list(s.indicators.order_by("position")) for s in AssessmentScheme.objects.effective_on(month)
    }
    policy = StarLevelPolicy.objects.get()
    history = {}
    if world["publish_previous"]:
        expected_prev = reference(previous, people_of(staff), facts_prev, schemes, policy, {})
        prev_run = compute_month_results(branch=branch, month=previous)
        check(prev_run, expected_prev)
        publish_results(run=prev_run, actor=admin)
        history = {sid: {1: e["total"]} for sid, e in expected_prev.items()}
    expected = reference(month, people_of(staff), facts_now, schemes, policy, history)
    run = compute_month_results(branch=branch, month=month)
    check(run, expected)

"""The optimising roster generator: an OR-Tools CP-SAT model over a plain `RosteringProblem`.

Decision: x[person, day, shift] = 1 when the person works that shift that day (at most one a
day). Hard constraints: availability and leave, the shift opening, minimum rest between shifts,
paid-hours limits, the most of each shift type, minimum and maximum runs of working days,
minimum runs of days off, the most weekends worked. Soft (weighted, so the model always has an
answer): head count under and over the requirement in every open hour, an open hour without a
senior, staff requests, and the spread between the most and least loaded person of early
shifts, late shifts, weekend days and holiday days. Window qualification is met by
construction: a generated assignment puts only a qualified clerk on a window.
"""

import math
import time as clock
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from staffing.rostering.problem import AssignmentSpec, RequestKind, RosteringProblem, ShiftSpec, Solution
from staffing.rostering.rules import unmet_cover, unmet_requests

__all__ = ["Weights", "greedy_roster", "greedy_solution", "solve"]


@dataclass(frozen=True)
class Weights:
    """Objective weights. A missing staff-hour outweighs any request (weight ≤ 10) and any
    fairness spread, so cover is never traded away for comfort."""

    under_cover: int = 1000
    missing_senior: int = 800
    over_cover: int = 5
    request: int = 50
    fairness: int = 20


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, limit: float, report: Callable[[float, float], None] | None, under_terms):
        super().__init__()
        self._limit = limit
        self._report = report
        self._under_terms = under_terms
        self.first_zero_under_at: float | None = None

    def on_solution_callback(self):
        elapsed = self.wall_time
        if self.first_zero_under_at is None and all(self.value(v) == 0 for v in self._under_terms):
            self.first_zero_under_at = elapsed
        if self._report is not None:
            self._report(min(elapsed / self._limit, 0.99) if self._limit else 0.99, self.objective_value)


def solve(
    problem: RosteringProblem,
    *,
    time_limit: float = 20.0,
    workers: int = 4,
    seed: int = 1,
    weights: Weights = Weights(),
    on_progress: Callable[[float, float], None] | None = None,
    track_first_full_cover: bool = False,
) -> Solution:
    """Best roster found within `time_limit` seconds. Never fails for lack of cover: the
    shortfall is returned in `Solution.unmet`. When the limit passes before CP-SAT finds any
    solution, the greedy starting roster is returned (status GREEDY). Status INFEASIBLE (with no assignments) only
    when the per-person rules contradict each other. `on_progress(fraction, objective)` is called
    on every improving solution; only then, or with `track_first_full_cover` (the benchmark), is a
    Python solution callback attached: without one CP-SAT never calls back into Python from its
    worker threads, which is how the service runs it. Deterministic for a given seed with `workers=1`. Four workers by
    default even on two cores: CP-SAT's portfolio (hint repair, LNS, LP) needs several subsolvers
    and reaches full cover several times sooner than with two. A greedy roster
    (`greedy_roster`) is the starting hint."""
    started = clock.perf_counter()
    model = cp_model.CpModel()
    rules = problem.rules
    days = problem.days
    n_days = len(days)
    staff = list(problem.staff)
    shifts = list(problem.shifts)

    x: dict[tuple[int, int, int], cp_model.IntVar] = {}
    for p, person in enumerate(staff):
        for d, day in enumerate(days):
            if not person.is_available(day) or (person.id, day) in problem.leave:
                continue
            for t, shift in enumerate(shifts):
                if problem.is_open_for(day, shift):
                    x[p, d, t] = model.new_bool_var(f"x_{person.id}_{d}_{shift.code}")

    work: dict[tuple[int, int], cp_model.IntVar] = {}
    for p in range(len(staff)):
        for d in range(n_days):
            vars_today = [x[p, d, t] for t in range(len(shifts)) if (p, d, t) in x]
            w = model.new_bool_var(f"w_{p}_{d}")
            model.add(w == sum(vars_today))
            work[p, d] = w

    _add_rest(model, x, staff, shifts, n_days, rules.min_rest_hours)
    _add_hours_and_counts(model, x, problem, staff, shifts, n_days)
    _add_runs(model, work, len(staff), n_days, rules)
    _add_weekends(model, work, problem, staff, days)

    terms: dict[str, list] = defaultdict(list)
    under_vars = []
    covering: dict[tuple, list] = defaultdict(list)
    for (p, d, t), var in x.items():
        shift = shifts[t]
        first = -(-shift.start_minute // 60)
        for h in range(first, shift.end_minute // 60):
            day_index = d + h // 24
            if day_index < n_days:
                covering[day_index, h % 24].append((p, var))
    day_index_of = {day: i for i, day in enumerate(days)}
    top = len(staff)
    for (day, hour), required in sorted(problem.cover.items()):
        present = covering.get((day_index_of[day], hour), [])
        under = model.new_int_var(0, max(required, 0), f"under_{day}_{hour}")
        over = model.new_int_var(0, top, f"over_{day}_{hour}")
        model.add(sum(v for _p, v in present) + under - over == required)
        under_vars.append(under)
        terms["under_cover"].append(weights.under_cover * under)
        terms["over_cover"].append(weights.over_cover * over)
        if rules.senior_every_open_hour:
            missing = model.new_bool_var(f"nosenior_{day}_{hour}")
            model.add(sum(v for p, v in present if staff[p].senior) + missing >= 1)
            terms["missing_senior"].append(weights.missing_senior * missing)

    _add_requests(model, x, work, problem, staff, shifts, day_index_of, weights, terms)
    _add_fairness(model, x, work, problem, staff, shifts, days, weights, terms)

    model.minimize(sum(sum(v) for v in terms.values()))
    hinted = {(a.staff_id, a.day, a.shift_code) for a in greedy_roster(problem)}
    for (p, d, t), var in x.items():
        model.add_hint(var, (staff[p].id, days[d], shifts[t].code) in hinted)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    solver.parameters.repair_hint = True
    progress = None
    if on_progress is not None or track_first_full_cover:
        progress = _Progress(time_limit, on_progress, under_vars)
    status = solver.solve(model, progress) if progress is not None else solver.solve(model)
    status_name = solver.status_name(status)

    if status == cp_model.UNKNOWN:
        # Out of time before a first solution (a loaded machine, a tiny limit).
        return greedy_solution(problem, started=started)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution(
            assignments=[],
            unmet=unmet_cover(problem, []),
            objective=math.inf,
            penalties={},
            unmet_requests=list(problem.requests),
            status=status_name,
            wall_time=clock.perf_counter() - started,
        )

    assignments = [
        AssignmentSpec(staff[p].id, days[d], shifts[t].code, problem.assignment_post(staff[p], days[d]))
        for (p, d, t), var in sorted(x.items())
        if solver.boolean_value(var)
    ]
    penalties = {name: float(sum(solver.value(e) for e in exprs)) for name, exprs in sorted(terms.items())}
    return Solution(
        assignments=assignments,
        unmet=unmet_cover(problem, assignments),
        objective=float(solver.objective_value),
        penalties=penalties,
        unmet_requests=unmet_requests(problem, assignments),
        status=status_name,
        wall_time=clock.perf_counter() - started,
        first_full_cover_seconds=progress.first_zero_under_at if progress is not None else None,
    )


def greedy_solution(problem: RosteringProblem, *, started: float) -> Solution:
    """The greedy starting roster as the answer (status GREEDY): it obeys every per-person rule,
    so it is the best roster known when the solver gives none. `started`: perf_counter() at the
    start of the attempt, for the wall time."""
    roster = greedy_roster(problem)
    return Solution(
        assignments=roster,
        unmet=unmet_cover(problem, roster),
        objective=math.inf,
        penalties={},
        unmet_requests=unmet_requests(problem, roster),
        status="GREEDY",
        wall_time=clock.perf_counter() - started,
    )


def greedy_roster(problem: RosteringProblem) -> list[AssignmentSpec]:
    """A quick constructive roster, the solver's starting hint: day by day, first a senior for
    the open hours without one, then whoever's shift covers the most missing staff-hours,
    preferring the least-worked person; never breaking availability, leave, rest, hours,
    shift-type counts or the maximum run of working days."""
    rules = problem.rules
    days = problem.days
    shifts = list(problem.shifts)
    hours_of = {s.code: set(s.covered_hours()) for s in shifts}
    worked_minutes = dict.fromkeys((p.id for p in problem.staff), 0)
    run = dict.fromkeys(worked_minutes, 0)
    last: dict[int, tuple[int, ShiftSpec]] = {}
    type_counts: dict[tuple[int, str], int] = defaultdict(int)
    limits = {p.id: problem.hours_limits(p)[1] for p in problem.staff}
    out: list[AssignmentSpec] = []
    for d, day in enumerate(days):
        need = {h: problem.cover[(day, h)] for h in problem.open_hours(day)}
        senior_missing = set(need) if rules.senior_every_open_hour else set()
        busy: set[int] = set()

        def allowed(person, shift, d=d, day=day, busy=busy):
            if person.id in busy or not person.is_available(day) or (person.id, day) in problem.leave:
                return False
            if not problem.is_open_for(day, shift):
                return False
            top = rules.max_consecutive_work_days
            if top is not None and run[person.id] >= top:
                return False
            limit = limits[person.id]
            if limit is not None and worked_minutes[person.id] + shift.paid_minutes > limit * 60:
                return False
            cap = rules.max_shifts_per_type.get(shift.code)
            if cap is not None and type_counts[(person.id, shift.code)] >= cap:
                return False
            previous = last.get(person.id)
            if previous is not None and previous[0] == d - 1:
                rest = 24 * 60 + shift.start_minute - previous[1].end_minute
                if rest < rules.min_rest_hours * 60:
                    return False
            return True

        while True:
            best = None
            for person in problem.staff:
                for shift in shifts:
                    covered = hours_of[shift.code]
                    gain = sum(1 for h in covered if need.get(h, 0) > 0)
                    senior_gain = len(covered & senior_missing) if person.senior else 0
                    if gain == 0 and senior_gain == 0:
                        continue
                    if not allowed(person, shift):
                        continue
                    score = (senior_gain, gain, -worked_minutes[person.id], -person.id)
                    if best is None or score > best[0]:
                        best = (score, person, shift)
            if best is None:
                break
            _score, person, shift = best
            for h in hours_of[shift.code]:
                if h in need:
                    need[h] -= 1
            if person.senior:
                senior_missing -= hours_of[shift.code]
            busy.add(person.id)
            worked_minutes[person.id] += shift.paid_minutes
            type_counts[(person.id, shift.code)] += 1
            last[person.id] = (d, shift)
            out.append(AssignmentSpec(person.id, day, shift.code, problem.assignment_post(person, day)))
        for person in problem.staff:
            run[person.id] = run[person.id] + 1 if person.id in busy else 0
    return out


def _add_rest(model, x, staff, shifts, n_days, min_rest_hours):
    min_rest = min_rest_hours * 60
    too_close = [
        (t1, t2)
        for t1, a in enumerate(shifts)
        for t2, b in enumerate(shifts)
        if 24 * 60 + b.start_minute - a.end_minute < min_rest
    ]
    for p in range(len(staff)):
        for d in range(n_days - 1):
            for t1, t2 in too_close:
                if (p, d, t1) in x and (p, d + 1, t2) in x:
                    model.add_bool_or([x[p, d, t1].Not(), x[p, d + 1, t2].Not()])


def _add_hours_and_counts(model, x, problem, staff, shifts, n_days):
    for p, person in enumerate(staff):
        mine = [(t, var) for (pp, _d, t), var in x.items() if pp == p]
        minutes = sum(shifts[t].paid_minutes * var for t, var in mine)
        low, high = problem.hours_limits(person)
        if low is not None:
            model.add(minutes >= math.ceil(low * 60 - 1e-6))
        if high is not None:
            model.add(minutes <= math.floor(high * 60 + 1e-6))
        for t, shift in enumerate(shifts):
            limit = problem.rules.max_shifts_per_type.get(shift.code)
            if limit is not None:
                model.add(sum(var for tt, var in mine if tt == t) <= limit)


def _add_runs(model, work, n_staff, n_days, rules):
    top = rules.max_consecutive_work_days
    for p in range(n_staff):
        w = [work[p, d] for d in range(n_days)]
        if top is not None and n_days > top:
            for i in range(n_days - top):
                model.add(sum(w[i : i + top + 1]) <= top)
        # A run of fewer than the minimum, bounded by the other state on both sides, is forbidden;
        # runs touching the period's edges may continue outside it.
        for length in range(1, rules.min_consecutive_work_days):
            for i in range(1, n_days - length):
                model.add_bool_or([w[i - 1], *[v.Not() for v in w[i : i + length]], w[i + length]])
        for length in range(1, rules.min_consecutive_days_off):
            for i in range(1, n_days - length):
                model.add_bool_or([w[i - 1].Not(), *w[i : i + length], w[i + length].Not()])


def _add_weekends(model, work, problem, staff, days):
    limit = problem.rules.max_weekends_worked
    if limit is None:
        return
    weekends: dict = defaultdict(list)
    for d, day in enumerate(days):
        key = problem.weekend_of(day)
        if key is not None:
            weekends[key].append(d)
    for p in range(len(staff)):
        flags = []
        for key, ds in weekends.items():
            flag = model.new_bool_var(f"weekend_{p}_{key}")
            for d in ds:
                model.add_implication(work[p, d], flag)
            flags.append(flag)
        model.add(sum(flags) <= limit)


def _add_requests(model, x, work, problem, staff, shifts, day_index_of, weights, terms):
    index_of_staff = {s.id: p for p, s in enumerate(staff)}
    index_of_shift = {s.code: t for t, s in enumerate(shifts)}
    for r in problem.requests:
        p, d = index_of_staff.get(r.staff_id), day_index_of.get(r.day)
        if p is None or d is None:
            continue
        cost = weights.request * r.weight
        var = x.get((p, d, index_of_shift.get(r.shift_code, -1)))
        if r.kind == RequestKind.DAY_OFF:
            terms["requests"].append(cost * work[p, d])
        elif r.kind == RequestKind.WANT_SHIFT:
            terms["requests"].append(cost * (1 - var) if var is not None else cost)
        elif r.kind == RequestKind.AVOID_SHIFT and var is not None:
            terms["requests"].append(cost * var)


def _add_fairness(model, x, work, problem, staff, shifts, days, weights, terms):
    """Spread (most − least) per person of early shifts, late shifts, weekend days and holiday
    days, among the hall's own staff available for the whole period."""
    everyone = [p for p, s in enumerate(staff) if s.available_days is None]
    if len(everyone) < 2:
        return
    early = {t for t, s in enumerate(shifts) if problem.is_early(s)}
    late = {t for t, s in enumerate(shifts) if problem.is_late(s)}
    weekend_days = {d for d, day in enumerate(days) if problem.is_weekend(day)}
    holiday_days = {d for d, day in enumerate(days) if day in problem.holidays}
    n_days = len(days)
    counters = {
        "fairness_early": lambda p: sum(v for (pp, _d, t), v in x.items() if pp == p and t in early),
        "fairness_late": lambda p: sum(v for (pp, _d, t), v in x.items() if pp == p and t in late),
        "fairness_weekend": lambda p: sum(work[p, d] for d in weekend_days),
        "fairness_holiday": lambda p: sum(work[p, d] for d in holiday_days),
    }
    relevant = {
        "fairness_early": bool(early),
        "fairness_late": bool(late),
        "fairness_weekend": bool(weekend_days),
        "fairness_holiday": bool(holiday_days),
    }
    for name, count in counters.items():
        if not relevant[name]:
            continue
        high = model.new_int_var(0, n_days, f"{name}_max")
        low = model.new_int_var(0, n_days, f"{name}_min")
        for p in everyone:
            c = count(p)
            model.add(high >= c)
            model.add(low <= c)
        terms[name].append(weights.fairness * (high - low))

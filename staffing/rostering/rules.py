"""Every roster rule as a check over plain data, and the coverage of a roster.

`check_roster` is the single definition of the rules: the editor, the importer and both
generators run it, so a roster that passes here passes everywhere. Messages are English
msgids translated when read (`Violation.message`), so the core needs no configured Django.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from staffing.rostering.problem import (
    WINDOW_POST,
    AssignmentSpec,
    Request,
    RequestKind,
    RosteringProblem,
    Unmet,
)


def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages without needing configured settings (Django's own needs them)."""
    return message


__all__ = ["MESSAGES", "Violation", "check_roster", "coverage_counts", "unmet_cover", "unmet_requests"]

MESSAGES = {
    "unknown_staff": gettext_noop("%(staff)s is neither on this hall's staff nor lent to it."),
    "unknown_shift": gettext_noop("Shift type %(shift)s does not exist in this hall."),
    "outside_period": gettext_noop("%(day)s is outside the roster period."),
    "not_available": gettext_noop(
        "%(staff)s is not available to this hall on %(day)s (lent out or not lent in)."
    ),
    "hall_closed": gettext_noop("The hall is not open during shift %(shift)s on %(day)s."),
    "overlap": gettext_noop(
        "%(staff)s would have two overlapping shifts on %(day)s (%(shift)s and %(other)s)."
    ),
    "on_leave": gettext_noop("%(staff)s is on approved leave on %(day)s."),
    "rest": gettext_noop(
        "%(staff)s would rest only %(rest)s h between %(other)s and %(shift)s on %(day)s; at least %(min)s h are required."
    ),
    "min_hours": gettext_noop("%(staff)s is rostered for %(hours)s h; at least %(min)s h are required."),
    "max_hours": gettext_noop("%(staff)s is rostered for %(hours)s h; at most %(max)s h are allowed."),
    "shift_type_count": gettext_noop(
        "%(staff)s works shift %(shift)s %(count)s times; at most %(max)s are allowed."
    ),
    "max_consecutive_days": gettext_noop(
        "%(staff)s works %(count)s days in a row up to %(day)s; at most %(max)s are allowed."
    ),
    "min_consecutive_days": gettext_noop(
        "%(staff)s works a run of only %(count)s day(s) ending %(day)s; runs of at least %(min)s are required."
    ),
    "min_days_off": gettext_noop(
        "%(staff)s has a break of only %(count)s day(s) off ending %(day)s; at least %(min)s in a row are required."
    ),
    "max_weekends": gettext_noop("%(staff)s works %(count)s weekends; at most %(max)s are allowed."),
    "unqualified_window": gettext_noop("%(staff)s holds no valid window qualification on %(day)s."),
    "no_senior": gettext_noop(
        "No senior (duty manager or star level 4+) is on duty on %(day)s at %(hours)s."
    ),
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: its code, whom and which day it concerns, and the message parameters."""

    rule: str
    staff_id: int | None = None
    day: date | None = None
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple:
        """Identity of the violation, for telling the violations an edit adds from those it found."""
        return (self.rule, self.staff_id, self.day, self.params.get("shift"))

    @property
    def message(self) -> str:
        from django.conf import settings

        template = MESSAGES[self.rule]
        if settings.configured:
            from django.utils.translation import gettext

            template = gettext(template)
        return template % {k: _display(v) for k, v in self.params.items()}

    def __str__(self) -> str:
        return self.message


def _display(value):
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _name(problem: RosteringProblem, staff_id: int) -> str:
    person = problem.staff_member(staff_id)
    return person.name if person and person.name else f"#{staff_id}"


def check_roster(problem: RosteringProblem, assignments: list[AssignmentSpec]) -> list[Violation]:
    """Every rule broken by `assignments` under `problem`, in a stable order. An empty list means
    the roster may be saved or published. Coverage shortfalls are not violations (see
    `unmet_cover`), except an open hour without a senior when the rules ask for one."""
    rules = problem.rules
    days = problem.days
    day_index = {d: i for i, d in enumerate(days)}
    out: list[Violation] = []
    by_staff: dict[int, list[tuple[int, int, AssignmentSpec]]] = defaultdict(list)

    for a in assignments:
        person = problem.staff_member(a.staff_id)
        name = _name(problem, a.staff_id)
        shift = problem.shift(a.shift_code)
        base = {"staff": name, "day": a.day, "shift": a.shift_code}
        if person is None:
            out.append(Violation("unknown_staff", a.staff_id, a.day, base))
            continue
        if shift is None:
            out.append(Violation("unknown_shift", a.staff_id, a.day, base))
            continue
        if a.day not in day_index:
            out.append(Violation("outside_period", a.staff_id, a.day, base))
            continue
        if not person.is_available(a.day):
            out.append(Violation("not_available", a.staff_id, a.day, base))
        if not problem.is_open_for(a.day, shift):
            out.append(Violation("hall_closed", a.staff_id, a.day, base))
        if (a.staff_id, a.day) in problem.leave:
            out.append(Violation("on_leave", a.staff_id, a.day, base))
        if rules.qualified_on_window and a.post == WINDOW_POST and not person.is_qualified(a.day):
            out.append(Violation("unqualified_window", a.staff_id, a.day, base))
        offset = day_index[a.day] * 24 * 60
        by_staff[a.staff_id].append((offset + shift.start_minute, offset + shift.end_minute, a))

    for staff_id, spans in sorted(by_staff.items()):
        out.extend(_check_person(problem, staff_id, sorted(spans, key=lambda s: (s[0], s[1])), day_index))

    if rules.senior_every_open_hour:
        out.extend(_check_seniors(problem, assignments))
    return out


def _check_person(problem, staff_id, spans, day_index) -> list[Violation]:
    rules = problem.rules
    person = problem.staff_member(staff_id)
    name = _name(problem, staff_id)
    out: list[Violation] = []
    min_rest = rules.min_rest_hours * 60
    latest: tuple[int, AssignmentSpec] | None = None  # the shift so far that ends last
    for start, end, a in spans:
        if latest is not None:
            e1, a1 = latest
            params = {"staff": name, "day": a.day, "shift": a.shift_code, "other": a1.shift_code}
            if start < e1:
                out.append(Violation("overlap", staff_id, a.day, params))
            elif start - e1 < min_rest:
                out.append(
                    Violation(
                        "rest",
                        staff_id,
                        a.day,
                        {**params, "rest": (start - e1) / 60, "min": rules.min_rest_hours},
                    )
                )
        if latest is None or end > latest[0]:
            latest = (end, a)

    hours = sum(problem.shift(a.shift_code).paid_hours for _s, _e, a in spans)
    low, high = problem.hours_limits(person)
    if low is not None and hours + 1e-9 < low:
        out.append(
            Violation("min_hours", staff_id, None, {"staff": name, "hours": hours, "min": round(low, 1)})
        )
    if high is not None and hours > high + 1e-9:
        out.append(Violation("max_hours", staff_id, None, {"staff": name, "hours": hours, "max": high}))

    counts: dict[str, int] = defaultdict(int)
    for _s, _e, a in spans:
        counts[a.shift_code] += 1
    for code, limit in sorted(rules.max_shifts_per_type.items()):
        if counts.get(code, 0) > limit:
            out.append(
                Violation(
                    "shift_type_count",
                    staff_id,
                    None,
                    {"staff": name, "shift": code, "count": counts[code], "max": limit},
                )
            )

    worked = [False] * len(day_index)
    for _s, _e, a in spans:
        worked[day_index[a.day]] = True
    out.extend(_check_runs(problem, staff_id, name, worked))

    if rules.max_weekends_worked is not None:
        weekends = {problem.weekend_of(a.day) for _s, _e, a in spans} - {None}
        if len(weekends) > rules.max_weekends_worked:
            out.append(
                Violation(
                    "max_weekends",
                    staff_id,
                    None,
                    {"staff": name, "count": len(weekends), "max": rules.max_weekends_worked},
                )
            )
    return out


def _runs(worked: list[bool]) -> list[tuple[bool, int, int]]:
    """(working?, first index, length) of each maximal run of equal days."""
    runs: list[tuple[bool, int, int]] = []
    for i, value in enumerate(worked):
        if runs and runs[-1][0] == value:
            runs[-1] = (value, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((value, i, 1))
    return runs


def _check_runs(problem, staff_id, name, worked) -> list[Violation]:
    """Run-length rules. A run touching the start or end of the period may continue outside it,
    so only its maximum is checked there, never its minimum."""
    rules = problem.rules
    days = problem.days
    out = []
    runs = _runs(worked)
    for value, first, length in runs:
        last_day = days[first + length - 1]
        inner = first > 0 and first + length < len(worked)
        params = {"staff": name, "day": last_day, "count": length}
        if value:
            top = rules.max_consecutive_work_days
            if top is not None and length > top:
                out.append(Violation("max_consecutive_days", staff_id, last_day, {**params, "max": top}))
            if inner and length < rules.min_consecutive_work_days:
                out.append(
                    Violation(
                        "min_consecutive_days",
                        staff_id,
                        last_day,
                        {**params, "min": rules.min_consecutive_work_days},
                    )
                )
        elif inner and length < rules.min_consecutive_days_off:
            out.append(
                Violation(
                    "min_days_off", staff_id, last_day, {**params, "min": rules.min_consecutive_days_off}
                )
            )
    return out


def _on_duty(problem: RosteringProblem, assignments: list[AssignmentSpec]):
    """(day, hour) -> ids of staff on duty, from shifts that cover the hour in full (an overnight
    shift's hours past midnight count on the next day)."""
    on_duty: dict[tuple[date, int], set[int]] = defaultdict(set)
    for a in assignments:
        shift = problem.shift(a.shift_code)
        if shift is None:
            continue
        first = -(-shift.start_minute // 60)
        for h in range(first, shift.end_minute // 60):
            on_duty[(a.day + timedelta(days=h // 24), h % 24)].add(a.staff_id)
    return on_duty


def coverage_counts(
    problem: RosteringProblem, assignments: list[AssignmentSpec]
) -> dict[tuple[date, int], int]:
    """Staff on duty in every open hour of the problem."""
    on_duty = _on_duty(problem, assignments)
    return {key: len(on_duty.get(key, ())) for key in problem.cover}


def unmet_cover(problem: RosteringProblem, assignments: list[AssignmentSpec]) -> list[Unmet]:
    """Open hours below the required head count, and (when the rules ask) without a senior."""
    on_duty = _on_duty(problem, assignments)
    seniors = {s.id for s in problem.staff if s.senior}
    out = []
    for key in sorted(problem.cover):
        present = on_duty.get(key, set())
        missing = problem.cover[key] - len(present)
        if missing > 0:
            out.append(Unmet(key[0], key[1], missing))
        if problem.rules.senior_every_open_hour and not present & seniors:
            out.append(Unmet(key[0], key[1], 1, kind="senior"))
    return out


def _check_seniors(problem, assignments) -> list[Violation]:
    missing: dict[date, list[int]] = defaultdict(list)
    for u in unmet_cover(problem, assignments):
        if u.kind == "senior":
            missing[u.day].append(u.hour)
    return [
        Violation("no_senior", None, day, {"day": day, "hours": ", ".join(f"{h:02d}:00" for h in hours)})
        for day, hours in sorted(missing.items())
    ]


def unmet_requests(problem: RosteringProblem, assignments: list[AssignmentSpec]) -> list[Request]:
    """The requests a roster does not honour."""
    worked = {(a.staff_id, a.day): a.shift_code for a in assignments}
    out = []
    for r in problem.requests:
        shift = worked.get((r.staff_id, r.day))
        if (
            (r.kind == RequestKind.DAY_OFF and shift is not None)
            or (r.kind == RequestKind.WANT_SHIFT and shift != r.shift_code)
            or (r.kind == RequestKind.AVOID_SHIFT and shift == r.shift_code)
        ):
            out.append(r)
    return out

"""Writes for rostering: build the plain problem from the database, generate, edit, publish,
import traffic. Each use case is one function and one transaction; the rules themselves live
once, in `staffing.rostering.rules.check_roster`.

Coverage requirement. For each open hour (the hall open for all of it), required staff =
max(the hall's minimum for the hour's band, the Erlang C staff needed to answer the forecast
arrivals at the hall's service-level target). The forecast is the mean of the same
weekday-hour over the policy's last weeks of traffic (8 by default). Peak hours are derived,
not typed: an hour is peak when its forecast reaches the policy's peak threshold (75 % by
default) of the busiest forecast hour of that day; a day without any forecast has no peak.
A statutory holiday takes Sunday's opening hours and demand, a make-up working day (调休)
Monday's.
"""

import csv
import io
import math
import re
import threading
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from halls.audit import changed_fields, record_audit
from halls.business_calendar import branch_id_of, calendar_map
from halls.models import Hall, OpeningHours, Tombstone
from halls.permissions import require_permission
from halls.tombstones import delete_with_tombstones
from staffing.exceptions import (
    HallHasNoShiftTypes,
    LeaveInvalid,
    LoanInvalid,
    RosterGenerationRefused,
    RosterNotEditable,
    RosterPeriodInvalid,
    RosterRuleBroken,
    ShiftTypeInvalid,
    StaffRequestInvalid,
    TrafficImportInvalid,
)
from staffing.models import (
    Assignment,
    CoveragePolicy,
    DutyPost,
    Leave,
    LoanRecord,
    Roster,
    ShiftType,
    Staff,
    StaffRequest,
    TrafficRecord,
)
from staffing.qualifications import qualified_days
from staffing.roster_selectors import forecast_arrivals, hall_zone
from staffing.rostering.calendar import HolidayCalendar, holiday_calendar
from staffing.rostering.demand import HourForecast, day_requirement
from staffing.rostering.isolated import solve_isolated
from staffing.rostering.problem import (
    AssignmentSpec,
    Request,
    RosteringProblem,
    Rules,
    ShiftSpec,
    Solution,
    StaffSpec,
    date_range,
)
from staffing.rostering.rotation import RotationPattern, rotation_roster
from staffing.rostering.rules import check_roster

MAX_PERIOD_DAYS = 62
HOLIDAY_PROFILE_WEEKDAY = 6
MAKEUP_PROFILE_WEEKDAY = 0


def coverage_policy_for(hall: Hall) -> CoveragePolicy:
    """The hall's policy, or an unsaved one with the defaults when the hall has none."""
    return CoveragePolicy.objects.filter(hall=hall).first() or CoveragePolicy(hall=hall)


# --- The requirement ---------------------------------------------------------------------------


def _profile_weekday(day: date, calendar) -> int:
    if day in calendar.holidays:
        return HOLIDAY_PROFILE_WEEKDAY
    if day in calendar.makeup_workdays:
        return MAKEUP_PROFILE_WEEKDAY
    return day.weekday()


def hall_holiday_calendar(*, hall: Hall, start: date, end: date) -> HolidayCalendar:
    """The hall's branch calendar for the period as the plain rostering calendar: branch days,
    the national table, then the chinese-calendar package (`halls.business_calendar`). A year
    with no national data is not an error: its days are ordinary and it is listed in
    `uncovered_years` for the pages' warning. Two queries (three when hall.region is not loaded)."""
    days = calendar_map(start=start, end=end, branch_id=branch_id_of(hall.region))
    return holiday_calendar(
        start, end, days.kinds(), names=days.names(), uncovered_years=days.uncovered_years
    )


def compute_requirement(
    *,
    hall: Hall,
    start: date,
    end: date,
    policy: CoveragePolicy | None = None,
    calendar: HolidayCalendar | None = None,
) -> dict:
    """{"YYYY-MM-DD": {"H": {"required", "minimum", "erlang", "forecast", "peak"}}} for every
    open hour between `start` and `end`: the rule in this module's docstring. Five queries."""
    policy = policy or coverage_policy_for(hall)
    calendar = calendar or hall_holiday_calendar(hall=hall, start=start, end=end)
    opening = {o.weekday: (o.opens_at, o.closes_at) for o in OpeningHours.objects.filter(hall=hall)}
    forecast = forecast_arrivals(hall=hall, before=start, weeks=policy.forecast_weeks)
    out: dict[str, dict] = {}
    for day in date_range(start, end):
        profile = _profile_weekday(day, calendar)
        if profile not in opening:
            continue
        opens, closes = opening[profile]
        today = day_requirement(
            hours=list(range(opens.hour + (1 if opens.minute else 0), closes.hour)),
            forecast={
                hour: HourForecast(f.arrivals, f.handling_seconds)
                for (weekday, hour), f in forecast.items()
                if weekday == profile
            },
            min_offpeak=hall.min_staff_offpeak,
            min_peak=hall.min_staff_peak,
            service_level=float(policy.service_level),
            answer_seconds=float(policy.answer_seconds),
            peak_ratio=float(policy.peak_ratio),
        )
        out[day.isoformat()] = {str(hour): need.as_dict() for hour, need in today.items()}
    return out


# --- The plain problem ----------------------------------------------------------------------


@dataclass
class ProblemContext:
    """The plain problem and the model rows its ids stand for."""

    problem: RosteringProblem
    staff: dict[int, Staff]
    shift_types: dict[str, ShiftType]
    requests: dict[int, StaffRequest] = field(default_factory=dict)
    calendar: HolidayCalendar | None = None


def _rules(policy: CoveragePolicy, days: int) -> Rules:
    weeks = days / 7
    return Rules(
        min_rest_hours=policy.min_rest_hours,
        min_hours=policy.min_weekly_hours * weeks if policy.min_weekly_hours is not None else None,
        max_hours=policy.max_weekly_hours * weeks if policy.max_weekly_hours is not None else None,
        max_shifts_per_type={str(k): int(v) for k, v in (policy.max_shifts_per_type or {}).items()},
        min_consecutive_work_days=policy.min_consecutive_days,
        max_consecutive_work_days=policy.max_consecutive_days,
        min_consecutive_days_off=policy.min_days_off_in_row,
        max_weekends_worked=(
            math.ceil(policy.max_weekends_per_4_weeks * days / 28)
            if policy.max_weekends_per_4_weeks is not None
            else None
        ),
    )


def _is_senior(staff: Staff) -> bool:
    return staff.post == Staff.Post.DUTY_MANAGER or staff.star_level >= 4


def build_problem(*, hall: Hall, start: date, end: date, requirement: dict | None = None) -> ProblemContext:
    """The plain rostering problem of `hall` from `start` to `end`: the hall's current staff
    (minus days lent out) and staff lent in (on their loan days only), its active shift types,
    the requirement (computed, or the one given, e.g. frozen on a roster), approved leave,
    requests, window qualifications, the policy's rules and the branch's business calendar
    (`hall_holiday_calendar`; `context.calendar.uncovered_years` names years without one).
    A fixed number of queries whatever the number of staff."""
    policy = coverage_policy_for(hall)
    calendar = hall_holiday_calendar(hall=hall, start=start, end=end)
    days = date_range(start, end)
    if requirement is None:
        requirement = compute_requirement(hall=hall, start=start, end=end, policy=policy, calendar=calendar)
    cover = {
        (date.fromisoformat(d), int(h)): need["required"]
        for d, hours in requirement.items()
        for h, need in hours.items()
    }
    loans = list(
        LoanRecord.objects.filter(start_date__lte=end, end_date__gte=start)
        .filter(Q(to_hall=hall) | Q(staff__hall=hall))
        .values_list("staff_id", "to_hall_id", "start_date", "end_date")
    )
    lent_in: dict[int, set[date]] = {}
    lent_out: dict[int, set[date]] = {}
    for staff_id, to_hall_id, first, last in loans:
        span = {d for d in days if first <= d <= last}
        (lent_in if to_hall_id == hall.pk else lent_out).setdefault(staff_id, set()).update(span)
    people = {
        s.pk: s
        for s in Staff.objects.filter(Q(hall=hall) | Q(pk__in=list(lent_in)))
        .exclude(status__in=[Staff.Status.LEFT, Staff.Status.ON_LEAVE])
        .order_by("employee_no")
    }
    qualified = qualified_days(staff_ids=list(people), post=DutyPost.WINDOW, start=start, end=end)
    specs = []
    for pk, person in people.items():
        if person.hall_id == hall.pk:
            available = frozenset(set(days) - lent_out[pk]) if pk in lent_out else None
        else:
            available = frozenset(lent_in.get(pk, ()))
        specs.append(
            StaffSpec(
                id=pk,
                name=person.name,
                post=person.post,
                senior=_is_senior(person),
                qualified_days=qualified.get(pk, frozenset()),
                available_days=available,
            )
        )
    shift_types = {
        s.code: s for s in ShiftType.objects.filter(hall=hall, is_active=True).order_by("start", "code")
    }
    leave = frozenset(
        (staff_id, d)
        for staff_id, first, last in Leave.objects.filter(
            staff_id__in=list(people), approved=True, start_date__lte=end, end_date__gte=start
        ).values_list("staff_id", "start_date", "end_date")
        for d in days
        if first <= d <= last
    )
    requests = {
        r.pk: r
        for r in StaffRequest.objects.filter(
            staff_id__in=list(people), date__gte=start, date__lte=end
        ).select_related("shift_type")
    }
    problem = RosteringProblem(
        staff=tuple(specs),
        shifts=tuple(ShiftSpec(s.code, s.start, s.end, s.break_minutes) for s in shift_types.values()),
        start=start,
        end=end,
        cover=cover,
        rules=_rules(policy, len(days)),
        leave=leave,
        requests=tuple(
            Request(
                r.staff_id, r.date, r.kind, r.shift_type.code if r.shift_type else None, r.weight, ref=r.pk
            )
            for r in requests.values()
        ),
        holidays=calendar.holidays,
        makeup_workdays=calendar.makeup_workdays,
    )
    return ProblemContext(
        problem=problem, staff=people, shift_types=shift_types, requests=requests, calendar=calendar
    )


def _specs(roster: Roster) -> list[AssignmentSpec]:
    return [
        AssignmentSpec(staff_id, day, code, post)
        for staff_id, day, code, post in Assignment.objects.filter(roster=roster).values_list(
            "staff_id", "date", "shift_type__code", "post"
        )
    ]


def _instants(day: date, shift: ShiftType) -> tuple[datetime, datetime]:
    zone = hall_zone()
    return datetime.combine(day, shift.start, tzinfo=zone), datetime.combine(day, shift.end, tzinfo=zone)


def _assignment(roster: Roster, spec: AssignmentSpec, shift: ShiftType, window_no=None) -> Assignment:
    starts_at, ends_at = _instants(spec.day, shift)
    return Assignment(
        roster=roster,
        staff_id=spec.staff_id,
        date=spec.day,
        shift_type=shift,
        post=spec.post,
        window_no=window_no,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def _messages(violations, limit: int = 5) -> str:
    shown = "; ".join(v.message for v in violations[:limit])
    more = len(violations) - limit
    return shown + (_(" … and %(n)s more.") % {"n": more} if more > 0 else "")


# --- Roster versions -------------------------------------------------------------------------


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise RosterPeriodInvalid(_("The period must end on or after its start."))
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise RosterPeriodInvalid(_("A roster covers at most %(n)s days.") % {"n": MAX_PERIOD_DAYS})


def _require_shift_types(hall: Hall) -> None:
    """A roster needs at least one active shift type of the hall: without one the optimiser has
    nothing to assign (it would report an "optimal" roster of no shifts) and nothing can be
    filled in by hand."""
    if not ShiftType.objects.filter(hall=hall, is_active=True).exists():
        raise HallHasNoShiftTypes(
            _("%(hall)s has no active shift types; add one before creating a roster.") % {"hall": hall.name}
        )


def _next_version(hall: Hall, start: date, end: date) -> int:
    # Lock the hall row so two new versions of one period never take the same number.
    Hall.objects.select_for_update().filter(pk=hall.pk).first()
    top = Roster.objects.filter(hall=hall, period_start=start, period_end=end).aggregate(v=Max("version"))[
        "v"
    ]
    return (top or 0) + 1


@transaction.atomic
def create_roster(*, actor, hall: Hall, start: date, end: date) -> Roster:
    """A new empty draft version of the hall's roster for the period, to fill in by hand, with
    the coverage requirement computed now and frozen on it. Refuses a hall without an active
    shift type (HallHasNoShiftTypes). Audited."""
    require_permission(actor, "roster.edit", hall=hall)
    _check_period(start, end)
    _require_shift_types(hall)
    requirement = compute_requirement(hall=hall, start=start, end=end)
    roster = Roster.objects.create(
        hall=hall,
        period_start=start,
        period_end=end,
        version=_next_version(hall, start, end),
        method=Roster.Method.MANUAL,
        requirement=requirement,
    )
    record_audit(
        actor=actor, action="staffing.roster.created", subject=roster, data={"version": roster.version}
    )
    return roster


@transaction.atomic
def request_roster_generation(
    *,
    actor,
    hall: Hall,
    start: date,
    end: date,
    method: str = Roster.Method.SOLVER,
    rotation: dict | None = None,
    time_limit_seconds: int = 20,
) -> Roster:
    """Create a new draft version to be generated by the optimiser or from a rotation pattern
    ({"kind": "rolling"|"rotating", "cycle": [...], "offsets": {staff_id: n}}), and queue the
    `generate_roster` task once this transaction commits. Refuses an invalid period or pattern,
    and a hall without an active shift type (HallHasNoShiftTypes)."""
    require_permission(actor, "roster.generate", hall=hall)
    _check_period(start, end)
    _require_shift_types(hall)
    if method not in (Roster.Method.SOLVER, Roster.Method.ROTATION):
        raise RosterGenerationRefused(_("Choose the optimiser or a rotation pattern."), field="method")
    if method == Roster.Method.ROTATION:
        _pattern(rotation)
    if not 1 <= time_limit_seconds <= 300:
        raise RosterGenerationRefused(
            _("The time limit must be 1 to 300 seconds."), field="time_limit_seconds"
        )
    roster = Roster.objects.create(
        hall=hall,
        period_start=start,
        period_end=end,
        version=_next_version(hall, start, end),
        method=method,
        rotation=rotation,
        time_limit_seconds=time_limit_seconds,
        generated_by=actor,
        generation_status=Roster.Generation.QUEUED,
        requirement=compute_requirement(hall=hall, start=start, end=end),
    )
    record_audit(
        actor=actor, action="staffing.roster.generation_requested", subject=roster, data={"method": method}
    )
    from staffing.tasks import generate_roster

    transaction.on_commit(lambda: generate_roster.delay(roster.pk))
    return roster


def _pattern(rotation) -> RotationPattern:
    if not isinstance(rotation, dict):
        raise RosterGenerationRefused(_("A rotation pattern is required."), field="rotation")
    try:
        cycle = rotation["cycle"]
        kind = rotation["kind"]
        cycle = tuple(tuple(week) for week in cycle) if kind == "rotating" else tuple(cycle)
        offsets = {int(k): int(v) for k, v in (rotation.get("offsets") or {}).items()}
        return RotationPattern(kind, cycle, offsets)
    except (KeyError, TypeError, ValueError) as exc:
        raise RosterGenerationRefused(
            _("Invalid rotation pattern: %(e)s") % {"e": exc}, field="rotation"
        ) from exc


def _solve_reporting(problem, time_limit: float, report: Callable[[int], None]) -> Solution:
    """Solve (in a child process: staffing.rostering.isolated) while a reporter thread writes
    elapsed-time progress (at most 95 %) every second through its own database connection, closed
    when it ends. CP-SAT runs without a Python callback."""
    done = threading.Event()

    def reporter():
        started = clock.monotonic()
        try:
            while not done.wait(1.0):
                report(min(95, int(100 * (clock.monotonic() - started) / max(time_limit, 1))))
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=reporter, name="roster-progress", daemon=True)
    thread.start()
    try:
        return solve_isolated(problem, time_limit=time_limit)
    finally:
        done.set()
        thread.join()


def run_roster_generation(*, roster_id: int) -> Roster | None:
    """Generate a queued roster: claim it (queued → running, compare-and-set), build the problem,
    run the optimiser or the rotation, and store the assignments, objective, penalty shares,
    unmet hours and unmet requests in one transaction (done). Returns None without doing
    anything when the roster is not queued, so a second run never duplicates. A failure marks
    the roster failed with the message and re-raises nothing. Stored text is in the site's
    language (settings.LANGUAGE_CODE), whichever language the request that queued it, or an
    earlier job of the same worker, had active."""
    with translation.override(settings.LANGUAGE_CODE):
        return _run_roster_generation(roster_id=roster_id)


def _run_roster_generation(*, roster_id: int) -> Roster | None:
    claimed = Roster.objects.filter(pk=roster_id, generation_status=Roster.Generation.QUEUED).update(
        generation_status=Roster.Generation.RUNNING, progress=0
    )
    if claimed != 1:
        return None
    roster = Roster.objects.select_related("hall", "generated_by").get(pk=roster_id)

    def report(percent: int) -> None:
        Roster.objects.filter(pk=roster_id, generation_status=Roster.Generation.RUNNING).update(
            progress=percent
        )

    try:
        # Shift types deactivated since the request leave nothing to assign: fail, not "optimal".
        _require_shift_types(roster.hall)
        context = build_problem(
            hall=roster.hall, start=roster.period_start, end=roster.period_end, requirement=roster.requirement
        )
        if roster.method == Roster.Method.ROTATION:
            solution = rotation_roster(context.problem, _pattern(roster.rotation))
        else:
            solution = _solve_reporting(context.problem, roster.time_limit_seconds, report)
        return _store_solution(roster_id=roster_id, context=context, solution=solution)
    except Exception as exc:  # recorded on the roster for the page; the task itself succeeds
        Roster.objects.filter(pk=roster_id).update(
            generation_status=Roster.Generation.FAILED,
            generation_error=str(getattr(exc, "message", exc))[:2000],
        )
        return Roster.objects.get(pk=roster_id)


@transaction.atomic
def _store_solution(*, roster_id: int, context: ProblemContext, solution: Solution) -> Roster:
    roster = Roster.objects.select_for_update().get(pk=roster_id)
    delete_with_tombstones(
        Assignment.objects.filter(roster=roster),
        resource=Tombstone.Resource.ASSIGNMENT,
        hall_field="roster__hall_id",
    )
    Assignment.objects.bulk_create(
        [_assignment(roster, spec, context.shift_types[spec.shift_code]) for spec in solution.assignments]
    )
    roster.generation_status = Roster.Generation.DONE
    roster.progress = 100
    roster.solver_status = solution.status
    roster.objective = solution.objective if math.isfinite(solution.objective) else None
    roster.penalties = {
        name: {"value": value, "share": round(solution.penalty_shares[name], 4)}
        for name, value in solution.penalties.items()
    }
    roster.unmet = [
        {"date": u.day.isoformat(), "hour": u.hour, "missing": u.missing, "kind": u.kind}
        for u in solution.unmet
    ]
    roster.unmet_requests = [
        {
            "id": r.ref,
            "staff": r.staff_id,
            "date": r.day.isoformat(),
            "kind": r.kind,
            "shift": r.shift_code,
            "weight": r.weight,
        }
        for r in solution.unmet_requests
    ]
    roster.wall_time_seconds = round(solution.wall_time, 3)
    roster.save()
    violations = check_roster(context.problem, solution.assignments)
    record_audit(
        actor=roster.generated_by,
        action="staffing.roster.generated",
        subject=roster,
        data={
            "method": roster.method,
            "status": solution.status,
            "assignments": len(solution.assignments),
            "unmet_hours": solution.unmet_hours,
            "violations": len(violations),
        },
    )
    return roster


def _editable(roster: Roster) -> None:
    if roster.status != Roster.Status.DRAFT:
        raise RosterNotEditable(_("Only a draft roster can be changed."))
    if roster.generation_status in (Roster.Generation.QUEUED, Roster.Generation.RUNNING):
        raise RosterNotEditable(_("The roster is being generated; wait until it is done."))


@transaction.atomic
def edit_assignment(
    *,
    actor,
    roster: Roster,
    staff: Staff,
    day: date,
    shift_type: ShiftType | None,
    post: str | None = None,
    window_no: int | None = None,
) -> Assignment | None:
    """Set `staff`'s shift on `day` in a draft roster (None clears the day). The post defaults
    to a window for a qualified clerk, else the person's own post. Refuses, with every message,
    a change that breaks a rule the roster did not already break (RosterRuleBroken); refuses
    published rosters and rosters being generated. Audited."""
    require_permission(actor, "roster.edit", hall=roster.hall)
    roster = Roster.objects.select_for_update().select_related("hall").get(pk=roster.pk)
    _editable(roster)
    if not roster.period_start <= day <= roster.period_end:
        raise RosterPeriodInvalid(_("The date is outside the roster period."), field="date")
    if shift_type is not None and shift_type.hall_id != roster.hall_id:
        raise ShiftTypeInvalid(_("This shift type belongs to another hall."))
    if post is not None and post not in DutyPost.values:
        raise RosterRuleBroken(_("Unknown post."), field="post")
    context = build_problem(
        hall=roster.hall, start=roster.period_start, end=roster.period_end, requirement=roster.requirement
    )
    problem = context.problem
    before = _specs(roster)
    after = [a for a in before if not (a.staff_id == staff.pk and a.day == day)]
    new_spec = None
    if shift_type is not None:
        person = problem.staff_member(staff.pk)
        default_post = problem.assignment_post(person, day) if person else DutyPost.WINDOW
        new_spec = AssignmentSpec(staff.pk, day, shift_type.code, post or default_post)
        after.append(new_spec)
    known = {v.key for v in check_roster(problem, before)}
    added = [v for v in check_roster(problem, after) if v.key not in known]
    if added:
        raise RosterRuleBroken(_messages(added), violations=added)
    delete_with_tombstones(
        Assignment.objects.filter(roster=roster, staff=staff, date=day),
        resource=Tombstone.Resource.ASSIGNMENT,
        hall_field="roster__hall_id",
    )
    created = None
    if new_spec is not None:
        created = _assignment(roster, new_spec, shift_type, window_no)
        created.save()
    record_audit(
        actor=actor,
        action="staffing.roster.assignment_changed",
        subject=roster,
        data={
            "staff": staff.employee_no,
            "date": day.isoformat(),
            "shift": shift_type.code if shift_type else None,
        },
    )
    return created


@transaction.atomic
def publish_roster(*, actor, roster: Roster) -> Roster:
    """Publish a draft: it must break no rule (RosterRuleBroken lists them) and not be generating.
    The hall's roster published before for an overlapping period becomes superseded. Coverage
    gaps do not block publishing; they are the manager's call. Audited."""
    require_permission(actor, "roster.publish", hall=roster.hall)
    roster = Roster.objects.select_for_update().select_related("hall").get(pk=roster.pk)
    _editable(roster)
    context = build_problem(
        hall=roster.hall, start=roster.period_start, end=roster.period_end, requirement=roster.requirement
    )
    violations = check_roster(context.problem, _specs(roster))
    if violations:
        raise RosterRuleBroken(
            _("The roster breaks %(n)s rule(s): %(list)s")
            % {"n": len(violations), "list": _messages(violations)},
            violations=violations,
        )
    superseded = list(
        Roster.objects.select_for_update()
        .filter(
            hall=roster.hall,
            status=Roster.Status.PUBLISHED,
            period_start__lte=roster.period_end,
            period_end__gte=roster.period_start,
        )
        .values_list("pk", flat=True)
    )
    Roster.objects.filter(pk__in=superseded).update(status=Roster.Status.SUPERSEDED)
    roster.status = Roster.Status.PUBLISHED
    roster.published_at = timezone.now()
    roster.published_by = actor
    roster.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    record_audit(
        actor=actor,
        action="staffing.roster.published",
        subject=roster,
        data={"version": roster.version, "superseded": superseded},
    )
    return roster


# --- Shift types, leave, requests, loans ----------------------------------------------------


SHIFT_TYPE_FIELDS = ("code", "name", "start", "end", "break_minutes", "colour")
# Frozen once a published roster uses the shift type: they are what its shifts meant.
SHIFT_TYPE_FROZEN_FIELDS = ("code", "start", "end", "break_minutes")
MAX_BREAK_MINUTES = 240
SHIFT_CODE_PATTERN = re.compile(r"^\w{1,10}$")
# Written in a rotation cycle or a roster file for a day off, so never a shift code.
DAY_OFF_TOKENS = {"off", "休"}
COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


def _minutes(moment) -> int:
    return moment.hour * 60 + moment.minute


def _check_shift_type(*, hall: Hall, code: str, start, end, break_minutes: int, colour: str, pk=None) -> None:
    if not SHIFT_CODE_PATTERN.match(code) or code.lower() in DAY_OFF_TOKENS:
        raise ShiftTypeInvalid(
            _("A code is 1 to 10 letters or digits, without spaces; “off” and “休” mean a day off."),
            field="code",
        )
    if ShiftType.objects.filter(hall=hall, code=code).exclude(pk=pk).exists():
        raise ShiftTypeInvalid(_("This hall already has a shift with this code."), field="code")
    if end <= start:
        raise ShiftTypeInvalid(_("A shift must end after it starts, on the same day."), field="end")
    if not 0 <= break_minutes <= MAX_BREAK_MINUTES:
        raise ShiftTypeInvalid(
            _("The break must be 0 to %(n)s minutes.") % {"n": MAX_BREAK_MINUTES}, field="break_minutes"
        )
    if break_minutes >= _minutes(end) - _minutes(start):
        raise ShiftTypeInvalid(_("The break must be shorter than the shift."), field="break_minutes")
    if not COLOUR_PATTERN.match(colour):
        raise ShiftTypeInvalid(_("Give the colour as #RRGGBB."), field="colour")


def shift_type_in_published_roster(shift: ShiftType) -> bool:
    """Whether a published (or since superseded) roster has a shift of this type."""
    return Assignment.objects.filter(
        shift_type=shift, roster__status__in=(Roster.Status.PUBLISHED, Roster.Status.SUPERSEDED)
    ).exists()


@transaction.atomic
def create_shift_type(
    *, actor, hall: Hall, code: str, name: str, start, end, break_minutes: int = 0, colour: str = "#4e79a7"
) -> ShiftType:
    """Add a shift type to a hall. Refuses (ShiftTypeInvalid, beside the field) a code that is
    not 1–10 letters or digits or is taken in the hall, an end not after the start (shifts end the
    day they start), a break over 240 minutes or not shorter than the shift, a colour not #RRGGBB.
    Audited."""
    require_permission(actor, "roster.edit", hall=hall)
    code = code.strip()
    _check_shift_type(hall=hall, code=code, start=start, end=end, break_minutes=break_minutes, colour=colour)
    try:
        with transaction.atomic():
            shift = ShiftType.objects.create(
                hall=hall,
                code=code,
                name=name,
                start=start,
                end=end,
                break_minutes=break_minutes,
                colour=colour,
            )
    except IntegrityError as exc:  # the same code added at the same moment
        raise ShiftTypeInvalid(_("This hall already has a shift with this code."), field="code") from exc
    record_audit(
        actor=actor,
        action="staffing.shift_type.created",
        subject=shift,
        data={"code": shift.code, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"},
    )
    return shift


@transaction.atomic
def update_shift_type(*, actor, shift_type: ShiftType, **changes) -> ShiftType:
    """Edit a shift type's code, name, times, break or colour. Row-locked; audited with the
    changed fields.

    History rule: once a published (or superseded) roster has a shift of this type, its code,
    start, end and break are frozen — they are what those published shifts meant, and hours,
    exports and imports read them through the shift type. Changing one of them is refused
    (ShiftTypeInvalid beside the field); deactivate the shift type and add a new one with the
    new times instead. Name and colour stay editable. The same checks as create_shift_type apply.
    """
    unknown = set(changes) - set(SHIFT_TYPE_FIELDS)
    if unknown:
        raise ShiftTypeInvalid(
            _("Unknown or read-only fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            field="non_field_errors",
        )
    shift = ShiftType.objects.select_for_update().select_related("hall").get(pk=shift_type.pk)
    require_permission(actor, "roster.edit", hall=shift.hall)
    if "code" in changes:
        changes["code"] = changes["code"].strip()
    before = {name: getattr(shift, name) for name in SHIFT_TYPE_FIELDS}
    after = {**before, **changes}
    changed = changed_fields(before, after)
    frozen = [name for name in SHIFT_TYPE_FROZEN_FIELDS if name in changed]
    if frozen and shift_type_in_published_roster(shift):
        raise ShiftTypeInvalid(
            _(
                "A published roster uses this shift type, so its code and times cannot change; "
                "deactivate it and add a new shift type instead."
            ),
            field=frozen[0],
        )
    _check_shift_type(
        hall=shift.hall,
        code=after["code"],
        start=after["start"],
        end=after["end"],
        break_minutes=after["break_minutes"],
        colour=after["colour"],
        pk=shift.pk,
    )
    if not changed:
        return shift
    for name, value in changes.items():
        setattr(shift, name, value)
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError as exc:
        raise ShiftTypeInvalid(_("This hall already has a shift with this code."), field="code") from exc
    record_audit(actor=actor, action="staffing.shift_type.updated", subject=shift, data=changed)
    return shift


@transaction.atomic
def set_shift_type_active(*, actor, shift_type: ShiftType, active: bool) -> ShiftType:
    """Deactivate (no longer offered for new rosters, edits or requests; existing shifts keep it)
    or reactivate a shift type. Row-locked; audited when it changes."""
    shift = ShiftType.objects.select_for_update().select_related("hall").get(pk=shift_type.pk)
    require_permission(actor, "roster.edit", hall=shift.hall)
    if shift.is_active == active:
        return shift
    shift.is_active = active
    shift.save(update_fields=["is_active", "updated_at"])
    if active:
        record_audit(
            actor=actor, action="staffing.shift_type.reactivated", subject=shift, data={"code": shift.code}
        )
    else:
        record_audit(
            actor=actor, action="staffing.shift_type.deactivated", subject=shift, data={"code": shift.code}
        )
    return shift


@transaction.atomic
def record_leave(
    *, actor, staff: Staff, kind: str, start_date: date, end_date: date, approved: bool, note: str = ""
) -> Leave:
    """Record leave for a staff member of a hall the actor manages. Approved leave blocks rostering
    on its dates from the next check on."""
    require_permission(actor, "leave.manage", hall=staff.hall)
    if end_date < start_date:
        raise LeaveInvalid(_("Leave must end on or after its first day."))
    leave = Leave.objects.create(
        staff=staff, kind=kind, start_date=start_date, end_date=end_date, approved=approved, note=note
    )
    record_audit(
        actor=actor,
        action="staffing.leave.recorded",
        subject=leave,
        hall=staff.hall,
        data={"approved": approved},
    )
    return leave


@transaction.atomic
def submit_staff_request(
    *,
    actor,
    staff: Staff,
    day: date,
    kind: str,
    shift_type: ShiftType | None = None,
    weight: int = 1,
    note: str = "",
) -> StaffRequest:
    """A clerk's request for themselves, or a hall manager's for one of the hall's staff.
    Refuses a shift of another hall, a shift on a day-off request or none on a shift request,
    and a weight outside 1–10."""
    require_permission(actor, "roster.request", hall=staff.hall)
    own = getattr(actor, "staff", None)
    is_self = own is not None and own.pk == staff.pk
    if not is_self and not _manages(actor, staff.hall):
        raise StaffRequestInvalid(
            _("You can only file requests for yourself or your hall's staff."), field="staff"
        )
    if kind == StaffRequest.Kind.DAY_OFF and shift_type is not None:
        raise StaffRequestInvalid(_("A day-off request names no shift."), field="shift_type")
    if kind in (StaffRequest.Kind.WANT_SHIFT, StaffRequest.Kind.AVOID_SHIFT) and shift_type is None:
        raise StaffRequestInvalid(_("Name the shift you want or want to avoid."), field="shift_type")
    if shift_type is not None and shift_type.hall_id != staff.hall_id:
        raise StaffRequestInvalid(_("This shift type belongs to another hall."), field="shift_type")
    if not 1 <= weight <= 10:
        raise StaffRequestInvalid(_("The weight must be 1 to 10."), field="weight")
    request, _created = StaffRequest.objects.update_or_create(
        staff=staff,
        date=day,
        kind=kind,
        shift_type=shift_type,
        defaults={"weight": weight, "note": note, "created_by": actor},
    )
    record_audit(actor=actor, action="staffing.roster_request.submitted", subject=request, hall=staff.hall)
    return request


def _manages(actor, hall: Hall) -> bool:
    from halls.permissions import has_permission

    return has_permission(actor, "roster.edit", hall=hall)


@transaction.atomic
def lend_staff(
    *, actor, staff: Staff, to_hall: Hall, start_date: date, end_date: date, note: str = ""
) -> LoanRecord:
    """Lend a person to another hall for inclusive dates; they may then be rostered only there on
    those dates. Refuses the same hall, reversed dates and an overlapping loan."""
    require_permission(actor, "loan.manage", hall=staff.hall)
    require_permission(actor, "loan.manage", hall=to_hall)
    if to_hall.pk == staff.hall_id:
        raise LoanInvalid(_("A person cannot be lent to their own hall."))
    if end_date < start_date:
        raise LoanInvalid(_("The loan must end on or after its first day."), field="end_date")
    if LoanRecord.objects.filter(staff=staff, start_date__lte=end_date, end_date__gte=start_date).exists():
        raise LoanInvalid(_("This person is already lent out in that period."), field="start_date")
    loan = LoanRecord.objects.create(
        staff=staff,
        from_hall_id=staff.hall_id,
        to_hall=to_hall,
        start_date=start_date,
        end_date=end_date,
        note=note,
        created_by=actor,
    )
    record_audit(
        actor=actor, action="staffing.staff.lent", subject=loan, hall=staff.hall, data={"to": to_hall.code}
    )
    return loan


# --- Traffic import ---------------------------------------------------------------------------

TRAFFIC_COLUMNS = ("hour", "tickets_issued", "transactions", "avg_handling_seconds")


@dataclass(frozen=True)
class TrafficImportResult:
    created: int
    updated: int
    unchanged: int


def _parse_hour(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("T", " "))
    if value.tzinfo is None:
        value = value.replace(tzinfo=hall_zone())
    if value.minute or value.second or value.microsecond:
        raise ValueError("not on the hour")
    return value


def _parse_count(text: str, *, maximum: int) -> int:
    value = int(text.strip())
    if not 0 <= value <= maximum:
        raise ValueError("out of range")
    return value


@transaction.atomic
def import_traffic_csv(*, actor, hall: Hall, content: bytes | str) -> TrafficImportResult:
    """Import hourly traffic for `hall` from a CSV export with the header
    hour,tickets_issued,transactions,avg_handling_seconds (hour as "YYYY-MM-DD HH:00" in the
    hall's time zone, or ISO 8601 with an offset; an optional hall column must name this hall).
    All or nothing: any bad row raises TrafficImportInvalid with every row's errors and saves
    nothing. An hour already stored is updated only when its figures differ, so importing the
    same file again changes nothing. Audited."""
    require_permission(actor, "traffic.import", hall=hall)
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TrafficImportInvalid(_("The file is not UTF-8 text.")) from exc
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in TRAFFIC_COLUMNS if c not in header]
    if missing:
        raise TrafficImportInvalid(
            _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)},
            errors=[(1, c, _("missing column")) for c in missing],
        )
    errors: list[tuple[int, str, str]] = []
    rows: dict[datetime, tuple[int, int, int]] = {}
    first_row: dict[datetime, int] = {}
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "") for k, v in raw.items()}
        if row.get("hall", "").strip() not in ("", hall.code):
            errors.append(
                (number, "hall", _("belongs to hall %(code)s, not this one") % {"code": row["hall"].strip()})
            )
            continue
        try:
            hour = _parse_hour(row["hour"])
        except ValueError:
            errors.append((number, "hour", _("not a whole hour like 2026-03-02 09:00")))
            continue
        values = []
        for column, maximum in (
            ("tickets_issued", 100000),
            ("transactions", 100000),
            ("avg_handling_seconds", 14400),
        ):
            try:
                values.append(_parse_count(row[column], maximum=maximum))
            except ValueError:
                errors.append(
                    (number, column, _("must be a whole number from 0 to %(max)s") % {"max": maximum})
                )
        if hour in first_row:
            errors.append((number, "hour", _("repeats row %(row)s") % {"row": first_row[hour]}))
            continue
        first_row[hour] = number
        if len(values) == 3:
            rows[hour] = tuple(values)
    if errors:
        raise TrafficImportInvalid(
            _("%(n)s error(s) in the file; nothing was imported.") % {"n": len(errors)}, errors=errors
        )
    existing = {
        r.hour: r for r in TrafficRecord.objects.select_for_update().filter(hall=hall, hour__in=list(rows))
    }
    to_create, to_update = [], []
    for hour, (tickets, transactions, handling) in rows.items():
        record = existing.get(hour)
        if record is None:
            to_create.append(
                TrafficRecord(
                    hall=hall,
                    hour=hour,
                    tickets_issued=tickets,
                    transactions=transactions,
                    avg_handling_seconds=handling,
                )
            )
        elif (record.tickets_issued, record.transactions, record.avg_handling_seconds) != (
            tickets,
            transactions,
            handling,
        ):
            record.tickets_issued, record.transactions, record.avg_handling_seconds = (
                tickets,
                transactions,
                handling,
            )
            to_update.append(record)
    TrafficRecord.objects.bulk_create(to_create)
    TrafficRecord.objects.bulk_update(to_update, ["tickets_issued", "transactions", "avg_handling_seconds"])
    result = TrafficImportResult(
        created=len(to_create), updated=len(to_update), unchanged=len(rows) - len(to_create) - len(to_update)
    )
    record_audit(
        actor=actor,
        action="staffing.traffic.imported",
        subject=hall,
        hall=hall,
        data={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return result

"""Writes for training: programmes, sessions, bulk attendance and exam entry, and the post
qualification that onboarding earns (granted through staffing's service). Each use case is one
transaction, takes the actor, checks the permission and writes its audit row."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.exceptions import FactsFrozen
from assessment.models import EvidenceType
from assessment.services import FactWriteResult, record_score_facts, withdraw_score_facts
from halls.audit import record_audit
from halls.models import Hall, Tombstone
from halls.permissions import has_permission, require_permission
from halls.scoping import scope_for
from halls.tombstones import delete_with_tombstones
from staffing.models import DutyPost, Qualification, Staff
from staffing.qualifications import grant_qualification
from training.dates import month_end, month_start, qualification_expiry
from training.exceptions import (
    AttendanceRowsInvalid,
    ExamSettingsInvalid,
    OnboardingIncomplete,
    ProgramInvalid,
    SessionInvalid,
    StageInvalid,
    TrainingHallNotAllowed,
    TrainingMonthPublished,
)
from training.models import (
    Attendance,
    AttendanceStatus,
    ExamKind,
    ExamResult,
    ProgramKind,
    ProgramStage,
    SessionKind,
    TrainingProgram,
    TrainingSession,
)
from training.scoring import training_score_facts
from training.selectors import program_progress

ZERO = Decimal("0")


def plain_number(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 100.0 → "100", 92.50 → "92.5"."""
    return f"{value.normalize():f}"


def _check_hall(actor, hall: Hall, action: str) -> None:
    if not Hall.objects.visible_to(actor).filter(pk=hall.pk).exists() or not has_permission(
        actor, action, hall=hall
    ):
        raise TrainingHallNotAllowed(
            _("You cannot manage training in %(hall)s.") % {"hall": hall.name}, field="halls"
        )


@transaction.atomic
def create_program(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    target_posts: Sequence[str],
    required_hours: Decimal,
    stages: Sequence[tuple[str, Decimal]] = (),
    qualification_post: str = "",
    qualification_valid_months: int = 24,
    description: str = "",
) -> TrainingProgram:
    """Define a programme and its ordered stages (name, required hours). Refuses a taken code,
    unknown posts, stage hours that add up to more than the programme's, and an onboarding
    programme that grants no post (ProgramInvalid)."""
    require_permission(actor, "training.manage_programs")
    if kind not in ProgramKind.values:
        raise ProgramInvalid(_("Unknown programme kind."), field="kind")
    unknown = set(target_posts) - set(Staff.Post.values)
    if unknown or not target_posts:
        raise ProgramInvalid(_("Choose at least one known post."), field="target_posts")
    if kind == ProgramKind.ONBOARDING and qualification_post not in DutyPost.values:
        raise ProgramInvalid(
            _("An onboarding programme grants a post qualification."), field="qualification_post"
        )
    if kind != ProgramKind.ONBOARDING:
        qualification_post = ""
    if sum((Decimal(hours) for _name, hours in stages), ZERO) > Decimal(required_hours):
        raise ProgramInvalid(_("The stages need more hours than the programme."), field="required_hours")
    if TrainingProgram.objects.filter(code=code).exists():
        raise ProgramInvalid(_("This programme code is already in use."), field="code")
    program = TrainingProgram.objects.create(
        code=code,
        name=name,
        kind=kind,
        target_posts=list(target_posts),
        required_hours=required_hours,
        qualification_post=qualification_post,
        qualification_valid_months=qualification_valid_months,
        description=description,
    )
    ProgramStage.objects.bulk_create(
        [
            ProgramStage(program=program, order=order, name=stage_name, required_hours=hours)
            for order, (stage_name, hours) in enumerate(stages, start=1)
        ]
    )
    record_audit(actor=actor, action="training.program.created", subject=program, data={"code": code})
    return program


@transaction.atomic
def create_session(
    *,
    actor,
    kind: str,
    topic: str,
    date: date,
    starts_at: time,
    duration_minutes: int,
    trainer: str,
    halls: Sequence[Hall],
    program: TrainingProgram | None = None,
    stage: ProgramStage | None = None,
    exam_kind: str = "",
    exam_max_score: Decimal | None = None,
    exam_pass_mark: Decimal | None = None,
) -> TrainingSession:
    """Schedule a session for one or more halls the actor manages training in. Refuses a hall
    outside the actor's reach (TrainingHallNotAllowed), a stage of another programme
    (StageInvalid), a length outside 1–720 minutes (SessionInvalid) and exam marks that do not fit
    (ExamSettingsInvalid). Audited once per hall."""
    require_permission(actor, "training.manage")
    halls = list(halls)
    if not halls:
        raise TrainingHallNotAllowed(_("Choose at least one hall."), field="halls")
    for hall in halls:
        _check_hall(actor, hall, "training.manage")
    if kind not in SessionKind.values:
        raise SessionInvalid(_("Unknown session kind."), field="kind")
    if not 1 <= duration_minutes <= 720:
        raise SessionInvalid(_("A session lasts between 1 and 720 minutes."), field="duration_minutes")
    if stage is not None and (program is None or stage.program_id != program.pk):
        raise StageInvalid(_("This stage belongs to another programme."), field="stage")
    if program is not None and not program.is_active:
        raise ProgramInvalid(_("This programme is no longer active."), field="program")
    if exam_kind:
        if exam_kind not in ExamKind.values:
            raise ExamSettingsInvalid(_("Unknown exam kind."), field="exam_kind")
        exam_max_score = Decimal(exam_max_score if exam_max_score is not None else 100)
        if exam_max_score <= 0:
            raise ExamSettingsInvalid(_("The maximum score must be above zero."), field="exam_max_score")
        if exam_pass_mark is None or not 0 < exam_pass_mark <= exam_max_score:
            raise ExamSettingsInvalid(
                _("Enter a pass mark above 0 and at most %(max)s.") % {"max": plain_number(exam_max_score)},
                field="exam_pass_mark",
            )
    else:
        exam_max_score = exam_pass_mark = None
    session = TrainingSession.objects.create(
        kind=kind,
        topic=topic,
        date=date,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        trainer=trainer,
        program=program,
        stage=stage,
        exam_kind=exam_kind,
        exam_max_score=exam_max_score,
        exam_pass_mark=exam_pass_mark,
        created_by=actor if actor.is_authenticated else None,
    )
    session.halls.set(halls)
    for hall in halls:
        record_audit(
            actor=actor,
            action="training.session.created",
            subject=session,
            hall=hall,
            data={"kind": kind, "date": date.isoformat(), "topic": topic},
        )
    return session


@dataclass(frozen=True)
class AttendanceEntry:
    """One row of a bulk entry: a person, their attendance and, optionally, an exam score."""

    staff_id: int
    status: str
    score: Decimal | str | None = None


@dataclass
class BulkEntryResult:
    attendance: int = 0
    exams: int = 0
    granted: list[Qualification] = field(default_factory=list)
    already_qualified: list[Staff] = field(default_factory=list)
    exams_withdrawn: list[Staff] = field(default_factory=list)


def _parse_score(raw) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValueError from exc
    if not value.is_finite():
        raise ValueError
    return value


def _row_errors(
    session: TrainingSession, hall: Hall, session_hall_ids: set[int], rows, staff: dict[int, Staff]
) -> dict[int, dict[str, str]]:
    """Every wrong row of a bulk entry: {staff id: {field: message}}."""
    errors: dict[int, dict[str, str]] = {}
    seen: set[int] = set()
    for row in rows:
        wrong: dict[str, str] = {}
        person = staff.get(row.staff_id)
        if row.staff_id in seen:
            wrong["staff"] = _("This person is listed twice.")
        elif person is None:
            wrong["staff"] = _("Unknown staff member.")
        elif person.hall_id not in session_hall_ids:
            wrong["staff"] = _("%(name)s does not work in a hall of this session.") % {"name": person.name}
        elif person.hall_id != hall.pk:
            wrong["staff"] = _(
                "%(name)s works in another hall of this session; enter them with that hall."
            ) % {"name": person.name}
        elif person.status == Staff.Status.LEFT:
            wrong["staff"] = _("%(name)s has left.") % {"name": person.name}
        seen.add(row.staff_id)
        if row.status not in AttendanceStatus.values:
            wrong["status"] = _("Choose present, absent or excused.")
        try:
            score = _parse_score(row.score)
        except ValueError:
            wrong["score"] = _("Enter a number.")
            score = None
        if score is not None:
            if not session.exam_kind:
                wrong["score"] = _("This session has no exam.")
            elif not ZERO <= score <= session.exam_max_score:
                wrong["score"] = _("Enter a score between 0 and %(max)s.") % {
                    "max": plain_number(session.exam_max_score)
                }
            elif score.as_tuple().exponent < -1:
                wrong["score"] = _("Use at most one decimal place.")
            elif row.status != AttendanceStatus.PRESENT:
                wrong["score"] = _("Only people present can have an exam score.")
        if wrong:
            errors.setdefault(row.staff_id, {}).update(wrong)
    return errors


def _exams_to_withdraw(
    session: TrainingSession, rows, staff: dict[int, Staff]
) -> tuple[list[ExamResult], dict[int, dict[str, str]]]:
    """The session's exam results of the people the rows record as not present, locked, and the
    rows that cannot be changed so: a passed onboarding exam that is the only one behind a post
    qualification the person still holds (the qualification must be revoked first)."""
    not_present = [row.staff_id for row in rows if row.status != AttendanceStatus.PRESENT]
    exams = list(
        ExamResult.objects.select_for_update(of=("self",))
        .filter(session=session, staff_id__in=not_present)
        .order_by("pk")
    )
    program = session.program
    passed = [exam for exam in exams if exam.passed]
    if not passed or program is None or program.kind != ProgramKind.ONBOARDING:
        return exams, {}
    holders = set(
        Qualification.objects.filter(
            staff_id__in=[exam.staff_id for exam in passed],
            source=Qualification.Source.TRAINING,
            source_ref=f"training.program:{program.code}",
        ).values_list("staff_id", flat=True)
    )
    other_passes = set(
        ExamResult.objects.filter(staff_id__in=holders, program=program, score__gte=F("pass_mark"))
        .exclude(pk__in=[exam.pk for exam in passed])
        .values_list("staff_id", flat=True)
    )
    errors = {
        exam.staff_id: {
            "status": _(
                "The passed exam of %(name)s earned the %(post)s qualification: revoke the qualification "
                "before recording them as not present."
            )
            % {"name": staff[exam.staff_id].name, "post": DutyPost(program.qualification_post).label}
        }
        for exam in passed
        if exam.staff_id in holders and exam.staff_id not in other_passes
    }
    return exams, errors


@transaction.atomic
def record_hall_attendance(
    *, actor, session: TrainingSession, hall: Hall, rows: Sequence[AttendanceEntry]
) -> BulkEntryResult:
    """Record (or correct) attendance and exam scores of people of one hall for a session, all at
    once. Every row is checked first; any wrong row (someone outside the session's halls, an
    unknown status, a score out of range, a score without an exam…) refuses the whole entry with
    AttendanceRowsInvalid listing the rows, and nothing is saved. A blank score leaves a recorded
    one unchanged. The rows' attendance and exam results become score facts for the assessment
    in this transaction (training.scoring; a correction updates its fact in place); a correction
    that would change the facts of a month whose results are published is refused
    (TrainingMonthPublished) and nothing is saved. After saving, a passed onboarding exam grants
    the programme's post qualification to everyone who has completed it and holds none for that
    span yet. Safe to repeat: rows are keyed by (session, person). Audited as
    training.attendance.recorded.

    Only someone present can have sat the session's exam. A person recorded (or corrected to)
    absent or excused who has an exam result for the session loses it: the sheet only lets a
    manager mark them so after clearing their score, so that is what they asked for. The result
    is deleted with a tombstone for sync clients, its `exam_score` fact is withdrawn through
    assessment's `withdraw_score_facts` (the next computation no longer counts it; a published
    month refuses the whole entry, TrainingMonthPublished), the audit row names the people
    (`exams_withdrawn`) and `BulkEntryResult.exams_withdrawn` lists them for the page. Refused
    for a row (AttendanceRowsInvalid on `status`) when that exam is the only pass behind an
    onboarding post qualification the person still holds: revoke the qualification first."""
    _check_hall(actor, hall, "training.record")
    session = (
        TrainingSession.objects.select_for_update(of=("self",)).select_related("program").get(pk=session.pk)
    )
    session_hall_ids = set(session.halls.values_list("pk", flat=True))
    if hall.pk not in session_hall_ids:
        raise TrainingHallNotAllowed(_("This session is not held in %(hall)s.") % {"hall": hall.name})
    rows = list(rows)
    if not rows:
        raise AttendanceRowsInvalid(_("There is nobody to record."), row_errors={})
    staff = Staff.objects.in_bulk([row.staff_id for row in rows])
    errors = _row_errors(session, hall, session_hall_ids, rows, staff)
    withdrawn, withdraw_errors = _exams_to_withdraw(session, rows, staff) if not errors else ([], {})
    for staff_id, wrong in withdraw_errors.items():
        errors.setdefault(staff_id, {}).update(wrong)
    if errors:
        raise AttendanceRowsInvalid(
            _("%(count)s rows need correcting; nothing was saved.") % {"count": len(errors)},
            row_errors=errors,
        )
    recorder = actor if actor.is_authenticated else None
    Attendance.objects.bulk_create(
        [
            Attendance(
                session=session,
                staff_id=row.staff_id,
                hall=hall,
                status=row.status,
                hours=session.hours if row.status == AttendanceStatus.PRESENT else ZERO,
                recorded_by=recorder,
            )
            for row in rows
        ],
        update_conflicts=True,
        unique_fields=["session", "staff"],
        update_fields=["hall", "status", "hours", "recorded_by"],
    )
    scores = {row.staff_id: _parse_score(row.score) for row in rows}
    scored = {staff_id: score for staff_id, score in scores.items() if score is not None}
    existing = {e.staff_id: e for e in ExamResult.objects.filter(session=session, staff_id__in=list(scored))}
    changed = []
    for staff_id, score in scored.items():
        exam = existing.get(staff_id)
        if exam is not None and exam.score != score:
            exam.score, exam.recorded_by = score, recorder
            changed.append(exam)
    ExamResult.objects.bulk_update(changed, ["score", "recorded_by"])
    if withdrawn:
        _withdraw_exams(withdrawn)
    ExamResult.objects.bulk_create(
        [
            ExamResult(
                staff_id=staff_id,
                hall=hall,
                session=session,
                program=session.program,
                kind=session.exam_kind,
                taken_on=session.date,
                score=score,
                max_score=session.exam_max_score,
                pass_mark=session.exam_pass_mark,
                recorded_by=recorder,
            )
            for staff_id, score in scored.items()
            if staff_id not in existing
        ]
    )
    _record_facts(
        attendance=Q(session=session, staff_id__in=[row.staff_id for row in rows]),
        exams=Q(session=session, staff_id__in=list(scored)),
    )
    result = BulkEntryResult(
        attendance=len(rows), exams=len(scored), exams_withdrawn=[staff[e.staff_id] for e in withdrawn]
    )
    counts = {status: sum(1 for r in rows if r.status == status) for status in AttendanceStatus.values}
    data = {**counts, "exams": len(scored)}
    if withdrawn:
        data["exams_withdrawn"] = [
            f"{staff[e.staff_id].employee_no} {plain_number(e.score)}/{plain_number(e.max_score)}"
            for e in withdrawn
        ]
    record_audit(actor=actor, action="training.attendance.recorded", subject=session, hall=hall, data=data)
    program = session.program
    if program is not None and program.kind == ProgramKind.ONBOARDING:
        passed = [pk for pk, score in scored.items() if score >= session.exam_pass_mark]
        _grant_completed(actor=actor, program=program, staff=[staff[pk] for pk in passed], result=result)
    return result


def _grant_completed(*, actor, program: TrainingProgram, staff: list[Staff], result: BulkEntryResult) -> None:
    """Grant the programme's qualification to those who completed it and hold none overlapping."""
    if not staff:
        return
    progress = program_progress(
        programs=TrainingProgram.objects.filter(pk=program.pk).prefetch_related("stages"),
        staff_ids=[s.pk for s in staff],
    )
    for person in staff:
        granted_on = progress[(person.pk, program.pk)].eligible_on
        if granted_on is None:
            continue
        expires_on = qualification_expiry(granted_on, program.qualification_valid_months)
        overlapping = Qualification.objects.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=granted_on),
            staff=person,
            post=program.qualification_post,
            granted_on__lte=expires_on,
        )
        if overlapping.exists():
            result.already_qualified.append(person)
            continue
        result.granted.append(
            grant_onboarding_qualification(actor=actor, staff=person, program=program, on=granted_on)
        )


@transaction.atomic
def grant_onboarding_qualification(
    *, actor, staff: Staff, program: TrainingProgram, on: date | None = None
) -> Qualification:
    """Grant the post qualification of an onboarding programme that `staff` completed (every
    stage's hours attended and the exam passed), valid from `on` (default: the day it was
    completed) for the programme's validity. Refuses an incomplete programme
    (OnboardingIncomplete); staffing refuses a span overlapping another qualification of the same
    post (QualificationOverlap). Through staffing.qualifications.grant_qualification, which audits
    it."""
    _check_hall(actor, staff.hall, "training.record")
    if program.kind != ProgramKind.ONBOARDING:
        raise OnboardingIncomplete(_("Only onboarding programmes grant a post qualification."))
    programs = TrainingProgram.objects.filter(pk=program.pk).prefetch_related("stages")
    progress = program_progress(programs=programs, staff_ids=[staff.pk])[(staff.pk, program.pk)]
    if not progress.hours_complete:
        missing = ", ".join(stage.name for stage in progress.missing_stages()) or program.name
        raise OnboardingIncomplete(
            _("%(name)s has not yet attended the required hours: %(stages)s.")
            % {"name": staff.name, "stages": missing}
        )
    if progress.passed_on is None:
        raise OnboardingIncomplete(_("%(name)s has not passed the exam yet.") % {"name": staff.name})
    granted_on = on or progress.eligible_on or timezone.localdate()
    return grant_qualification(
        actor=actor,
        staff=staff,
        post=program.qualification_post,
        granted_on=granted_on,
        expires_on=qualification_expiry(granted_on, program.qualification_valid_months),
        source=Qualification.Source.TRAINING,
        source_ref=f"training.program:{program.code}",
    )


def _record_facts(*, attendance: Q, exams: Q) -> FactWriteResult:
    """Hand the records' facts to the assessment in the caller's transaction."""
    try:
        return record_score_facts(facts=training_score_facts(attendance=attendance, exams=exams))
    except FactsFrozen as exc:
        raise TrainingMonthPublished(
            _(
                "The assessment results of that month are published; its attendance and exam "
                "results can no longer change."
            )
        ) from exc


def _withdraw_exams(exams: list[ExamResult]) -> None:
    """Withdraw the exam results' facts from the assessment, then delete them with a tombstone
    each, in the caller's transaction."""
    try:
        withdraw_score_facts(evidence_type=EvidenceType.TRAINING_EXAM, evidence_ids=[e.pk for e in exams])
    except FactsFrozen as exc:
        raise TrainingMonthPublished(
            _(
                "The assessment results of that month are published; its attendance and exam "
                "results can no longer change."
            )
        ) from exc
    delete_with_tombstones(
        ExamResult.objects.filter(pk__in=[e.pk for e in exams]),
        resource=Tombstone.Resource.EXAM_RESULT,
        hall_field="hall_id",
    )


@dataclass(frozen=True)
class TrainingFactsResult:
    attendance: int
    exams: int
    created: int
    updated: int
    unchanged: int


@transaction.atomic(durable=True)
def record_training_facts(*, actor, month: date, batch_size: int = 10_000) -> TrainingFactsResult:
    """Record the score facts of every attendance row of a session held in `month` and of every
    exam taken in it (a backfill of records made before training fed the assessment). Idempotent:
    a second run creates and changes nothing. In batches of `batch_size` records (bounded memory),
    all in one transaction: a month whose published facts would change is refused as a whole
    (TrainingMonthPublished). `actor` None is the system (the management command); a user must
    see every hall and hold training.manage_programs."""
    if actor is not None:
        require_permission(actor, "training.manage_programs")
        if not scope_for(actor).sees_everything:
            raise PermissionDenied("training.manage_programs")
    first, last = month_start(month), month_end(month)
    attendance_rows = list(
        Attendance.objects.filter(session__date__gte=first, session__date__lte=last)
        .order_by("pk")
        .values_list("pk", "hall_id")
    )
    exam_rows = list(
        ExamResult.objects.filter(taken_on__gte=first, taken_on__lte=last)
        .order_by("pk")
        .values_list("pk", "hall_id")
    )
    attendance_ids = [pk for pk, _hall in attendance_rows]
    exam_ids = [pk for pk, _hall in exam_rows]
    none = Q(pk__in=[])
    batches = [
        (Q(pk__in=attendance_ids[i : i + batch_size]), none)
        for i in range(0, len(attendance_ids), batch_size)
    ]
    batches += [(none, Q(pk__in=exam_ids[i : i + batch_size])) for i in range(0, len(exam_ids), batch_size)]
    created = updated = unchanged = 0
    for attendance, exams in batches:
        written = _record_facts(attendance=attendance, exams=exams)
        created += written.created
        updated += written.updated
        unchanged += written.unchanged
    if created or updated:
        # One row per hall whose records were fed, so each hall's audit trail shows it.
        per_hall = Counter(hall for _pk, hall in attendance_rows)
        exams_per_hall = Counter(hall for _pk, hall in exam_rows)
        for hall in Hall.objects.filter(pk__in=set(per_hall) | set(exams_per_hall)).order_by("pk"):
            record_audit(
                actor=actor,
                action="training.facts.recorded",
                subject=hall,
                hall=hall,
                data={
                    "month": first.isoformat(),
                    "attendance": per_hall[hall.pk],
                    "exams": exams_per_hall[hall.pk],
                },
            )
    return TrainingFactsResult(
        attendance=len(attendance_ids),
        exams=len(exam_ids),
        created=created,
        updated=updated,
        unchanged=unchanged,
    )

"""Writes of the mystery-shop feature: one use case, one function, one transaction.

Every function takes the `actor`, checks the permission over the visit's hall, locks what it
read-modify-writes and records its audit row in the same transaction. Audit rows of a visit that
was never published carry no hall, so the hall's own audit trail cannot reveal a covert visit.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import EvidenceType, Measure, Source
from assessment.mystery_shop.exceptions import (
    PhotoRejected,
    RectificationInvalid,
    TransitionNotAllowed,
    VersionConflict,
    VisitIncomplete,
    VisitInvalid,
)
from assessment.mystery_shop.models import (
    Answer,
    AnswerPhoto,
    ChecklistItem,
    ChecklistTemplate,
    Rectification,
    Visit,
    VisitClerk,
    VisitScore,
)
from assessment.mystery_shop.notifications import send_notification
from assessment.mystery_shop.photos import clean_photo
from assessment.mystery_shop.scoring import Judgement, compute_scores
from assessment.services.facts import FactInput, record_score_facts, withdraw_score_facts
from halls.audit import record_audit
from halls.models import AuditEvent, Hall, Role
from halls.permissions import require_permission
from staffing.models import Assignment, Roster, Staff

RECTIFICATION_DAYS = 7
ESCALATE_AFTER_DAYS = 3
MAX_PHOTOS_PER_ANSWER = 5


def _audit_visit(*, actor, action: str, visit: Visit, data: dict | None = None) -> None:
    """Audit a visit's action. Until the visit was first published the row is filed under no hall,
    so the hall's own audit trail (halls.selectors.hall_audit_trail) cannot reveal it."""
    if visit.first_published_at:
        record_audit(actor=actor, action=action, subject=visit, hall=visit.hall, data=data)
        return
    AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        subject_type=ContentType.objects.get_for_model(Visit),
        subject_id=str(visit.pk),
        hall=None,
        data=data or {},
    )


def lock_visit(visit: Visit, version: int | None) -> Visit:
    """The visit, locked; refuses a stale `version` (None: no check)."""
    locked = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("hall__region", "template")
        .get(pk=visit.pk)
    )
    if version is not None and locked.version != version:
        raise VersionConflict(
            _(
                "This inspection was changed by someone else since you opened it. Nothing was saved; reload it."
            )
        )
    return locked


def _require_draft(visit: Visit) -> None:
    if visit.status != Visit.Status.DRAFT:
        raise TransitionNotAllowed(_("Only a draft inspection can be changed."))


def _bump(visit: Visit, **fields) -> Visit:
    for name, value in fields.items():
        setattr(visit, name, value)
    visit.version += 1
    visit.save(update_fields=[*fields, "version", "updated_at"])
    return visit


def checklist_for_new_visit(template: ChecklistTemplate | None) -> ChecklistTemplate:
    """The checklist a visit being started is judged by, locked until the visit is saved.

    `template` must be in force (a draft or a retired version is refused, VisitInvalid on
    `template`). Without one, the checklist in force is taken only when exactly one is; with
    several in force (a hall checklist and a phone checklist, say) the inspector must choose, so
    nothing picks one silently. The row is locked (FOR NO KEY UPDATE) and re-read: a concurrent
    activation that retires it (checklist_services.activate_template locks every version of the
    name FOR UPDATE) waits for this visit or is seen by it."""
    in_force = ChecklistTemplate.objects.in_force().select_for_update(no_key=True)
    if template is not None:
        chosen = in_force.filter(pk=template.pk).first()
        if chosen is None:
            raise VisitInvalid(
                _("This checklist is not in force; choose one of the checklists in force."), field="template"
            )
        return chosen
    candidates = list(in_force[:2])
    if not candidates:
        raise VisitInvalid(_("No checklist is in force."), field="template")
    if len(candidates) > 1:
        raise VisitInvalid(
            _("Several checklists are in force: choose the one this inspection uses."), field="template"
        )
    return candidates[0]


@transaction.atomic(durable=True)
def start_visit(
    *,
    actor,
    hall: Hall,
    visited_at: datetime,
    mode: str,
    template: ChecklistTemplate | None = None,
    wait_minutes: int | None = None,
) -> Visit:
    """Open a draft inspection of `hall` judged by `template`, which must be in force; without
    one, the only checklist in force (refused when several are, or none: see
    checklist_for_new_visit). Refuses an unknown mode and a visit in the future (VisitInvalid)."""
    hall = Hall.objects.select_related("region").get(pk=hall.pk)
    require_permission(actor, "mystery.inspect", hall=hall)
    template = checklist_for_new_visit(template)
    if mode not in Visit.Mode.values:
        raise VisitInvalid(_("Choose overt or covert."), field="mode")
    if visited_at > timezone.now() + timedelta(minutes=5):
        raise VisitInvalid(_("The visit cannot be in the future."), field="visited_at")
    visit = Visit.objects.create(
        template=template,
        hall=hall,
        inspector=actor,
        visited_at=visited_at,
        mode=mode,
        wait_minutes=wait_minutes,
    )
    visit.hall = hall
    _audit_visit(actor=actor, action="mystery.visit.started", visit=visit, data={"mode": mode})
    return visit


@transaction.atomic(durable=True)
def update_visit(
    *,
    actor,
    visit: Visit,
    version: int,
    visited_at: datetime,
    mode: str,
    wait_minutes: int | None,
    summary: str,
) -> Visit:
    """Change a draft's own fields; a stale version is refused (VersionConflict)."""
    visit = lock_visit(visit, version)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    _require_draft(visit)
    if mode not in Visit.Mode.values:
        raise VisitInvalid(_("Choose overt or covert."), field="mode")
    if visited_at > timezone.now() + timedelta(minutes=5):
        raise VisitInvalid(_("The visit cannot be in the future."), field="visited_at")
    return _bump(visit, visited_at=visited_at, mode=mode, wait_minutes=wait_minutes, summary=summary.strip())


def _staff_at_window(visit: Visit, window_no: int) -> Staff | None:
    """Who sat at `window_no` at the visit's time, by the hall's published roster."""
    assignment = (
        Assignment.objects.filter(
            roster__hall=visit.hall,
            roster__status=Roster.Status.PUBLISHED,
            window_no=window_no,
            starts_at__lte=visit.visited_at,
            ends_at__gt=visit.visited_at,
        )
        .select_related("staff")
        .first()
    )
    return assignment.staff if assignment else None


@transaction.atomic(durable=True)
def add_clerk(*, actor, visit: Visit, employee_no: str = "", window_no: int | None = None) -> VisitClerk:
    """Add a clerk observed to a draft, by employee (badge) number, or by window number through the
    published roster at the visit's time. The clerk must work in the visited hall."""
    visit = lock_visit(visit, None)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    _require_draft(visit)
    employee_no = (employee_no or "").strip()
    if employee_no:
        staff = (
            Staff.objects.filter(employee_no__iexact=employee_no, hall=visit.hall)
            .exclude(status=Staff.Status.LEFT)
            .first()
        )
        if staff is None:
            raise VisitInvalid(_("No one with this badge number works in this hall."), field="employee_no")
    elif window_no:
        staff = _staff_at_window(visit, window_no)
        if staff is None:
            raise VisitInvalid(
                _("The published roster has nobody at this window at the time of the visit."),
                field="window_no",
            )
    else:
        raise VisitInvalid(_("Give a badge number or a window number."), field="employee_no")
    clerk, created = VisitClerk.objects.get_or_create(
        visit=visit, staff=staff, defaults={"window_no": window_no}
    )
    if not created and window_no and clerk.window_no != window_no:
        clerk.window_no = window_no
        clerk.save(update_fields=["window_no"])
    _bump(visit)
    return clerk


@transaction.atomic(durable=True)
def remove_clerk(*, actor, visit: Visit, clerk: VisitClerk) -> None:
    """Remove a clerk observed from a draft, with the answers given for them."""
    visit = lock_visit(visit, None)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    _require_draft(visit)
    VisitClerk.objects.filter(pk=clerk.pk, visit=visit).delete()
    _bump(visit)


def _parse_deduction(raw, item: ChecklistItem) -> Decimal:
    if raw in (None, ""):
        return item.deduction
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise VisitInvalid(_("Enter a number of points."), field="deduction") from exc
    if not Decimal("0") <= value <= item.deduction:
        raise VisitInvalid(
            _("The deduction is between 0 and %(max)s points.") % {"max": item.deduction}, field="deduction"
        )
    return value


@transaction.atomic(durable=True)
def save_answer(
    *,
    actor,
    visit: Visit,
    item: ChecklistItem,
    clerk: VisitClerk | None,
    result: str,
    deduction=None,
    comment: str = "",
    version: int = 0,
    photo=None,
) -> Answer:
    """Save the judgement of one item (of one clerk for a clerk item) in a draft, with an optional
    photo. `version` is the answer's version the form showed (0: unanswered); when someone else
    saved this item meanwhile, nothing is saved (VersionConflict). A failure deducts the item's
    points unless a smaller deduction is given; pass and not-applicable deduct nothing."""
    visit = lock_visit(visit, None)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    _require_draft(visit)
    if item.template_id != visit.template_id:
        raise VisitInvalid(_("This item is not on the inspection's checklist."), field="item")
    if item.scope == ChecklistItem.Scope.CLERK:
        if clerk is None or clerk.visit_id != visit.pk:
            raise VisitInvalid(_("Choose the clerk this answer is about."), field="clerk")
    else:
        clerk = None
    if result not in Answer.Result.values:
        raise VisitInvalid(_("Choose pass, fail or not applicable."), field="result")
    points = _parse_deduction(deduction, item) if result == Answer.Result.FAIL else Decimal("0")
    answer = Answer.objects.select_for_update().filter(visit=visit, item=item, clerk=clerk).first()
    current = answer.version if answer else 0
    if current != version:
        who = (
            (answer.updated_by.get_full_name() or answer.updated_by.username)
            if answer and answer.updated_by
            else ""
        )
        raise VersionConflict(
            _(
                "%(who)s changed this item at %(when)s, after you opened the page. Nothing was saved: "
                "check their answer and save again."
            )
            % {"who": who or _("Someone"), "when": timezone.localtime(answer.updated_at).strftime("%H:%M:%S")}
        )
    if answer is None:
        answer = Answer(visit=visit, item=item, clerk=clerk, version=0)
    answer.result = result
    answer.deduction = points
    answer.comment = (comment or "").strip()[:500]
    answer.version += 1
    answer.updated_by = actor
    try:
        with transaction.atomic():
            answer.save()
    except IntegrityError as exc:  # created by someone else between our read and insert
        raise VersionConflict(_("Someone else answered this item at the same moment. Reload it.")) from exc
    if photo is not None:
        _store_photo(actor=actor, answer=answer, upload=photo)
    return answer


def _store_photo(*, actor, answer: Answer, upload) -> AnswerPhoto:
    if answer.photos.count() >= MAX_PHOTOS_PER_ANSWER:
        raise PhotoRejected(_("At most %(n)s photos per item.") % {"n": MAX_PHOTOS_PER_ANSWER})
    clean = clean_photo(upload)
    photo = AnswerPhoto(
        answer=answer, width=clean.width, height=clean.height, size=clean.size, uploaded_by=actor
    )
    photo.file.save(clean.content.name, clean.content, save=False)
    try:
        photo.save()
    except Exception:
        photo.file.delete(save=False)
        raise
    return photo


@transaction.atomic(durable=True)
def delete_photo(*, actor, photo: AnswerPhoto) -> None:
    """Remove a photo of a draft's answer (the file goes once the transaction commits)."""
    visit = lock_visit(photo.answer.visit, None)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    _require_draft(visit)
    storage, name = photo.file.storage, photo.file.name
    photo.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- Submission, publication -----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def required_answers(visit: Visit, items: list[ChecklistItem], clerks: list[VisitClerk]):
    """(item, clerk) pairs a complete visit answers: hall items once, clerk items per clerk."""
    for item in items:
        if item.scope == ChecklistItem.Scope.HALL:
            yield item, None
        else:
            for clerk in clerks:
                yield item, clerk


def check_complete(visit: Visit) -> list[str]:
    """What stops `visit` from being submitted, in words (empty: complete)."""
    items = list(visit.template.items.order_by("position"))
    clerks = list(visit.clerks.select_related("staff"))
    answers = {(a.item_id, a.clerk_id): a for a in visit.answers.prefetch_related("photos")}
    problems = []
    if not clerks and any(item.scope == ChecklistItem.Scope.CLERK for item in items):
        problems.append(_("Add at least one clerk observed."))
    for item, clerk in required_answers(visit, items, clerks):
        answer = answers.get((item.pk, clerk.pk if clerk else None))
        label = f"{item.code} {item.text}" + (f" — {clerk.staff.name}" if clerk else "")
        if answer is None:
            problems.append(_("Not answered: %(item)s") % {"item": label})
        elif answer.result == Answer.Result.FAIL and item.photo_required and not answer.photos.all():
            problems.append(_("A photo is required for this failure: %(item)s") % {"item": label})
    return problems


def _score(visit: Visit):
    answers = list(visit.answers.select_related("item"))
    clerk_ids = list(visit.clerks.values_list("pk", flat=True))
    judgements = [
        Judgement(
            clerk_id=a.clerk_id,
            failed=a.result == Answer.Result.FAIL,
            deduction=a.deduction,
            veto=a.item.is_veto,
        )
        for a in answers
    ]
    return compute_scores(judgements, clerk_ids)


@transaction.atomic(durable=True)
def submit_visit(*, actor, visit: Visit, version: int) -> Visit:
    """Submit a complete draft: every item answered (clerk items for every clerk observed), a photo
    on every failure of an item that requires one. Refuses an incomplete one (VisitIncomplete,
    listing what is missing). Computes the scores; tells nobody in the hall."""
    visit = lock_visit(visit, version)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    _require_draft(visit)
    problems = check_complete(visit)
    if problems:
        raise VisitIncomplete(_("The inspection is not complete."), problems=problems)
    scores = _score(visit)
    for clerk in visit.clerks.all():
        clerk.score = scores.clerks[clerk.pk]
        clerk.save(update_fields=["score"])
    _bump(
        visit,
        status=Visit.Status.SUBMITTED,
        submitted_at=timezone.now(),
        hall_score=scores.hall,
        vetoed=scores.vetoed,
    )
    _audit_visit(actor=actor, action="mystery.visit.submitted", visit=visit)
    return visit


def hall_manager_users(hall: Hall):
    return list(
        get_user_model()
        .objects.filter(memberships__role=Role.HALL_MANAGER, memberships__hall=hall, is_active=True)
        .distinct()
        .order_by("pk")
    )


def _visit_label(visit: Visit) -> str:
    return _("%(mode)s inspection of %(hall)s on %(day)s") % {
        "mode": visit.get_mode_display(),
        "hall": visit.hall.name,
        "day": timezone.localtime(visit.visited_at).date().isoformat(),
    }


def _facts_for(visit: Visit) -> list[FactInput]:
    return visit_score_facts(visit, visit.scores.all())


def visit_score_facts(visit: Visit, scores) -> list[FactInput]:
    """The score facts of a published visit: one per VisitScore row (a clerk observed, or a hall
    manager carrying the hall's score), dated the visit's local day, the row as evidence."""
    day = timezone.localtime(visit.visited_at).date()
    label = f"{visit.get_mode_display()} {visit.hall.code} {day.isoformat()} #{visit.pk}"
    return [
        FactInput(
            staff_id=score.staff_id,
            hall_id=visit.hall_id,
            occurred_on=day,
            source=Source.MYSTERY_SHOP,
            measure=Measure.MYSTERY_SHOP_SCORE,
            value=score.score,
            evidence_type=EvidenceType.VISIT_SCORE,
            evidence_id=score.pk,
            evidence_label=label,
        )
        for score in scores
    ]


def _write_scores(visit: Visit, scores) -> None:
    """One VisitScore per clerk observed and per hall manager of the hall (the hall's score),
    updated in place on a republish so the score facts keep their natural keys."""
    day = timezone.localtime(visit.visited_at).date()
    wanted: dict[int, tuple[str, Decimal]] = {}
    managers = Staff.objects.filter(
        hall=visit.hall, post=Staff.Post.HALL_MANAGER, hire_date__lte=day
    ).exclude(status=Staff.Status.LEFT)
    for staff_id in managers.values_list("pk", flat=True):
        wanted[staff_id] = (VisitScore.Kind.HALL, scores.hall)
    for clerk in visit.clerks.all():
        wanted[clerk.staff_id] = (VisitScore.Kind.CLERK, scores.clerks[clerk.pk])
    existing = {s.staff_id: s for s in visit.scores.all()}
    dropped = [row.pk for staff_id, row in existing.items() if staff_id not in wanted]
    if dropped:
        # A clerk taken off the visit after a reopen (or a manager who left): their score and its
        # fact go, so the month is computed from what the visit now says.
        withdraw_score_facts(evidence_type=EvidenceType.VISIT_SCORE, evidence_ids=dropped)
        VisitScore.objects.filter(pk__in=dropped).delete()
    for staff_id, (kind, value) in wanted.items():
        row = existing.get(staff_id)
        if row is None:
            VisitScore.objects.create(visit=visit, staff_id=staff_id, kind=kind, score=value)
        elif (row.kind, row.score) != (kind, value):
            row.kind, row.score = kind, value
            row.save(update_fields=["kind", "score"])


def _sync_rectifications(visit: Visit, owner, deadline: date) -> list[Rectification]:
    """A task per failed answer (kept across republishing); a task whose answer no longer fails is
    cancelled. Returns the tasks created now."""
    failed = list(visit.answers.filter(result=Answer.Result.FAIL).select_related("item", "clerk__staff"))
    existing = {r.answer_id: r for r in visit.rectifications.all()}
    created = []
    for answer in failed:
        task = existing.pop(answer.pk, None)
        if task is None:
            created.append(
                Rectification.objects.create(
                    visit=visit,
                    answer=answer,
                    hall=visit.hall,
                    owner=owner,
                    deadline=deadline,
                    required_evidence=_("Photo or note showing that “%(item)s” is put right.")
                    % {"item": answer.item.text},
                )
            )
        elif task.status == Rectification.Status.CANCELLED:
            task.status, task.deadline = Rectification.Status.OPEN, deadline
            task.version += 1
            task.save(update_fields=["status", "deadline", "version", "updated_at"])
    for task in existing.values():
        if task.status in (Rectification.Status.OPEN, Rectification.Status.SUBMITTED):
            task.status = Rectification.Status.CANCELLED
            task.version += 1
            task.save(update_fields=["status", "version", "updated_at"])
    return created


@transaction.atomic(durable=True)
def publish_visit(*, actor, visit: Visit, version: int, deadline: date | None = None) -> Visit:
    """Publish a submitted visit: it becomes visible to the hall; the scores become score facts
    (`mystery_shop_score`, evidence `visit_score`) for each clerk observed and for the hall's
    managers through assessment's record_score_facts — republishing after a reopen updates the same
    facts; each failed answer opens a rectification task (deadline: `deadline` or 7 days); the hall
    managers are notified. A month whose assessment is published refuses changed facts (FactsFrozen)."""
    visit = lock_visit(visit, version)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    if visit.status != Visit.Status.SUBMITTED:
        raise TransitionNotAllowed(_("Only a submitted inspection can be published."))
    scores = _score(visit)
    for clerk in visit.clerks.all():
        clerk.score = scores.clerks[clerk.pk]
        clerk.save(update_fields=["score"])
    now = timezone.now()
    republish = visit.first_published_at is not None
    _bump(
        visit,
        status=Visit.Status.PUBLISHED,
        published_at=now,
        first_published_at=visit.first_published_at or now,
        published_by=actor,
        hall_score=scores.hall,
        vetoed=scores.vetoed,
    )
    _write_scores(visit, scores)
    record_score_facts(facts=_facts_for(visit))
    managers = hall_manager_users(visit.hall)
    deadline = deadline or (timezone.localdate(now) + timedelta(days=RECTIFICATION_DAYS))
    created = _sync_rectifications(visit, managers[0] if managers else None, deadline)
    record_audit(
        actor=actor,
        action="mystery.visit.published",
        subject=visit,
        hall=visit.hall,
        data={"hall_score": str(scores.hall), "rectifications": len(created), "republished": republish},
    )
    send_notification(
        recipients=managers,
        kind="mystery_shop.published",
        subject=_("Inspection results: %(visit)s") % {"visit": _visit_label(visit)},
        body=_("Hall score %(score)s. Rectification tasks opened: %(n)s.")
        % {"score": scores.hall, "n": len(created)},
        url=reverse("assessment:mystery:visit-detail", kwargs={"pk": visit.pk}),
        hall=visit.hall,
        dedup_key=f"mystery_shop.published:{visit.pk}:{visit.version}",
    )
    return visit


@transaction.atomic(durable=True)
def reopen_visit(*, actor, visit: Visit, version: int, reason: str) -> Visit:
    """Return a published visit to draft for correction, with the reason (audited). It stays
    visible to the hall; its facts and tasks are updated when it is published again."""
    visit = lock_visit(visit, version)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    if visit.status != Visit.Status.PUBLISHED:
        raise TransitionNotAllowed(_("Only a published inspection can be reopened."))
    if not (reason or "").strip():
        raise VisitInvalid(_("Give the reason for reopening."), field="reason")
    _bump(visit, status=Visit.Status.DRAFT)
    record_audit(
        actor=actor,
        action="mystery.visit.reopened",
        subject=visit,
        hall=visit.hall,
        data={"reason": reason.strip()},
    )
    return visit


@transaction.atomic(durable=True)
def close_visit(*, actor, visit: Visit, version: int) -> Visit:
    """Close a published visit once every rectification task is accepted (or cancelled)."""
    visit = lock_visit(visit, version)
    require_permission(actor, "mystery.inspect", hall=visit.hall)
    if visit.status != Visit.Status.PUBLISHED:
        raise TransitionNotAllowed(_("Only a published inspection can be closed."))
    if visit.rectifications.filter(
        status__in=[Rectification.Status.OPEN, Rectification.Status.SUBMITTED]
    ).exists():
        raise TransitionNotAllowed(_("Some rectification tasks are not accepted yet."))
    _bump(visit, status=Visit.Status.CLOSED, closed_at=timezone.now())
    record_audit(actor=actor, action="mystery.visit.closed", subject=visit, hall=visit.hall)
    return visit


# --- Rectification ---------------------------------------------------------------------------------


def lock_rectification(task: Rectification, version: int | None) -> Rectification:
    locked = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("hall__region", "visit", "answer__item")
        .get(pk=task.pk)
    )
    if version is not None and locked.version != version:
        raise VersionConflict(
            _("This task was changed by someone else since you opened it. Nothing was saved; reload it.")
        )
    return locked


@transaction.atomic(durable=True)
def submit_rectification_evidence(
    *, actor, task: Rectification, version: int, note: str, photo=None
) -> Rectification:
    """The hall brings its evidence (a note, and a photo when it has one) for an open task."""
    task = lock_rectification(task, version)
    require_permission(actor, "mystery.rectify", hall=task.hall)
    if task.status != Rectification.Status.OPEN:
        raise TransitionNotAllowed(_("Evidence is brought for an open task only."))
    if not (note or "").strip():
        raise RectificationInvalid(_("Describe what was put right."), field="note")
    if photo is not None:
        clean = clean_photo(photo)
        if task.evidence_photo:
            old_storage, old_name = task.evidence_photo.storage, task.evidence_photo.name
            transaction.on_commit(lambda: old_storage.delete(old_name))
        task.evidence_photo.save(clean.content.name, clean.content, save=False)
    task.evidence_note = note.strip()
    task.status = Rectification.Status.SUBMITTED
    task.submitted_at = timezone.now()
    task.version += 1
    task.save()
    record_audit(actor=actor, action="mystery.rectification.submitted", subject=task, hall=task.hall)
    inspector = get_user_model().objects.filter(pk=task.visit.inspector_id)
    send_notification(
        recipients=list(inspector),
        kind="mystery_shop.rectification_submitted",
        subject=_("Rectification evidence to review: %(item)s") % {"item": task.answer.item.text},
        body=task.evidence_note,
        url=reverse("assessment:mystery:rectification-detail", kwargs={"pk": task.pk}),
        hall=task.hall,
        dedup_key=f"mystery_shop.rectification_submitted:{task.pk}:{task.version}",
    )
    return task


@transaction.atomic(durable=True)
def review_rectification(
    *, actor, task: Rectification, version: int, accept: bool, note: str = ""
) -> Rectification:
    """The inspector accepts the evidence (the task is done) or sends it back with a note."""
    task = lock_rectification(task, version)
    require_permission(actor, "mystery.inspect", hall=task.hall)
    if task.status != Rectification.Status.SUBMITTED:
        raise TransitionNotAllowed(_("There is no evidence to review."))
    if not accept and not (note or "").strip():
        raise RectificationInvalid(_("Say what is still missing."), field="note")
    task.review_note = (note or "").strip()[:500]
    if accept:
        task.status, task.accepted_at = Rectification.Status.ACCEPTED, timezone.now()
    else:
        task.status = Rectification.Status.OPEN
    task.version += 1
    task.save()
    record_audit(
        actor=actor,
        action="mystery.rectification.reviewed",
        subject=task,
        hall=task.hall,
        data={"accepted": accept, "note": task.review_note},
    )
    return task


@dataclass(frozen=True)
class ReminderResult:
    reminded: int
    escalated: int


def remind_rectifications(*, today: date | None = None) -> ReminderResult:
    """Remind owners of open tasks due tomorrow or overdue, and escalate tasks overdue by 3 days or
    more to the inspector and the branch managers. Each task is reminded once and escalated once:
    the send is claimed by a compare-and-set on `reminded_at` / `escalated_at`, so a second run (or
    two at once) sends nothing more."""
    today = today or timezone.localdate()
    reminded = escalated = 0
    due = Rectification.objects.filter(
        status=Rectification.Status.OPEN, deadline__lte=today + timedelta(days=1), reminded_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            if not Rectification.objects.filter(pk=pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            ):
                continue
            task = Rectification.objects.select_related("owner", "hall", "answer__item").get(pk=pk)
            send_notification(
                recipients=[task.owner] if task.owner else hall_manager_users(task.hall),
                kind="mystery_shop.rectification_due",
                subject=_("Rectification due %(day)s: %(item)s")
                % {"day": task.deadline, "item": task.answer.item.text},
                body=task.required_evidence,
                url=reverse("assessment:mystery:rectification-detail", kwargs={"pk": task.pk}),
                hall=task.hall,
                dedup_key=f"mystery_shop.rectification_due:{task.pk}",
            )
            reminded += 1
    late = Rectification.objects.filter(
        status=Rectification.Status.OPEN,
        deadline__lte=today - timedelta(days=ESCALATE_AFTER_DAYS),
        escalated_at__isnull=True,
    ).values_list("pk", flat=True)
    for pk in list(late):
        with transaction.atomic():
            if not Rectification.objects.filter(pk=pk, escalated_at__isnull=True).update(
                escalated_at=timezone.now()
            ):
                continue
            task = Rectification.objects.select_related(
                "hall__region", "visit__inspector", "answer__item"
            ).get(pk=pk)
            branch_managers = get_user_model().objects.filter(
                memberships__role=Role.BRANCH_MANAGER,
                memberships__region__path__in=_ancestor_paths(task.hall.region.path),
                is_active=True,
            )
            send_notification(
                recipients=[task.visit.inspector, *branch_managers],
                kind="mystery_shop.rectification_overdue",
                subject=_("Rectification overdue at %(hall)s: %(item)s")
                % {"hall": task.hall.name, "item": task.answer.item.text},
                body=_("Deadline was %(day)s.") % {"day": task.deadline},
                url=reverse("assessment:mystery:rectification-detail", kwargs={"pk": task.pk}),
                hall=task.hall,
                dedup_key=f"mystery_shop.rectification_overdue:{task.pk}",
            )
            escalated += 1
    return ReminderResult(reminded=reminded, escalated=escalated)


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]

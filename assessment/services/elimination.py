"""The bottom-elimination list (末位淘汰): generation from a published run, review, appeals, outcomes.

Cut-off and ties: the bottom N % of a post in the branch is everyone whose rank from the bottom
(RANK() over the eligible people by total ascending) is at most ceil(N % × eligible people of the
post); the bottom N per hall likewise within the hall and post. Equal totals share a rank, so all
people tied at the cut-off are listed (the list can be longer than the quota). Ineligible people
(probation, short service, long approved leave in the month) are left out before ranking.

What pages show: each entry stores its rank among the same eligible people, counted from the top
like every other rank (RANK() by total descending: tied people share the best rank), in the branch
and in the hall, and each rank-based reason names that rank, the group size, how many share the
total and how many places from the bottom the rule takes. So the rank shown beside an entry and
its reason describe one position in one group; "rank 1 of 6" on a list means all 6 are tied.
"""

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.exceptions import (
    AppealInvalid,
    EliminationRuleInvalid,
    EliminationStateError,
    EliminationVersionConflict,
    OutcomeInvalid,
)
from assessment.models import Appeal, EliminationEntry, EliminationList, EliminationRule, ResultRun
from assessment.services.compute import require_branch_permission
from halls.audit import record_audit
from halls.models import Tombstone, WebhookEvent
from halls.permissions import require_permission
from halls.scoping import scope_for
from halls.tombstones import record_tombstones
from halls.webhooks import emit_event

GENERATE_ENTRIES_SQL = """
WITH runs AS (
    SELECT id FROM assessment_resultrun
    WHERE branch_id = %(branch)s AND status = 'published' AND month BETWEEN %(first)s AND %(month)s
),
eligible AS (
    SELECT r.id AS result_id, r.staff_id, r.hall_id, r.post, r.month, r.total
    FROM assessment_monthlyresult r
    JOIN runs ON runs.id = r.run_id
    JOIN staffing_staff s ON s.id = r.staff_id
    WHERE NOT (%(exclude_probation)s AND s.status = 'probation')
      AND s.hire_date + make_interval(months => %(min_service)s) <= r.month + interval '1 month'
      AND (
        %(max_leave)s::integer IS NULL
        OR COALESCE((
            SELECT sum(LEAST(l.end_date, (r.month + interval '1 month - 1 day')::date)
                       - GREATEST(l.start_date, r.month) + 1)
            FROM staffing_leave l
            WHERE l.staff_id = r.staff_id AND l.approved
              AND l.start_date < r.month + interval '1 month' AND l.end_date >= r.month
        ), 0) < %(max_leave)s::integer
      )
),
ranked AS (
    SELECT e.*,
        RANK() OVER (PARTITION BY e.month, e.post ORDER BY e.total) AS rank_up,
        RANK() OVER (PARTITION BY e.month, e.post ORDER BY e.total DESC) AS rank_down,
        COUNT(*) OVER (PARTITION BY e.month, e.post) AS ranked,
        COUNT(*) OVER (PARTITION BY e.month, e.post, e.total) AS tied,
        RANK() OVER (PARTITION BY e.month, e.hall_id, e.post ORDER BY e.total) AS hall_rank_up,
        RANK() OVER (PARTITION BY e.month, e.hall_id, e.post ORDER BY e.total DESC) AS hall_rank_down,
        COUNT(*) OVER (PARTITION BY e.month, e.hall_id, e.post) AS hall_ranked,
        COUNT(*) OVER (PARTITION BY e.month, e.hall_id, e.post, e.total) AS hall_tied
    FROM eligible e
),
flagged AS (
    SELECT ranked.*,
        ceil(ranked * %(percent)s::numeric / 100)::integer AS places,
        COALESCE(rank_up <= ceil(ranked * %(percent)s::numeric / 100), false) AS by_percent,
        COALESCE(hall_rank_up <= %(per_hall)s::integer, false) AS by_hall,
        COALESCE(total < %(below)s::numeric, false) AS by_total
    FROM ranked
),
bottom AS (
    SELECT flagged.*,
        COUNT(*) FILTER (WHERE by_percent OR by_hall OR by_total) OVER (PARTITION BY staff_id) AS bottom_months
    FROM flagged
)
INSERT INTO assessment_eliminationentry
    (elimination_list_id, result_id, staff_id, hall_id, reasons,
     rank_among_eligible, eligible_count, hall_rank_among_eligible, hall_eligible_count,
     status, outcome, outcome_note, created_at, updated_at)
SELECT %(list)s, result_id, staff_id, hall_id,
    (SELECT COALESCE(jsonb_agg(x), '[]'::jsonb) FROM (VALUES
        (CASE WHEN by_percent THEN jsonb_build_object(
            'rule', 'bottom_percent', 'percent', %(percent)s::numeric,
            'rank_from_bottom', rank_up, 'ranked', ranked,
            'rank', rank_down, 'tied', tied, 'places', places) END),
        (CASE WHEN by_hall THEN jsonb_build_object(
            'rule', 'bottom_per_hall', 'per_hall', %(per_hall)s::integer, 'rank_from_bottom', hall_rank_up,
            'rank', hall_rank_down, 'ranked', hall_ranked, 'tied', hall_tied) END),
        (CASE WHEN by_total THEN jsonb_build_object(
            'rule', 'total_below', 'threshold', %(below)s::numeric, 'total', total) END),
        (CASE WHEN %(months)s::integer IS NOT NULL THEN jsonb_build_object(
            'rule', 'consecutive_months', 'months', %(months)s::integer) END)
    ) AS v(x) WHERE x IS NOT NULL),
    rank_down, ranked, hall_rank_down, hall_ranked,
    'listed', '', '', now(), now()
FROM bottom
WHERE month = %(month)s
  AND (by_percent OR by_hall OR by_total)
  AND bottom_months >= COALESCE(%(months)s::integer, 1)
"""


# Versions of what a page showed: a digest of the rows' ids, states and updated_at (every change
# touches updated_at through a trigger, and appeals are only ever added), so any change since the
# page was rendered changes it. A digest rather than max(updated_at): a transaction that started
# earlier can commit later with an older now().
_VERSION_SQL = {
    "list": """
        SELECT left(md5(concat_ws('|', l.status, l.updated_at,
            (SELECT string_agg(e.id || '@' || e.status || e.outcome || e.updated_at, ',' ORDER BY e.id)
             FROM assessment_eliminationentry e WHERE e.elimination_list_id = l.id),
            (SELECT string_agg(a.id || '@' || a.status || a.updated_at, ',' ORDER BY a.id)
             FROM assessment_appeal a JOIN assessment_eliminationentry e ON e.id = a.entry_id
             WHERE e.elimination_list_id = l.id))), 16)
        FROM assessment_eliminationlist l WHERE l.id = %s
    """,
    "entry": """
        SELECT left(md5(concat_ws('|', l.status, e.status, e.outcome, e.updated_at,
            (SELECT string_agg(a.id || '@' || a.status || a.updated_at, ',' ORDER BY a.id)
             FROM assessment_appeal a WHERE a.entry_id = e.id))), 16)
        FROM assessment_eliminationentry e
        JOIN assessment_eliminationlist l ON l.id = e.elimination_list_id WHERE e.id = %s
    """,
    "appeal": """
        SELECT left(md5(concat_ws('|', l.status, e.status, a.status, a.updated_at)), 16)
        FROM assessment_appeal a
        JOIN assessment_eliminationentry e ON e.id = a.entry_id
        JOIN assessment_eliminationlist l ON l.id = e.elimination_list_id WHERE a.id = %s
    """,
}


def elimination_version(kind: str, pk: int) -> str:
    """The version of a list, an entry (with its appeals) or an appeal, as a page posts it back
    (one query). `kind` is "list", "entry" or "appeal"."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL[kind], [pk])
        row = cursor.fetchone()
    return row[0] if row else ""


def _check_version(kind: str, pk: int, expected: str | None) -> None:
    """Refuse a change made from a page that showed an older state (call with the rows locked)."""
    if expected is not None and expected != elimination_version(kind, pk):
        raise EliminationVersionConflict(
            _("Someone changed this in the meantime; the page now shows the current state.")
        )


@transaction.atomic
def set_elimination_rule(
    *,
    branch,
    actor,
    bottom_percent=None,
    bottom_per_hall: int | None = None,
    total_below=None,
    consecutive_months: int | None = None,
    exclude_probation: bool = True,
    min_service_months: int = 0,
    max_leave_days: int | None = None,
) -> EliminationRule:
    """Create or replace the branch's elimination rule; lists generated from now on use it (a list
    keeps the rule it was generated with in `rule_snapshot`). Refuses a rule with no criterion
    (EliminationRuleInvalid); the database refuses out-of-range figures. Needs
    elimination.manage_rule over the branch."""
    require_branch_permission(actor, "elimination.manage_rule", branch)
    if bottom_percent is None and bottom_per_hall is None and total_below is None:
        raise EliminationRuleInvalid(
            _("Choose at least one of bottom percent, bottom per hall or total below.")
        )
    rule, _created = EliminationRule.objects.update_or_create(
        branch=branch,
        defaults={
            "bottom_percent": bottom_percent,
            "bottom_per_hall": bottom_per_hall,
            "total_below": total_below,
            "consecutive_months": consecutive_months,
            "exclude_probation": exclude_probation,
            "min_service_months": min_service_months,
            "max_leave_days": max_leave_days,
        },
    )
    record_audit(
        actor=actor, action="assessment.elimination.rule_set", subject=rule, data=_rule_snapshot(rule)
    )
    return rule


def _months_before(month, count: int):
    year, index = divmod(month.year * 12 + month.month - 1 - count, 12)
    return month.replace(year=year, month=index + 1)


def _rule_snapshot(rule: EliminationRule) -> dict:
    return {
        "bottom_percent": None if rule.bottom_percent is None else str(rule.bottom_percent),
        "bottom_per_hall": rule.bottom_per_hall,
        "total_below": None if rule.total_below is None else str(rule.total_below),
        "consecutive_months": rule.consecutive_months,
        "exclude_probation": rule.exclude_probation,
        "min_service_months": rule.min_service_months,
        "max_leave_days": rule.max_leave_days,
    }


@transaction.atomic
def generate_elimination_list(*, run: ResultRun, actor=None) -> EliminationList | None:
    """Generate the list of a published run from its branch's EliminationRule, in one INSERT … SELECT
    with window functions over the published MonthlyResult rows (this month and, with
    `consecutive_months` K, the K − 1 before). Returns None when the run is not published or the
    branch has no rule. Idempotent: when the run already has a list, it is returned unchanged and
    nothing is written. `actor` None is the system (the task after publishing); a person needs
    elimination.review over the branch."""
    if actor is not None:
        require_branch_permission(actor, "elimination.review", run.branch)
    run = ResultRun.objects.select_for_update().select_related("branch").get(pk=run.pk)
    existing = EliminationList.objects.filter(run=run).first()
    if existing is not None:
        return existing
    rule = EliminationRule.objects.filter(branch_id=run.branch_id).first()
    if run.status != ResultRun.Status.PUBLISHED or rule is None:
        return None
    elimination_list = EliminationList.objects.create(
        run=run, month=run.month, rule_snapshot=_rule_snapshot(rule)
    )
    months = rule.consecutive_months
    with connection.cursor() as cursor:
        cursor.execute(
            GENERATE_ENTRIES_SQL,
            {
                "branch": run.branch_id,
                "month": run.month,
                "first": _months_before(run.month, (months or 1) - 1),
                "exclude_probation": rule.exclude_probation,
                "min_service": rule.min_service_months,
                "max_leave": rule.max_leave_days,
                "percent": rule.bottom_percent,
                "per_hall": rule.bottom_per_hall,
                "below": rule.total_below,
                "months": months,
                "list": elimination_list.pk,
            },
        )
        listed = cursor.rowcount
    record_audit(
        actor=actor,
        action="assessment.elimination.generated",
        subject=elimination_list,
        data={"branch": run.branch.code, "month": f"{run.month:%Y-%m}", "listed": listed},
    )
    return elimination_list


def _locked_list(elimination_list: EliminationList) -> EliminationList:
    return (
        EliminationList.objects.select_for_update().select_related("run__branch").get(pk=elimination_list.pk)
    )


@transaction.atomic
def start_review(
    *, elimination_list: EliminationList, actor, expected_version: str | None = None
) -> EliminationList:
    """Open a generated list for review: hall managers and clerks see it and may appeal.
    Refuses any other state (EliminationStateError) and, given `expected_version`, a list changed
    since (EliminationVersionConflict). Needs elimination.review over the branch."""
    elimination_list = _locked_list(elimination_list)
    require_branch_permission(actor, "elimination.review", elimination_list.run.branch)
    _check_version("list", elimination_list.pk, expected_version)
    if elimination_list.status != EliminationList.Status.GENERATED:
        raise EliminationStateError(_("Only a generated list can be put under review."))
    elimination_list.status = EliminationList.Status.UNDER_REVIEW
    elimination_list.save(update_fields=["status", "updated_at"])
    record_audit(actor=actor, action="assessment.elimination.review_started", subject=elimination_list)
    return elimination_list


@transaction.atomic
def confirm_elimination_list(
    *, elimination_list: EliminationList, actor, expected_version: str | None = None
) -> EliminationList:
    """Confirm a list under review; from now on HR sees it and outcomes can be recorded. Refuses a
    list not under review and one with pending appeals (EliminationStateError) and, given
    `expected_version`, a list changed since (EliminationVersionConflict). Needs
    elimination.confirm over the branch."""
    elimination_list = _locked_list(elimination_list)
    require_branch_permission(actor, "elimination.confirm", elimination_list.run.branch)
    _check_version("list", elimination_list.pk, expected_version)
    if elimination_list.status != EliminationList.Status.UNDER_REVIEW:
        raise EliminationStateError(_("Only a list under review can be confirmed."))
    if Appeal.objects.filter(entry__elimination_list=elimination_list, status=Appeal.Status.PENDING).exists():
        raise EliminationStateError(_("Decide the pending appeals before confirming the list."))
    now = timezone.now()
    elimination_list.status = EliminationList.Status.CONFIRMED
    elimination_list.confirmed_by, elimination_list.confirmed_at = actor, now
    elimination_list.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
    # HR pages entries by updated_at: the confirmed list's entries become new to them now.
    EliminationEntry.objects.filter(elimination_list=elimination_list).update(updated_at=now)
    record_audit(actor=actor, action="assessment.elimination.confirmed", subject=elimination_list)
    branch = elimination_list.run.branch
    emit_event(
        event=WebhookEvent.ELIMINATION_CONFIRMED,
        region=branch,
        data={
            "elimination_list": elimination_list.pk,
            "branch": branch.code,
            "month": elimination_list.run.month.isoformat(),
            "entries": EliminationEntry.objects.filter(elimination_list=elimination_list)
            .exclude(status=EliminationEntry.Status.REMOVED_ON_APPEAL)
            .count(),
        },
    )
    return elimination_list


def _locked_entry(entry: EliminationEntry) -> EliminationEntry:
    return (
        EliminationEntry.objects.select_for_update()
        .select_related("elimination_list__run__branch", "hall__region")
        .get(pk=entry.pk)
    )


@transaction.atomic
def file_appeal(
    *, entry: EliminationEntry, actor, reason: str, expected_version: str | None = None
) -> Appeal:
    """File an appeal against a listed entry of a list under review. The clerk may appeal only their
    own entry, a hall manager the entries of their hall (elimination.appeal). Refuses an empty reason,
    a removed entry, a second pending appeal (AppealInvalid), a list not under review
    (EliminationStateError) and, given `expected_version`, an entry changed since
    (EliminationVersionConflict)."""
    entry = _locked_entry(entry)
    require_permission(actor, "elimination.appeal", hall=entry.hall)
    scope = scope_for(actor)
    if (
        not scope.sees_everything
        and entry.hall_id not in scope.managed_hall_ids
        and scope.own_staff_id != entry.staff_id
    ):
        raise PermissionDenied("elimination.appeal")
    _check_version("entry", entry.pk, expected_version)
    if entry.elimination_list.status != EliminationList.Status.UNDER_REVIEW:
        raise EliminationStateError(_("Appeals are filed while the list is under review."))
    if entry.status != EliminationEntry.Status.LISTED:
        raise AppealInvalid(_("This entry was already removed."))
    if not reason.strip():
        raise AppealInvalid(_("Give the reason for the appeal."))
    if entry.appeals.filter(status=Appeal.Status.PENDING).exists():
        raise AppealInvalid(_("An appeal against this entry is already pending."))
    appeal = Appeal.objects.create(entry=entry, filed_by=actor, reason=reason.strip())
    record_audit(actor=actor, action="assessment.elimination.appeal_filed", subject=appeal, hall=entry.hall)
    return appeal


@transaction.atomic
def decide_appeal(
    *, appeal: Appeal, actor, upheld: bool, decision_reason: str, expected_version: str | None = None
) -> Appeal:
    """Decide a pending appeal with a written reason. Upheld: the entry becomes `removed_on_appeal`
    (the row stays and its updated_at moves, so HR sync sees the withdrawal). Refuses a decided
    appeal, an empty reason (AppealInvalid), a confirmed list (EliminationStateError) and, given
    `expected_version`, an appeal changed since (EliminationVersionConflict). Needs
    elimination.decide_appeal over the branch."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    entry = _locked_entry(appeal.entry)
    require_branch_permission(actor, "elimination.decide_appeal", entry.elimination_list.run.branch)
    _check_version("appeal", appeal.pk, expected_version)
    if entry.elimination_list.status != EliminationList.Status.UNDER_REVIEW:
        raise EliminationStateError(_("Appeals are decided while the list is under review."))
    if appeal.status != Appeal.Status.PENDING:
        raise AppealInvalid(_("This appeal was already decided."))
    if not decision_reason.strip():
        raise AppealInvalid(_("Give the reason for the decision."))
    appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
    appeal.decided_by, appeal.decided_at, appeal.decision_reason = (
        actor,
        timezone.now(),
        decision_reason.strip(),
    )
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"])
    if upheld:
        entry.status = EliminationEntry.Status.REMOVED_ON_APPEAL
        entry.save(update_fields=["status", "updated_at"])
        record_tombstones(
            resource=Tombstone.Resource.ELIMINATION_ENTRY,
            rows=[(entry.pk, entry.hall_id)],
            reason=Tombstone.Reason.REMOVED_ON_APPEAL,
        )
    record_audit(
        actor=actor,
        action="assessment.elimination.appeal_decided",
        subject=appeal,
        hall=entry.hall,
        data={"status": appeal.status, "entry": entry.pk},
    )
    return appeal


@transaction.atomic
def record_outcome(
    *, entry: EliminationEntry, actor, outcome: str, note: str = "", expected_version: str | None = None
) -> EliminationEntry:
    """Record what happens to a listed person of a confirmed list (improvement plan, warning,
    dismissal) with a note; a later call replaces it. Refuses an unknown outcome, a removed entry
    (OutcomeInvalid), a list not confirmed (EliminationStateError) and, given `expected_version`,
    an entry changed since (EliminationVersionConflict). Needs elimination.record_outcome over
    the branch."""
    entry = _locked_entry(entry)
    require_branch_permission(actor, "elimination.record_outcome", entry.elimination_list.run.branch)
    _check_version("entry", entry.pk, expected_version)
    if entry.elimination_list.status != EliminationList.Status.CONFIRMED:
        raise EliminationStateError(_("Outcomes are recorded on confirmed lists only."))
    if entry.status != EliminationEntry.Status.LISTED:
        raise OutcomeInvalid(_("This entry was removed on appeal."))
    if outcome not in EliminationEntry.Outcome.values:
        raise OutcomeInvalid(_("Choose an improvement plan, a warning or dismissal."))
    entry.outcome, entry.outcome_note = outcome, note.strip()
    entry.outcome_recorded_by, entry.outcome_recorded_at = actor, timezone.now()
    entry.save(
        update_fields=["outcome", "outcome_note", "outcome_recorded_by", "outcome_recorded_at", "updated_at"]
    )
    record_audit(
        actor=actor,
        action="assessment.elimination.outcome_recorded",
        subject=entry,
        data={"outcome": outcome},
    )
    return entry

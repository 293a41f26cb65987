"""Publishing a run: the numbers become visible and frozen, and star levels move."""

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.exceptions import MonthBeingComputed, MonthNotEnded, RunNotPublishable
from assessment.models import MonthlyResult, ResultRun, StarLevelChange
from assessment.services.compute import _lock_key, input_fingerprint, require_branch_permission
from halls.audit import record_audit
from halls.models import WebhookEvent
from halls.webhooks import emit_event
from staffing.services import apply_star_levels


@transaction.atomic
def publish_results(*, run: ResultRun, actor) -> ResultRun:
    """Publish a draft run of a branch's month: clerks, hall managers and the API see it from now
    on, its rows are frozen (database triggers refuse any change), and each person's star level
    moves to the run's proposal, with a StarLevelChange row for every change.

    Refuses (RunNotPublishable): a run that is not a draft, a draft with a newer version, a month
    when a later month of the branch is already published, and a draft whose inputs changed since
    it was computed (facts, postings, star levels, schemes, history): compute again first.
    Refuses (MonthNotEnded) a month that has not ended on the local date (Asia/Shanghai): a month in
    progress can be computed as a preview, never published. Refuses while the month is being computed (MonthBeingComputed). Needs assessment.publish over the branch.
    """
    require_branch_permission(actor, "assessment.publish", run.branch)
    run = ResultRun.objects.select_for_update().select_related("branch").get(pk=run.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_key(run.branch_id, run.month)])
        if not cursor.fetchone()[0]:
            raise MonthBeingComputed(_("This month is being computed right now."))
    if run.status != ResultRun.Status.DRAFT:
        raise RunNotPublishable(_("Only a draft can be published."))
    if not run.month_has_ended:
        raise MonthNotEnded(
            _("%(month)s has not ended yet: its results are a preview and can be published from %(day)s on.")
            % {"month": f"{run.month:%Y-%m}", "day": f"{run.publishable_from:%Y-%m-%d}"}
        )
    siblings = ResultRun.objects.filter(branch_id=run.branch_id)
    if (
        siblings.filter(month=run.month, version__gt=run.version)
        .exclude(status=ResultRun.Status.FAILED)
        .exists()
    ):
        raise RunNotPublishable(_("A newer version of this month exists."))
    if siblings.filter(month__gt=run.month, status=ResultRun.Status.PUBLISHED).exists():
        raise RunNotPublishable(_("A later month is already published."))
    fingerprint, _revision = input_fingerprint(branch=run.branch, month=run.month)
    if fingerprint != run.input_hash:
        raise RunNotPublishable(_("The inputs changed since this version was computed; compute it again."))

    # Sync clients page by updated_at: the rows become new to them now.
    MonthlyResult.objects.filter(run=run).update(updated_at=timezone.now())
    run.status = ResultRun.Status.PUBLISHED
    run.published_at = timezone.now()
    run.published_by = actor
    run.save(update_fields=["status", "published_at", "published_by", "updated_at"])

    moves = list(
        MonthlyResult.objects.filter(run=run)
        .exclude(proposed_star_level=F("star_level_before"))
        .values_list("staff_id", "star_level_before", "proposed_star_level", "average_total")
    )
    StarLevelChange.objects.bulk_create(
        [
            StarLevelChange(
                staff_id=staff_id, run=run, month=run.month, from_level=before, to_level=to, average_total=avg
            )
            for staff_id, before, to, avg in moves
        ],
        batch_size=5000,
    )
    changed = apply_star_levels(actor=actor, levels={staff_id: to for staff_id, _b, to, _a in moves})
    record_audit(
        actor=actor,
        action="assessment.results.published",
        subject=run,
        data={
            "branch": run.branch.code,
            "month": f"{run.month:%Y-%m}",
            "version": run.version,
            "staff": run.staff_count,
            "star_level_changes": changed,
        },
    )
    emit_event(
        event=WebhookEvent.MONTH_PUBLISHED,
        region=run.branch,
        data={
            "run": run.pk,
            "branch": run.branch.code,
            "month": f"{run.month:%Y-%m}",
            "version": run.version,
            "staff": run.staff_count,
        },
    )
    from assessment.tasks import generate_elimination_list_task  # tasks import the services

    transaction.on_commit(lambda: generate_elimination_list_task.delay(run.pk))
    return run

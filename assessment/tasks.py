"""Celery tasks of assessment: thin wrappers that load ids and call services."""

import logging
from datetime import date

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from assessment.exceptions import MonthAlreadyPublished, MonthBeingComputed, NoSchemeInForce
from assessment.models import ResultRun
from assessment.services import compute_month_results
from assessment.services.compute import add_months
from assessment.services.elimination import generate_elimination_list
from halls.models import Region

logger = logging.getLogger(__name__)


def branches_to_compute(month: date) -> list[int]:
    """Ids of the branches whose `month` has no run computing or published yet, by code."""
    busy = ResultRun.objects.filter(
        month=month, status__in=[ResultRun.Status.COMPUTING, ResultRun.Status.PUBLISHED]
    ).values("branch_id")
    return list(
        Region.objects.filter(kind=Region.Kind.BRANCH)
        .exclude(pk__in=busy)
        .order_by("code")
        .values_list("pk", flat=True)
    )


@shared_task(name="assessment.tasks.compute_previous_month", time_limit=300, soft_time_limit=270)
def compute_previous_month(today: str | None = None) -> list[int]:
    """Beat, on the 2nd of each month (Asia/Shanghai): fan out one compute_month_results_task per
    branch for the previous month and return the branch ids queued. A branch whose month already
    has a run computing or published is skipped, so a second run queues only what is still missing
    (and a queued compute of unchanged inputs writes nothing)."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    month = add_months(day.replace(day=1), -1)
    branch_ids = branches_to_compute(month)
    for branch_id in branch_ids:
        compute_month_results_task.delay(branch_id, month.isoformat())
    return branch_ids


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(MonthBeingComputed,),
    retry_backoff=15,
    retry_backoff_max=300,
    max_retries=20,
    time_limit=60 * 30,
    soft_time_limit=60 * 25,
)
def compute_month_results_task(self, branch_id: int, month_iso: str, actor_id: int | None = None) -> int:
    """Compute a branch's month (see assessment.services.compute_month_results) and return the run id.

    Safe to run twice: unchanged inputs return the existing draft and write nothing. A worker lost
    mid-run is redelivered (acks late) and the retry completes the stale `computing` run; a run of
    the same month already in progress makes this retry with back-off."""
    branch = Region.objects.get(pk=branch_id)
    actor = get_user_model().objects.get(pk=actor_id) if actor_id else None
    try:
        run = compute_month_results(branch=branch, month=date.fromisoformat(month_iso), actor=actor)
    except (MonthAlreadyPublished, NoSchemeInForce) as exc:
        # A refusal (e.g. the month was published after the page queued this): no run was created,
        # so the runs page has nothing to show. Log it and fail the task (never swallowed); pages
        # and the API check the same refusals before queuing, beside the month field.
        logger.error(
            "compute of branch %s month %s refused: %s",
            branch.code,
            month_iso,
            exc.message,
            extra={"branch": branch.code, "month": month_iso, "actor": actor_id},
        )
        raise
    return run.pk


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generate_elimination_list_task(run_id: int) -> int | None:
    """Generate the bottom-elimination list of a published run (queued on commit by publish_results)
    and return the list id, or None when the branch has no rule. Safe to run twice: a run's list is
    generated once and a rerun writes nothing."""
    elimination_list = generate_elimination_list(run=ResultRun.objects.get(pk=run_id))
    return elimination_list.pk if elimination_list is not None else None

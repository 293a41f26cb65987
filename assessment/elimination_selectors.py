"""Reads of the bottom-elimination list for the API: visibility applied, joins prefetched."""

from django.db.models import Prefetch

from assessment.models import Appeal, EliminationEntry, EliminationList


def elimination_entries(*, user):
    """Entries the user sees (HR: of confirmed lists; hall managers: their halls'; clerks: their own),
    with the person, hall, result, list and appeals loaded: a fixed number of queries per page."""
    return (
        EliminationEntry.objects.visible_to(user)
        .select_related("staff", "hall", "result", "elimination_list__run__branch")
        .prefetch_related(Prefetch("appeals", queryset=Appeal.objects.order_by("created_at")))
    )


def elimination_lists(*, user):
    """Lists the user sees (see EliminationList.objects.visible_to) with the entries the user sees."""
    entries = (
        EliminationEntry.objects.visible_to(user)
        .select_related("staff", "hall", "result")
        .prefetch_related(Prefetch("appeals", queryset=Appeal.objects.order_by("created_at")))
        .order_by("staff__employee_no")
    )
    return (
        EliminationList.objects.visible_to(user)
        .select_related("run__branch")
        .prefetch_related(Prefetch("entries", queryset=entries))
    )


def appeals(*, user):
    """Appeals against the entries the user sees."""
    return Appeal.objects.visible_to(user).select_related(
        "entry__hall__region", "entry__elimination_list__run__branch"
    )

"""Tombstones: how a sync client learns that a row left a resource (deleted, closed,
revoked, moved out of its scope). The apps' services call these inside their own transaction, so
a tombstone exists exactly when the removal does.

The sync contract (also in the OpenAPI descriptions): a client pages `/api/v1/<resource>/` and
`/api/v1/<resource>/deleted/` with `updated_since` and the (updated_at, id) cursor. A tombstone
says "drop object `id` as of `deleted_at`"; of a tombstone and a live row of the same id, the one
with the later time wins. Both times come from the database clock: a service writes the tombstone
after the change that removes a row (a person leaving) and before the change that moves it (a
transfer, so the live row in the new hall is the later one).
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from halls.models import Tombstone


def record_tombstones(*, resource: str, rows: Iterable[tuple[int, int]], reason: str) -> int:
    """Write one tombstone per (object id, hall id) in one INSERT; returns how many."""
    created = Tombstone.objects.bulk_create(
        [Tombstone(resource=resource, object_id=pk, hall_id=hall_id, reason=reason) for pk, hall_id in rows]
    )
    return len(created)


def delete_with_tombstones(
    queryset: QuerySet, *, resource: str, hall_field: str, reason: str = Tombstone.Reason.DELETED
) -> int:
    """Delete the queryset's rows and leave a tombstone for each (two queries plus the DELETE).
    `hall_field` is the lookup from a row to its hall id, e.g. "roster__hall_id"."""
    rows = list(queryset.values_list("pk", hall_field))
    if not rows:
        return 0
    record_tombstones(resource=resource, rows=rows, reason=reason)
    queryset.model.objects.filter(pk__in=[pk for pk, _hall in rows]).delete()
    return len(rows)

"""The `deleted/` endpoint every HR-facing sync resource offers next to its list, and the sync
contract it documents in the OpenAPI schema."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.fields import DateTimeField

from halls.models import Tombstone

SYNC_CONTRACT = (
    "Incremental sync contract: page the live list and this `deleted/` list with the same "
    "`updated_since` (ISO 8601) and follow `next` until it is null; both are ordered by "
    "(updated_at, id) with an opaque cursor, so no row is skipped or repeated when rows change "
    "while you page (a changed row moves behind the cursor and comes again later). Remember the "
    "greatest `updated_at` / `deleted_at` you saw and pass it as `updated_since` next time. "
    "A tombstone means: drop object `id` from your copy as of `deleted_at` (deleted, withdrawn, "
    "closed, revoked, or moved out of your regions). A live row whose `updated_at` is later "
    "than a tombstone of the same id is current again. Tombstones are kept indefinitely."
)


class TombstoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="object_id", help_text="The id of the removed object.")
    hall = serializers.IntegerField(source="hall_id", help_text="The hall the object belonged to.")
    reason = serializers.ChoiceField(choices=Tombstone.Reason.choices)
    deleted_at = serializers.DateTimeField(source="updated_at")


class TombstonePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = TombstoneSerializer(many=True)


class DeletedRowsMixin:
    """Adds `GET <resource>/deleted/` to a list viewset: the tombstones of `tombstone_resource`
    in halls the caller sees, paged like the list. Checked with the view's "list" permission."""

    tombstone_resource: str

    @extend_schema(
        summary="Removed rows (tombstones) for incremental sync",
        description=SYNC_CONTRACT,
        filters=False,
        parameters=[
            OpenApiParameter(
                "updated_since", OpenApiTypes.DATETIME, description="Only tombstones at or after this time."
            ),
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="Opaque cursor from the previous page's `next`."
            ),
            OpenApiParameter(
                "page_size", OpenApiTypes.INT, description="Rows per page, 1–1000 (default 100)."
            ),
        ],
        responses=TombstonePageSerializer,
    )
    @action(detail=False, methods=["get"], url_path="deleted", filterset_class=None)
    def deleted(self, request):
        rows = Tombstone.objects.visible_to(request.user).filter(resource=self.tombstone_resource)
        rows = _narrow_for_clerks(rows, request.user, self.tombstone_resource)
        raw = request.query_params.get("updated_since")
        if raw:
            try:
                since = DateTimeField().to_internal_value(raw)
            except ValidationError as exc:
                raise ValidationError({"updated_since": [_("Enter a valid date/time (ISO 8601).")]}) from exc
            rows = rows.filter(updated_at__gte=since)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(TombstoneSerializer(page, many=True).data)


def _narrow_for_clerks(rows, user, resource: str):
    """A clerk sees their hall's roster but of people only themselves: of the person-bound
    resources they get their own staff record's tombstone and nobody else's removals."""
    from halls.scoping import scope_for

    scope = scope_for(user)
    if scope.sees_everything or scope.managed_hall_ids or scope.region_paths:
        return rows
    if resource == Tombstone.Resource.ASSIGNMENT:
        return rows
    if resource == Tombstone.Resource.STAFF and scope.own_staff_id:
        return rows.filter(object_id=scope.own_staff_id)
    return rows.none()

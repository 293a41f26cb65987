"""Keyset pagination on (updated_at, id) for sync clients.

The cursor is the (updated_at, id) of the last row of the page, so a page never
repeats or skips a row because rows were inserted before the cursor. A row
changed while a client pages moves behind the cursor and is seen again later,
with its new values.
"""

import base64
import json
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class UpdatedCursorPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 100
    max_page_size = 1000

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError as exc:
            raise ValidationError({self.page_size_query_param: [_("Must be a whole number.")]}) from exc
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [_("Must be between 1 and 1000.")]})
        return size

    @staticmethod
    def encode(updated_at: datetime, pk: int) -> str:
        raw = json.dumps([updated_at.isoformat(), pk]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode(cursor: str) -> tuple[datetime, int]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            stamp, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
            return datetime.fromisoformat(stamp), int(pk)
        except (ValueError, TypeError) as exc:
            raise ValidationError({"cursor": [_("Invalid cursor.")]}) from exc

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        queryset = queryset.order_by("updated_at", "id")
        if cursor:
            stamp, pk = self.decode(cursor)
            queryset = queryset.filter(Q(updated_at__gt=stamp) | Q(updated_at=stamp, id__gt=pk))
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        self.page = rows[:size]
        return self.page

    def get_next_link(self):
        if not self.has_next:
            return None
        last = self.page[-1]
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.encode(last.updated_at, last.pk))

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque cursor from the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": "Rows per page, 1–1000 (default 100).",
                "schema": {"type": "integer"},
            },
        ]

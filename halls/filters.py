"""Filters shared by list APIs and pages."""

from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from halls.models import Hall, Region


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant, turned into UTC here: PostgreSQL refuses offsets past ±15:59, and an
    instant that overflows on conversion (near year 1 or 9999) is invalid input: a 400, never a 500."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class UpdatedSinceFilterSet(django_filters.FilterSet):
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("updated since (ISO 8601)")
    )


def filter_region_subtree(queryset, field_prefix: str, code: str):
    region = Region.objects.filter(code=code).only("path").first()
    if region is None:
        return queryset.none()
    return queryset.filter(**{f"{field_prefix}path__startswith": region.path})


class HallFilterSet(UpdatedSinceFilterSet):
    region = django_filters.CharFilter(method="filter_region", label=_("region code (includes its subtree)"))
    hall_class = django_filters.ChoiceFilter(choices=Hall.HallClass.choices)
    operation = django_filters.ChoiceFilter(choices=Hall.Operation.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Hall
        fields = ["region", "hall_class", "operation", "is_active", "updated_since"]

    def filter_region(self, queryset, name, value):
        return filter_region_subtree(queryset, "region__", value)

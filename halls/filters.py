"""Filters shared by list APIs and pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from halls.models import Hall, Region


class UpdatedSinceFilterSet(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(
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

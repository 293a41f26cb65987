"""Filters of the rostering list APIs."""

import django_filters
from django.utils.translation import gettext_lazy as _

from halls.filters import UpdatedSinceFilterSet
from staffing.models import Assignment, Roster, ShiftType


class ShiftTypeFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))

    class Meta:
        model = ShiftType
        fields = ["hall", "is_active", "updated_since"]


class RosterFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))
    status = django_filters.ChoiceFilter(choices=Roster.Status.choices)
    date_from = django_filters.DateFilter(
        field_name="period_end", lookup_expr="gte", label=_("covers dates from")
    )
    date_to = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label=_("covers dates until")
    )

    class Meta:
        model = Roster
        fields = ["hall", "status", "date_from", "date_to", "updated_since"]


class AssignmentFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(field_name="roster__hall__code", label=_("hall code"))
    roster = django_filters.NumberFilter(field_name="roster_id")
    staff = django_filters.NumberFilter(field_name="staff_id", label=_("staff id"))
    employee_no = django_filters.CharFilter(field_name="staff__employee_no", label=_("employee number"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("from date"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("until date"))
    published = django_filters.BooleanFilter(method="filter_published", label=_("only published rosters"))

    class Meta:
        model = Assignment
        fields = [
            "hall",
            "roster",
            "staff",
            "employee_no",
            "date_from",
            "date_to",
            "published",
            "updated_since",
        ]

    def filter_published(self, queryset, name, value):
        if value is None:
            return queryset
        published = {"roster__status": Roster.Status.PUBLISHED}
        return queryset.filter(**published) if value else queryset.exclude(**published)

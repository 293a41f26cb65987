import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from assessment.models import MonthlyResult, ResultRun, StarLevelChange
from halls.filters import UpdatedSinceFilterSet, filter_region_subtree
from staffing.models import Staff


def parse_month(value: str):
    from datetime import date

    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise ValidationError({"month": [_("Expected a month like 2026-10.")]}) from exc


class MonthFilter(django_filters.CharFilter):
    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{self.field_name: parse_month(value)})


class MonthlyResultFilterSet(UpdatedSinceFilterSet):
    month = MonthFilter(field_name="month", label=_("month (YYYY-MM)"))
    branch = django_filters.CharFilter(method="filter_branch", label=_("branch code"))
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))
    post = django_filters.ChoiceFilter(choices=Staff.Post.choices)
    staff = django_filters.CharFilter(field_name="staff__employee_no", label=_("employee number"))

    class Meta:
        model = MonthlyResult
        fields = ["month", "branch", "hall", "post", "staff", "updated_since"]

    def filter_branch(self, queryset, name, value):
        return filter_region_subtree(queryset, "hall__region__", value)


class ResultRunFilterSet(UpdatedSinceFilterSet):
    month = MonthFilter(field_name="month", label=_("month (YYYY-MM)"))
    branch = django_filters.CharFilter(field_name="branch__code", label=_("branch code"))
    status = django_filters.ChoiceFilter(choices=ResultRun.Status.choices)

    class Meta:
        model = ResultRun
        fields = ["month", "branch", "status", "updated_since"]


class StarLevelChangeFilterSet(UpdatedSinceFilterSet):
    month = MonthFilter(field_name="month", label=_("month (YYYY-MM)"))
    staff = django_filters.CharFilter(field_name="staff__employee_no", label=_("employee number"))
    branch = django_filters.CharFilter(field_name="run__branch__code", label=_("branch code"))

    class Meta:
        model = StarLevelChange
        fields = ["month", "staff", "branch", "updated_since"]

import django_filters
from django.utils.translation import gettext_lazy as _

from halls.filters import UpdatedSinceFilterSet, filter_region_subtree
from staffing.models import Staff


class StaffFilterSet(UpdatedSinceFilterSet):
    region = django_filters.CharFilter(method="filter_region", label=_("region code (includes its subtree)"))
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))
    post = django_filters.ChoiceFilter(choices=Staff.Post.choices)
    status = django_filters.ChoiceFilter(choices=Staff.Status.choices)
    employment_type = django_filters.ChoiceFilter(choices=Staff.EmploymentType.choices)
    star_level = django_filters.NumberFilter()
    q = django_filters.CharFilter(method="filter_search", label=_("name or employee number"))

    class Meta:
        model = Staff
        fields = ["region", "hall", "post", "status", "employment_type", "star_level", "updated_since"]

    def filter_region(self, queryset, name, value):
        return filter_region_subtree(queryset, "hall__region__", value)

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        return (
            queryset.filter(Q(name__icontains=value) | Q(employee_no__icontains=value)) if value else queryset
        )

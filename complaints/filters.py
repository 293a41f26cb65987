import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import OPEN_STATUSES, Category, Channel, Complaint, Severity, Status
from halls.filters import UpdatedSinceFilterSet, UtcIsoDateTimeFilter, filter_region_subtree


class ComplaintFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))
    region = django_filters.CharFilter(method="filter_region", label=_("region code (includes its subtree)"))
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("open and past its deadline"))
    received_after = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Complaint
        fields = [
            "hall",
            "region",
            "status",
            "severity",
            "channel",
            "category",
            "overdue",
            "received_after",
            "received_before",
            "updated_since",
        ]

    def filter_region(self, queryset, name, value):
        return filter_region_subtree(queryset, "hall__region__", value)

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=OPEN_STATUSES, paused_at__isnull=True, due_at__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

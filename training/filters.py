import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from halls.filters import UpdatedSinceFilterSet
from staffing.models import DutyPost, Qualification
from training.models import (
    Attendance,
    AttendanceStatus,
    ExamKind,
    ExamResult,
    ProgramKind,
    SessionKind,
    TrainingProgram,
    TrainingSession,
)


class TrainingProgramFilterSet(UpdatedSinceFilterSet):
    kind = django_filters.ChoiceFilter(choices=ProgramKind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = TrainingProgram
        fields = ["kind", "is_active", "updated_since"]


class TrainingSessionFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(method="filter_hall", label=_("hall code"))
    kind = django_filters.MultipleChoiceFilter(choices=SessionKind.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = TrainingSession
        fields = ["hall", "kind", "date_from", "date_to", "updated_since"]

    def filter_hall(self, queryset, name, value):
        through = TrainingSession.halls.through
        return queryset.filter(pk__in=through.objects.filter(hall__code=value).values("trainingsession_id"))


class AttendanceFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))
    staff = django_filters.CharFilter(field_name="staff__employee_no", label=_("employee number"))
    status = django_filters.ChoiceFilter(choices=AttendanceStatus.choices)

    class Meta:
        model = Attendance
        fields = ["hall", "staff", "session", "status", "updated_since"]


class ExamResultFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))
    staff = django_filters.CharFilter(field_name="staff__employee_no", label=_("employee number"))
    kind = django_filters.ChoiceFilter(choices=ExamKind.choices)

    class Meta:
        model = ExamResult
        fields = ["hall", "staff", "session", "kind", "updated_since"]


class QualificationFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(field_name="staff__hall__code", label=_("hall code"))
    staff = django_filters.CharFilter(field_name="staff__employee_no", label=_("employee number"))
    post = django_filters.ChoiceFilter(choices=DutyPost.choices)
    valid_on = django_filters.DateFilter(method="filter_valid_on", label=_("valid on (date)"))

    class Meta:
        model = Qualification
        fields = ["hall", "staff", "post", "valid_on", "updated_since"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=value), granted_on__lte=value)

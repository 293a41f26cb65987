"""Training API for HR systems: programmes, sessions, attendance, exam results and post
qualifications, read-only, scoped to the caller, filtered by `updated_since` and paged by the
(updated_at, id) keyset cursor. Qualifications are staffing's records, exposed here read-only."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets

from halls.models import ApiResource, Tombstone
from halls.sync_api import DeletedRowsMixin
from training.filters import (
    AttendanceFilterSet,
    ExamResultFilterSet,
    QualificationFilterSet,
    TrainingProgramFilterSet,
    TrainingSessionFilterSet,
)
from training.selectors import (
    attendance_list,
    exam_result_list,
    program_list,
    qualification_list,
    session_list,
)
from training.serializers import (
    AttendanceSerializer,
    ExamResultSerializer,
    QualificationSerializer,
    TrainingProgramSerializer,
    TrainingSessionSerializer,
)

READ = {"list": "training.view", "retrieve": "training.view"}


class _StaffRecordViewSet(viewsets.ReadOnlyModelViewSet):
    permission_actions = READ

    def get_permission_hall(self, obj):
        return obj.hall


@extend_schema(tags=["training"])
class TrainingProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """Training programmes with their ordered stages (company-wide)."""

    serializer_class = TrainingProgramSerializer
    filterset_class = TrainingProgramFilterSet
    permission_actions = READ

    def get_queryset(self):
        return program_list(user=self.request.user)

    def get_permission_hall(self, obj):
        return None


@extend_schema(tags=["training"])
class TrainingSessionViewSet(viewsets.ReadOnlyModelViewSet):
    """Sessions held in at least one hall visible to the caller."""

    serializer_class = TrainingSessionSerializer
    filterset_class = TrainingSessionFilterSet
    permission_actions = READ

    def get_queryset(self):
        return session_list(user=self.request.user)

    def get_permission_hall(self, obj):
        return None


@extend_schema(tags=["training"])
class AttendanceViewSet(_StaffRecordViewSet):
    """Attendance rows of the halls the caller oversees; a clerk sees their own."""

    serializer_class = AttendanceSerializer
    filterset_class = AttendanceFilterSet

    def get_queryset(self):
        return attendance_list(user=self.request.user)


@extend_schema(tags=["training"])
class ExamResultViewSet(DeletedRowsMixin, _StaffRecordViewSet):
    """Exam results of the halls the caller oversees; a clerk sees their own. An exam result is
    withdrawn (a tombstone in `deleted/`) when its person is recorded as not present at the session."""

    tombstone_resource = Tombstone.Resource.EXAM_RESULT
    serializer_class = ExamResultSerializer
    filterset_class = ExamResultFilterSet

    def get_queryset(self):
        return exam_result_list(user=self.request.user)


@extend_schema(tags=["training"])
class QualificationViewSet(DeletedRowsMixin, viewsets.ReadOnlyModelViewSet):
    """Post qualifications (上岗资格) of the staff visible to the caller, with their expiry."""

    tombstone_resource = Tombstone.Resource.QUALIFICATION
    api_resource = ApiResource.QUALIFICATIONS

    serializer_class = QualificationSerializer
    filterset_class = QualificationFilterSet
    permission_actions = READ

    def get_queryset(self):
        return qualification_list(user=self.request.user)

    def get_permission_hall(self, obj):
        return obj.staff.hall

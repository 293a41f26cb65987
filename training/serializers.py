"""API output of training records (read-only: HR systems sync them)."""

from rest_framework import serializers

from staffing.models import Qualification
from training.models import Attendance, ExamResult, ProgramStage, TrainingProgram, TrainingSession


class ProgramStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgramStage
        fields = ["id", "order", "name", "required_hours"]


class TrainingProgramSerializer(serializers.ModelSerializer):
    stages = ProgramStageSerializer(many=True, read_only=True)

    class Meta:
        model = TrainingProgram
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "target_posts",
            "required_hours",
            "qualification_post",
            "qualification_valid_months",
            "description",
            "is_active",
            "stages",
            "created_at",
            "updated_at",
        ]


class TrainingSessionSerializer(serializers.ModelSerializer):
    halls = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TrainingSession
        fields = [
            "id",
            "kind",
            "topic",
            "date",
            "starts_at",
            "duration_minutes",
            "trainer",
            "halls",
            "program",
            "stage",
            "exam_kind",
            "exam_max_score",
            "exam_pass_mark",
            "created_at",
            "updated_at",
        ]


class AttendanceSerializer(serializers.ModelSerializer):
    staff = serializers.SlugRelatedField(slug_field="employee_no", read_only=True)
    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "session", "staff", "hall", "status", "hours", "created_at", "updated_at"]


class ExamResultSerializer(serializers.ModelSerializer):
    staff = serializers.SlugRelatedField(slug_field="employee_no", read_only=True)
    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    passed = serializers.BooleanField(read_only=True)

    class Meta:
        model = ExamResult
        fields = [
            "id",
            "staff",
            "hall",
            "session",
            "program",
            "kind",
            "taken_on",
            "score",
            "max_score",
            "pass_mark",
            "passed",
            "created_at",
            "updated_at",
        ]


class QualificationSerializer(serializers.ModelSerializer):
    staff = serializers.SlugRelatedField(slug_field="employee_no", read_only=True)
    hall = serializers.CharField(source="staff.hall.code", read_only=True)

    class Meta:
        model = Qualification
        fields = [
            "id",
            "staff",
            "hall",
            "post",
            "granted_on",
            "expires_on",
            "source",
            "source_ref",
            "created_at",
            "updated_at",
        ]

"""Input and output shapes of the rostering API."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from halls.models import Hall
from staffing.models import Assignment, DutyPost, Roster, ShiftType


class ShiftTypeOutputSerializer(serializers.ModelSerializer):
    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ShiftType
        fields = [
            "id",
            "hall",
            "code",
            "name",
            "start",
            "end",
            "break_minutes",
            "colour",
            "is_active",
            "updated_at",
        ]


class RosterOutputSerializer(serializers.ModelSerializer):
    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)
    generated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    assignment_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Roster
        fields = [
            "id",
            "hall",
            "period_start",
            "period_end",
            "version",
            "status",
            "method",
            "generation_status",
            "progress",
            "generation_error",
            "solver_status",
            "objective",
            "penalties",
            "unmet",
            "unmet_requests",
            "wall_time_seconds",
            "generated_by",
            "published_at",
            "published_by",
            "assignment_count",
            "created_at",
            "updated_at",
        ]


@extend_schema_field(OpenApiTypes.STR)
class VisibleHallField(serializers.SlugRelatedField):
    """A hall code among the halls the caller sees (another hall reads as unknown)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        return Hall.objects.visible_to(self.context["request"].user)


class RosterCreateSerializer(serializers.Serializer):
    hall = VisibleHallField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class RosterGenerateSerializer(RosterCreateSerializer):
    method = serializers.ChoiceField(
        choices=[Roster.Method.SOLVER, Roster.Method.ROTATION], default=Roster.Method.SOLVER
    )
    rotation = serializers.JSONField(required=False, allow_null=True)
    time_limit_seconds = serializers.IntegerField(min_value=1, max_value=300, default=20)


class RosterImportSerializer(RosterCreateSerializer):
    file = serializers.FileField(help_text="CSV (UTF-8) or .xlsx: staff, date, shift[, post, window].")


class RosterImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class RosterImportFindingSerializer(serializers.Serializer):
    rows = serializers.ListField(child=serializers.IntegerField())
    person = serializers.CharField()
    message = serializers.CharField()


class RosterImportResultSerializer(serializers.Serializer):
    roster = RosterOutputSerializer()
    assignments = serializers.IntegerField()
    unmet_staff_hours = serializers.IntegerField()
    findings = RosterImportFindingSerializer(many=True)


class RosterImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    # Present when the file itself was read: its row errors, or the rule violations it would add.
    # A request refused before that (no hall, no file, a malformed body) carries detail and errors only.
    rows = RosterImportRowErrorSerializer(many=True, required=False)
    violations = RosterImportFindingSerializer(many=True, required=False)


class AssignmentOutputSerializer(serializers.ModelSerializer):
    hall = serializers.CharField(source="roster.hall.code", read_only=True)
    roster_status = serializers.CharField(source="roster.status", read_only=True)
    employee_no = serializers.CharField(source="staff.employee_no", read_only=True)
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    shift = serializers.CharField(source="shift_type.code", read_only=True)
    colour = serializers.CharField(source="shift_type.colour", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "roster",
            "roster_status",
            "hall",
            "staff",
            "employee_no",
            "staff_name",
            "date",
            "shift",
            "colour",
            "post",
            "window_no",
            "starts_at",
            "ends_at",
            "updated_at",
        ]


class AssignmentEditSerializer(serializers.Serializer):
    """Set (or, with shift null, clear) one person's shift on one date of a draft roster."""

    roster = serializers.IntegerField()
    staff = serializers.IntegerField()
    date = serializers.DateField()
    shift = serializers.CharField(max_length=10, allow_null=True)
    post = serializers.ChoiceField(choices=DutyPost.choices, required=False, allow_null=True)
    window_no = serializers.IntegerField(min_value=1, max_value=200, required=False, allow_null=True)


class HourCoverageSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    hour = serializers.IntegerField()
    required = serializers.IntegerField()
    scheduled = serializers.IntegerField()
    gap = serializers.IntegerField()
    surplus = serializers.IntegerField()
    peak = serializers.BooleanField()
    forecast = serializers.FloatField(allow_null=True)


class RosterChangeSerializer(serializers.Serializer):
    staff = serializers.IntegerField(source="staff_id")
    staff_name = serializers.CharField()
    date = serializers.DateField(source="day")
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)
    kind = serializers.CharField()

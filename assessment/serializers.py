from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessment.models import IndicatorScore, MonthlyResult, ResultRun, ScoreFact, StarLevelChange
from halls.models import Region
from staffing.models import DisciplineRecord


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-10"})
class MonthField(serializers.Field):
    """A month as 'YYYY-MM'."""

    def to_representation(self, value):
        return f"{value:%Y-%m}"

    def to_internal_value(self, data):
        from assessment.filters import parse_month

        return parse_month(str(data))


class IndicatorScoreSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="indicator.code")
    name = serializers.CharField(source="indicator.name")
    source = serializers.CharField(source="indicator.source")
    weight = serializers.DecimalField(source="indicator.weight", max_digits=5, decimal_places=2)
    max_points = serializers.DecimalField(source="indicator.max_points", max_digits=7, decimal_places=2)

    class Meta:
        model = IndicatorScore
        fields = [
            "code",
            "name",
            "source",
            "weight",
            "max_points",
            "fact_count",
            "measure_value",
            "points",
            "score",
        ]


class MonthlyResultSerializer(serializers.ModelSerializer):
    month = MonthField()
    employee_no = serializers.CharField(source="staff.employee_no")
    name = serializers.CharField(source="staff.name")
    hall = serializers.CharField(source="hall.code")
    branch = serializers.CharField(source="run.branch.code")
    run_version = serializers.IntegerField(source="run.version")

    class Meta:
        model = MonthlyResult
        fields = [
            "id",
            "month",
            "employee_no",
            "name",
            "hall",
            "branch",
            "post",
            "total",
            "rank_in_hall",
            "hall_size",
            "rank_in_branch",
            "branch_size",
            "percentile",
            "band_level",
            "average_total",
            "star_level_before",
            "proposed_star_level",
            "run_version",
            "updated_at",
        ]


class MonthlyResultDetailSerializer(MonthlyResultSerializer):
    indicators = IndicatorScoreSerializer(source="indicator_scores", many=True)

    class Meta(MonthlyResultSerializer.Meta):
        fields = [*MonthlyResultSerializer.Meta.fields, "indicators"]


class ScoreFactSerializer(serializers.ModelSerializer):
    hall = serializers.CharField(source="hall.code")

    class Meta:
        model = ScoreFact
        fields = ["id", "occurred_on", "hall", "value", "evidence_type", "evidence_id", "evidence_label"]


class ScoreCardRowSerializer(serializers.Serializer):
    indicator_code = serializers.CharField()
    indicator_name = serializers.CharField()
    source = serializers.CharField()
    measure = serializers.CharField()
    aggregate = serializers.CharField()
    rule = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=7, decimal_places=2)
    fact_count = serializers.IntegerField()
    measure_value = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    score = serializers.DecimalField(max_digits=6, decimal_places=2)
    explanation = serializers.CharField()
    facts = ScoreFactSerializer(many=True)


class ScoreCardSerializer(serializers.Serializer):
    result = MonthlyResultSerializer()
    rows = ScoreCardRowSerializer(many=True)


class ResultRunSerializer(serializers.ModelSerializer):
    month = MonthField()
    branch = serializers.CharField(source="branch.code")
    schemes = serializers.SerializerMethodField()

    class Meta:
        model = ResultRun
        fields = [
            "id",
            "branch",
            "month",
            "version",
            "status",
            "progress",
            "progress_note",
            "staff_count",
            "schemes",
            "fact_revision",
            "input_hash",
            "error",
            "started_at",
            "finished_at",
            "published_at",
            "updated_at",
        ]

    def get_schemes(self, run) -> list[str]:
        return [f"{s.post}:v{s.version}" for s in run.schemes.all()]


class ComputeRequestSerializer(serializers.Serializer):
    branch = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.filter(kind="branch"))
    month = MonthField()


class StarLevelChangeSerializer(serializers.ModelSerializer):
    month = MonthField()
    employee_no = serializers.CharField(source="staff.employee_no")
    branch = serializers.CharField(source="run.branch.code")

    class Meta:
        model = StarLevelChange
        fields = [
            "id",
            "employee_no",
            "branch",
            "month",
            "from_level",
            "to_level",
            "average_total",
            "updated_at",
        ]


class HallRankingRowSerializer(serializers.Serializer):
    hall_code = serializers.CharField()
    hall_name = serializers.CharField()
    average_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    clerks = serializers.IntegerField(allow_null=True)
    score_rank = serializers.IntegerField(allow_null=True)
    previous_average_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    previous_score_rank = serializers.IntegerField(allow_null=True)
    score_change = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True)
    mystery_shop_score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    mystery_shop_rank = serializers.IntegerField(allow_null=True)
    previous_mystery_shop_score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    previous_mystery_shop_rank = serializers.IntegerField(allow_null=True)
    mystery_shop_change = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)


class SupervisorRatingInputSerializer(serializers.Serializer):
    staff = serializers.CharField(max_length=20, help_text="employee number")
    month = MonthField()
    attitude = serializers.IntegerField(min_value=0, max_value=25)
    skill = serializers.IntegerField(min_value=0, max_value=25)
    teamwork = serializers.IntegerField(min_value=0, max_value=25)
    appearance = serializers.IntegerField(min_value=0, max_value=25)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DisciplineInputSerializer(serializers.Serializer):
    staff = serializers.CharField(max_length=20, help_text="employee number")
    occurred_on = serializers.DateField()
    kind = serializers.ChoiceField(choices=DisciplineRecord.Kind.choices)
    deduction = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()

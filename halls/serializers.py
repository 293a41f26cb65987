from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from halls.models import Hall, OpeningHours, Region


class OpeningHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens_at", "closes_at"]


class HallOutputSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    branch = serializers.SerializerMethodField()
    opening_hours = OpeningHoursSerializer(many=True, read_only=True)
    staff_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Hall
        fields = [
            "id",
            "code",
            "name",
            "hall_class",
            "operation",
            "region",
            "branch",
            "address",
            "window_count",
            "has_vip_zone",
            "min_staff_offpeak",
            "min_staff_peak",
            "is_active",
            "opening_hours",
            "staff_count",
            "created_at",
            "updated_at",
        ]

    def get_branch(self, obj) -> str:
        return obj.region.branch.code


class HallInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=120)
    hall_class = serializers.ChoiceField(choices=Hall.HallClass.choices)
    operation = serializers.ChoiceField(choices=Hall.Operation.choices)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    window_count = serializers.IntegerField(min_value=1, max_value=200, required=False)
    has_vip_zone = serializers.BooleanField(required=False)
    min_staff_offpeak = serializers.IntegerField(min_value=1, max_value=100, required=False)
    min_staff_peak = serializers.IntegerField(min_value=1, max_value=100, required=False)
    is_active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        offpeak, peak = attrs.get("min_staff_offpeak"), attrs.get("min_staff_peak")
        if offpeak is not None and peak is not None and peak < offpeak:
            raise serializers.ValidationError(
                {"min_staff_peak": [_("The peak minimum cannot be below the off-peak minimum.")]}
            )
        return attrs

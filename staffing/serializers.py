from rest_framework import serializers

from halls.models import Hall
from staffing.models import Staff, StaffPosting


class StaffOutputSerializer(serializers.ModelSerializer):
    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.CharField(source="hall.region.code", read_only=True)

    class Meta:
        model = Staff
        fields = [
            "id",
            "employee_no",
            "name",
            "hall",
            "region",
            "post",
            "employment_type",
            "hire_date",
            "status",
            "star_level",
            "phone",
            "created_at",
            "updated_at",
        ]


class StaffInputSerializer(serializers.Serializer):
    employee_no = serializers.RegexField(r"^[A-Za-z0-9_-]{1,20}$", max_length=20)
    name = serializers.CharField(max_length=60)
    hall = serializers.SlugRelatedField(slug_field="code", queryset=Hall.objects.all())
    post = serializers.ChoiceField(choices=Staff.Post.choices)
    employment_type = serializers.ChoiceField(choices=Staff.EmploymentType.choices)
    hire_date = serializers.DateField()
    status = serializers.ChoiceField(choices=Staff.Status.choices, required=False)
    star_level = serializers.IntegerField(min_value=0, max_value=5, required=False)
    phone = serializers.RegexField(r"^[0-9+\- ]{0,20}$", max_length=20, required=False, allow_blank=True)


class StaffUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    post = serializers.ChoiceField(choices=Staff.Post.choices, required=False)
    employment_type = serializers.ChoiceField(choices=Staff.EmploymentType.choices, required=False)
    hire_date = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=Staff.Status.choices, required=False)
    star_level = serializers.IntegerField(min_value=0, max_value=5, required=False)
    phone = serializers.RegexField(r"^[0-9+\- ]{0,20}$", max_length=20, required=False, allow_blank=True)


class StaffTransferSerializer(serializers.Serializer):
    to_hall = serializers.SlugRelatedField(slug_field="code", queryset=Hall.objects.all())
    on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class StaffPostingSerializer(serializers.ModelSerializer):
    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = StaffPosting
        fields = ["hall", "post", "started_on", "ended_on"]

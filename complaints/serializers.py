from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from complaints.masking import mask_name, mask_phone
from complaints.models import Category, Channel, Complaint, Satisfaction, Severity
from halls.models import Hall
from staffing.models import Staff


class ComplaintOutputSerializer(serializers.ModelSerializer):
    """A complaint, the customer always masked: the unmasked contact is only ever the answer of
    the audited reveal-contact action (CustomerContactSerializer)."""

    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)
    clerks = serializers.SlugRelatedField(slug_field="employee_no", many=True, read_only=True)
    first_receiver = serializers.CharField(source="first_receiver.username", read_only=True)
    current_handler = serializers.CharField(
        source="current_handler.username", read_only=True, default=None, allow_null=True
    )
    customer_name = serializers.SerializerMethodField()
    customer_phone = serializers.SerializerMethodField()
    contact_masked = serializers.SerializerMethodField(
        help_text=_("Always true here: POST reveal-contact/ returns the unmasked contact.")
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "channel",
            "received_at",
            "customer_name",
            "customer_phone",
            "contact_masked",
            "hall",
            "clerks",
            "category",
            "severity",
            "status",
            "subject",
            "description",
            "first_receiver",
            "current_handler",
            "due_at",
            "sla_state",
            "overdue",
            "paused_at",
            "reply",
            "replied_at",
            "met_deadline",
            "root_cause",
            "satisfaction",
            "closed_at",
            "reopen_count",
            "version",
            "created_at",
            "updated_at",
        ]

    def get_customer_name(self, obj) -> str:
        return mask_name(obj.customer_name)

    def get_customer_phone(self, obj) -> str:
        return mask_phone(obj.customer_phone)

    def get_contact_masked(self, obj) -> bool:
        return True

    def get_overdue(self, obj) -> bool:
        return obj.is_open and obj.paused_at is None and obj.due_at < timezone.now()


class ComplaintCreateSerializer(serializers.Serializer):
    hall = serializers.SlugRelatedField(slug_field="code", queryset=Hall.objects.all())
    channel = serializers.ChoiceField(choices=Channel.choices)
    received_at = serializers.DateTimeField(required=False)
    customer_name = serializers.CharField(max_length=60)
    customer_phone = serializers.RegexField(r"^\+?[0-9][0-9 \-]{4,19}$", max_length=20)
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    clerks = serializers.SlugRelatedField(
        slug_field="employee_no", queryset=Staff.objects.all(), many=True, required=False
    )


class VersionedSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text=_("The version you read; a stale one answers 409 Conflict.")
    )


class AssignSerializer(VersionedSerializer):
    handler = serializers.CharField(help_text=_("username"))


class HandOverSerializer(AssignSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class ReasonSerializer(VersionedSerializer):
    reason = serializers.CharField(max_length=2000)


class ReplySerializer(VersionedSerializer):
    reply = serializers.CharField(max_length=10000)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CloseSerializer(VersionedSerializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CustomerContactSerializer(serializers.Serializer):
    """The answer of reveal-contact: the customer unmasked (the same keys as in a complaint)."""

    customer_name = serializers.CharField(source="name")
    customer_phone = serializers.CharField(source="phone")
    contact_masked = serializers.BooleanField(source="masked")


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current_version = serializers.IntegerField()

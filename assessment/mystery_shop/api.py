"""Mystery-shop API: checklist templates, visits (published ones; unpublished ones only for the
market department — `Visit.visible_to`), rectification tasks. Lists page by cursor on
(updated_at, id) and filter by `updated_since`."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets

from assessment.filters import MonthFilter
from assessment.mystery_shop import selectors
from assessment.mystery_shop.models import (
    Answer,
    ChecklistCategory,
    ChecklistItem,
    ChecklistTemplate,
    Rectification,
    Visit,
    VisitClerk,
)
from halls.filters import UpdatedSinceFilterSet, filter_region_subtree


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "code",
            "text",
            "guidance",
            "position",
            "deduction",
            "scope",
            "photo_required",
            "is_veto",
        ]


class ChecklistCategorySerializer(serializers.ModelSerializer):
    items = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistCategory
        fields = ["id", "name", "position", "items"]


class ChecklistTemplateSerializer(serializers.ModelSerializer):
    categories = ChecklistCategorySerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "name", "version", "is_active", "updated_at", "categories"]


class VisitClerkSerializer(serializers.ModelSerializer):
    employee_no = serializers.CharField(source="staff.employee_no")
    name = serializers.CharField(source="staff.name")

    class Meta:
        model = VisitClerk
        fields = ["id", "employee_no", "name", "window_no", "score"]


class AnswerSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code")
    clerk = serializers.IntegerField(source="clerk_id", allow_null=True)

    class Meta:
        model = Answer
        fields = ["id", "item", "item_code", "clerk", "result", "deduction", "comment"]


class VisitSerializer(serializers.ModelSerializer):
    hall_code = serializers.CharField(source="hall.code")
    inspector = serializers.CharField(source="inspector.username")
    clerks = VisitClerkSerializer(many=True, read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "hall",
            "hall_code",
            "template",
            "inspector",
            "visited_at",
            "mode",
            "status",
            "wait_minutes",
            "summary",
            "hall_score",
            "vetoed",
            "published_at",
            "closed_at",
            "updated_at",
            "clerks",
            "answers",
        ]


class RectificationSerializer(serializers.ModelSerializer):
    hall_code = serializers.CharField(source="hall.code")
    item_code = serializers.CharField(source="answer.item.code")
    item_text = serializers.CharField(source="answer.item.text")

    class Meta:
        model = Rectification
        fields = [
            "id",
            "visit",
            "hall",
            "hall_code",
            "item_code",
            "item_text",
            "deadline",
            "required_evidence",
            "status",
            "evidence_note",
            "review_note",
            "submitted_at",
            "accepted_at",
            "updated_at",
        ]


class VisitFilterSet(UpdatedSinceFilterSet):
    month = MonthFilter(method="filter_month", label=_("month (YYYY-MM)"))
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))
    region = django_filters.CharFilter(method="filter_region", label=_("region code (includes its subtree)"))
    status = django_filters.ChoiceFilter(choices=Visit.Status.choices)
    mode = django_filters.ChoiceFilter(choices=Visit.Mode.choices)

    class Meta:
        model = Visit
        fields = ["month", "hall", "region", "status", "mode", "updated_since"]

    def filter_month(self, queryset, name, value):
        from assessment.filters import parse_month
        from assessment.mystery_shop.selectors import _next_month

        month = parse_month(value)  # a malformed month is a 400 naming the field
        return queryset.filter(visited_at__date__gte=month, visited_at__date__lt=_next_month(month))

    def filter_region(self, queryset, name, value):
        return filter_region_subtree(queryset, "hall__region__", value)


class RectificationFilterSet(UpdatedSinceFilterSet):
    hall = django_filters.CharFilter(field_name="hall__code", label=_("hall code"))
    status = django_filters.ChoiceFilter(choices=Rectification.Status.choices)

    class Meta:
        model = Rectification
        fields = ["hall", "status", "updated_since"]


@extend_schema(tags=["inspections"])
class ChecklistTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Checklist versions with their categories and items: every version for the market department;
    for anyone else the versions that have been in force (in force or retired), never drafts. A
    version left out answers 404, as for a missing id. A retirement reaches `updated_since`
    clients as the old version with is_active false; a draft arrives when it is put in force."""

    serializer_class = ChecklistTemplateSerializer
    filterset_class = UpdatedSinceFilterSet
    permission_actions = {"list": "mystery.view", "retrieve": "mystery.view"}

    def get_permission_hall(self, obj):
        return None  # checklists belong to no hall

    def get_queryset(self):
        return selectors.templates_with_items(user=self.request.user)


@extend_schema(tags=["inspections"])
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inspection visits with clerks, answers and scores. Published ones in the caller's scope;
    unpublished ones only for the market department (anyone else gets 404, as for a missing id)."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet
    permission_actions = {"list": "mystery.view", "retrieve": "mystery.view"}

    def get_queryset(self):
        return (
            Visit.objects.visible_to(self.request.user)
            .select_related("hall__region", "inspector")
            .prefetch_related(
                Prefetch("clerks", queryset=VisitClerk.objects.select_related("staff")),
                Prefetch("answers", queryset=Answer.objects.select_related("item")),
            )
        )


@extend_schema(tags=["inspections"])
class RectificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rectification tasks of published visits in the caller's scope."""

    serializer_class = RectificationSerializer
    filterset_class = RectificationFilterSet
    permission_actions = {"list": "mystery.view", "retrieve": "mystery.view"}

    def get_queryset(self):
        return Rectification.objects.visible_to(self.request.user).select_related(
            "hall__region", "answer__item"
        )


def register_routes(router) -> None:
    """Mount the mystery-shop endpoints on the API router (one call in hallops/api_urls.py)."""
    router.register(
        "assessment/inspection-templates", ChecklistTemplateViewSet, basename="api-inspection-template"
    )
    router.register("assessment/inspection-visits", VisitViewSet, basename="api-inspection-visit")
    router.register(
        "assessment/rectifications", RectificationViewSet, basename="api-inspection-rectification"
    )

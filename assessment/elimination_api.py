"""Bottom-elimination list API: lists with entries and outcomes (HR sees confirmed lists only),
entries for sync (`updated_since` + cursor; removals on appeal stay as tombstones), review,
confirmation, appeals, decisions and outcomes."""

from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from assessment import elimination_selectors as selectors
from assessment.filters import MonthFilter
from assessment.models import Appeal, EliminationEntry, EliminationList, EliminationRule
from assessment.selectors import branches_visible_to
from assessment.serializers import MonthField
from assessment.services import elimination as services
from halls.filters import UpdatedSinceFilterSet
from halls.models import Tombstone
from halls.sync_api import DeletedRowsMixin


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = ["id", "reason", "status", "decision_reason", "created_at", "decided_at"]


class EliminationEntrySerializer(serializers.ModelSerializer):
    employee_no = serializers.CharField(source="staff.employee_no")
    name = serializers.CharField(source="staff.name")
    hall = serializers.CharField(source="hall.code")
    total = serializers.DecimalField(source="result.total", max_digits=6, decimal_places=2)
    appeals = AppealSerializer(many=True)

    class Meta:
        model = EliminationEntry
        fields = [
            "id",
            "elimination_list",
            "employee_no",
            "name",
            "hall",
            "total",
            "reasons",
            "status",
            "outcome",
            "outcome_note",
            "outcome_recorded_at",
            "appeals",
            "updated_at",
        ]


class EliminationListSerializer(serializers.ModelSerializer):
    branch = serializers.CharField(source="run.branch.code")
    month = MonthField()
    entries = EliminationEntrySerializer(many=True)

    class Meta:
        model = EliminationList
        fields = ["id", "branch", "month", "status", "rule_snapshot", "confirmed_at", "entries", "updated_at"]


class AppealInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class DecisionInputSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    decision_reason = serializers.CharField()


class OutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=EliminationEntry.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EliminationEntryFilterSet(UpdatedSinceFilterSet):
    month = MonthFilter(field_name="elimination_list__month", label=_("month (YYYY-MM)"))

    class Meta:
        model = EliminationEntry
        fields = ["month", "status", "updated_since"]


@extend_schema(tags=["assessment"])
class EliminationListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bottom-elimination lists with their entries and outcomes. HR clients see confirmed lists only;
    hall managers and clerks see lists under review and confirmed ones (their rows); branch
    management sees every state."""

    serializer_class = EliminationListSerializer
    permission_actions = {
        "list": "elimination.view",
        "retrieve": "elimination.view",
        "review": "elimination.review",
        "confirm": "elimination.confirm",
    }

    def get_queryset(self):
        return selectors.elimination_lists(user=self.request.user)

    def get_permission_hall(self, obj):
        return None

    def _answer(self, elimination_list):
        return Response(EliminationListSerializer(self.get_queryset().get(pk=elimination_list.pk)).data)

    @extend_schema(request=None, responses={200: EliminationListSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Open a generated list for review (appeals can be filed)."""
        return self._answer(services.start_review(elimination_list=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses={200: EliminationListSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm a list under review with no pending appeals; HR sees it from now on."""
        return self._answer(
            services.confirm_elimination_list(elimination_list=self.get_object(), actor=request.user)
        )


@extend_schema(tags=["assessment"])
class EliminationEntryViewSet(
    DeletedRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Entries of the visible lists, for sync: filter by `updated_since`, page by cursor. An entry
    removed on appeal stays with status `removed_on_appeal`."""

    tombstone_resource = Tombstone.Resource.ELIMINATION_ENTRY

    serializer_class = EliminationEntrySerializer
    filterset_class = EliminationEntryFilterSet
    permission_actions = {
        "list": "elimination.view",
        "retrieve": "elimination.view",
        "appeal": "elimination.appeal",
        "outcome": "elimination.record_outcome",
    }

    def get_queryset(self):
        return selectors.elimination_entries(user=self.request.user)

    @extend_schema(request=AppealInputSerializer, responses={201: AppealSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def appeal(self, request, pk=None):
        """File an appeal against this entry (the clerk or their hall manager)."""
        entry = self.get_object()
        data = AppealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.file_appeal(entry=entry, actor=request.user, reason=data.validated_data["reason"])
        return Response(AppealSerializer(appeal).data, status=201)

    @extend_schema(request=OutcomeInputSerializer, responses={200: EliminationEntrySerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def outcome(self, request, pk=None):
        """Record the outcome for this entry of a confirmed list."""
        entry = self.get_object()
        data = OutcomeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.record_outcome(entry=entry, actor=request.user, **data.validated_data)
        return Response(EliminationEntrySerializer(self.get_queryset().get(pk=entry.pk)).data)


@extend_schema(tags=["assessment"])
class AppealViewSet(viewsets.GenericViewSet):
    """Decisions on appeals (the branch manager, with a written reason)."""

    serializer_class = AppealSerializer
    permission_actions = {"decide": "elimination.decide_appeal"}

    def get_queryset(self):
        return selectors.appeals(user=self.request.user)

    @extend_schema(request=DecisionInputSerializer, responses={200: AppealSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Uphold (the entry is removed) or reject a pending appeal."""
        appeal = self.get_object()
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.decide_appeal(appeal=appeal, actor=request.user, **data.validated_data)
        return Response(AppealSerializer(appeal).data)


RULE_FIELDS = [
    "bottom_percent",
    "bottom_per_hall",
    "total_below",
    "consecutive_months",
    "exclude_probation",
    "min_service_months",
    "max_leave_days",
]


class EliminationRuleSerializer(serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code", read_only=True)

    class Meta:
        model = EliminationRule
        fields = ["branch", *RULE_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {
            "bottom_percent": {"min_value": Decimal("0.01"), "max_value": Decimal(100)},
            "bottom_per_hall": {"min_value": 1},
            "consecutive_months": {"min_value": 2},
            "max_leave_days": {"min_value": 1},
        }


BRANCH_CODE = OpenApiParameter(
    "branch",
    str,
    OpenApiParameter.PATH,
    description="The branch's region code (at most 20 characters).",
    pattern=r"^[^/]{1,20}$",
)


@extend_schema(tags=["assessment"])
class EliminationRuleView(APIView):
    """A branch's bottom-elimination rule (branch management): GET reads it (404 while none is
    set), PUT sets the whole rule (fields left out are cleared to their defaults); lists generated
    from then on use it. At least one of bottom_percent, bottom_per_hall and total_below."""

    permission_actions = {"get": "elimination.manage_rule", "put": "elimination.manage_rule"}
    serializer_class = EliminationRuleSerializer

    def _branch(self, code: str):
        branch = branches_visible_to(user=self.request.user).filter(code=code).first()
        if branch is None:
            raise Http404
        return branch

    @extend_schema(parameters=[BRANCH_CODE], responses={200: EliminationRuleSerializer})
    def get(self, request, branch: str):
        rule = EliminationRule.objects.select_related("branch").filter(branch=self._branch(branch)).first()
        if rule is None:
            raise Http404
        return Response(EliminationRuleSerializer(rule).data)

    @extend_schema(
        parameters=[BRANCH_CODE],
        request=EliminationRuleSerializer,
        responses={200: EliminationRuleSerializer},
    )
    def put(self, request, branch: str):
        region = self._branch(branch)
        data = EliminationRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.set_elimination_rule(branch=region, actor=request.user, **data.validated_data)
        return Response(EliminationRuleSerializer(rule).data)

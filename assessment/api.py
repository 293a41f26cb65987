"""Assessment API: published results for HR, runs with progress, score cards, star levels, hall ranking,
and the write endpoints of the sources (ratings, discipline, imports)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from assessment import selectors, services
from assessment.exceptions import ImportRejected
from assessment.filters import (
    MonthlyResultFilterSet,
    ResultRunFilterSet,
    StarLevelChangeFilterSet,
    parse_month,
)
from assessment.serializers import (
    ComputeRequestSerializer,
    DisciplineInputSerializer,
    HallRankingRowSerializer,
    ImportInputSerializer,
    MonthlyResultDetailSerializer,
    MonthlyResultSerializer,
    ResultRunSerializer,
    ScoreCardSerializer,
    StarLevelChangeSerializer,
    SupervisorRatingInputSerializer,
)
from assessment.tasks import compute_month_results_task
from staffing.models import Staff


@extend_schema(tags=["assessment"])
class MonthlyResultViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Published monthly results (HR sync: filter by `updated_since`, page by cursor). Hall managers
    see their hall's, clerks their own; drafts never appear here."""

    filterset_class = MonthlyResultFilterSet
    permission_actions = {
        "list": "assessment.results.view",
        "retrieve": "assessment.results.view",
        "card": "assessment.results.view",
    }

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.result_detail(user=self.request.user)
        return selectors.published_results(user=self.request.user)

    def get_serializer_class(self):
        return MonthlyResultDetailSerializer if self.action == "retrieve" else MonthlyResultSerializer

    @extend_schema(responses={200: ScoreCardSerializer})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def card(self, request, pk=None):
        """The score card behind a result: every indicator, its rule in words, and its facts."""
        result = self.get_object()
        card = selectors.score_card(staff=result.staff, month=result.month, run=result.run)
        return Response(ScoreCardSerializer(card).data)


@extend_schema(tags=["assessment"])
class ResultRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Computed versions of a branch's month with their progress; branch management computes,
    reviews and publishes them."""

    serializer_class = ResultRunSerializer
    filterset_class = ResultRunFilterSet
    permission_actions = {
        "list": "assessment.runs.view",
        "retrieve": "assessment.runs.view",
        "results": "assessment.runs.view",
        "create": "assessment.compute",
        "publish": "assessment.publish",
    }

    def get_queryset(self):
        return selectors.run_list(user=self.request.user)

    def get_permission_hall(self, obj):
        return None

    @extend_schema(request=ComputeRequestSerializer, responses={202: ResultRunSerializer})
    def create(self, request):
        """Queue the computation of a branch's month; poll the run's progress."""
        data = ComputeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        branch, month = data.validated_data["branch"], data.validated_data["month"]
        if selectors.branch_visible_to(user=request.user, code=branch.code) is None:
            raise NotFound
        services.require_branch_permission(request.user, "assessment.compute", branch)
        services.require_month_computable(branch=branch, month=month)  # a JSON 400 on `month`
        compute_month_results_task.delay(branch.pk, month.isoformat(), request.user.pk)
        run = self.get_queryset().filter(branch=branch, month=month).order_by("-version").first()
        body = (
            ResultRunSerializer(run).data
            if run is not None
            else {"branch": branch.code, "month": f"{month:%Y-%m}"}
        )
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ResultRunSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        run = self.get_object()
        services.publish_results(run=run, actor=request.user)
        return Response(ResultRunSerializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(responses={200: MonthlyResultSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None)
    def results(self, request, pk=None):
        """Every result of this run, draft or not, ranked."""
        run = self.get_object()
        page = self.paginate_queryset(selectors.run_results(run=run))
        return self.get_paginated_response(MonthlyResultSerializer(page, many=True).data)


@extend_schema(tags=["assessment"])
class StarLevelChangeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Star-level history: one row per change applied when a month was published."""

    serializer_class = StarLevelChangeSerializer
    filterset_class = StarLevelChangeFilterSet
    permission_actions = {"list": "assessment.results.view"}

    def get_queryset(self):
        return selectors.star_level_history(user=self.request.user)


@extend_schema(
    tags=["assessment"],
    parameters=[
        OpenApiParameter("branch", str, required=True, description="branch code"),
        OpenApiParameter("month", str, required=True, description="YYYY-MM"),
    ],
    responses={200: HallRankingRowSerializer(many=True)},
)
class HallRankingView(APIView):
    """The halls of a branch ranked by their clerks' average score and by mystery-shop score, with the
    change since the previous month (published months only)."""

    permission_actions = {"get": "assessment.results.view"}

    def get(self, request):
        code, month = request.query_params.get("branch"), request.query_params.get("month")
        if not code or not month:
            raise ValidationError({"branch": [_("Required.")], "month": [_("Required.")]})
        branch = selectors.branch_visible_to(user=request.user, code=code)
        if branch is None:
            raise NotFound
        rows = selectors.hall_ranking(branch=branch, month=parse_month(month))
        return Response(HallRankingRowSerializer(rows, many=True).data)


def _visible_staff(request, employee_no: str) -> Staff:
    return get_object_or_404(
        Staff.objects.visible_to(request.user).select_related("hall__region"), employee_no=employee_no
    )


@extend_schema(tags=["assessment"], request=SupervisorRatingInputSerializer, responses={201: None})
class SupervisorRatingView(APIView):
    """The hall manager's monthly rating of one person (replaces that month's rating)."""

    permission_actions = {"post": "assessment.rate"}

    def post(self, request):
        data = SupervisorRatingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        staff = _visible_staff(request, fields.pop("staff"))
        rating = services.rate_staff(actor=request.user, staff=staff, **fields)
        return Response({"id": rating.pk, "points": rating.points}, status=status.HTTP_201_CREATED)


@extend_schema(tags=["assessment"], request=DisciplineInputSerializer, responses={201: None})
class DisciplineRecordView(APIView):
    """Record a labour-discipline incident (late, absent, left the post) and its deduction."""

    permission_actions = {"post": "staff.discipline"}

    def post(self, request):
        data = DisciplineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        staff = _visible_staff(request, fields.pop("staff"))
        record = services.record_discipline_incident(actor=request.user, staff=staff, **fields)
        return Response({"id": record.pk, "deduction": str(record.deduction)}, status=status.HTTP_201_CREATED)


class _ImportView(APIView):
    permission_actions = {"post": "assessment.import"}
    parser_classes = [MultiPartParser, FormParser]
    service = None

    def post(self, request):
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            result = type(self).service(actor=request.user, file=upload, filename=upload.name)
        except ImportRejected as exc:
            return Response(
                {
                    "detail": exc.message,
                    "errors": [
                        {"line": line, "column": col, "message": msg} for line, col, msg in exc.errors
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {"rows": result.rows, "created": result.created, "unchanged": result.unchanged},
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["assessment"], request=ImportInputSerializer, responses={201: None})
class EvaluationImportView(_ImportView):
    """Import a CSV or Excel file of rating-device rows; all or nothing, with a row-by-row report."""

    service = staticmethod(services.import_customer_evaluations)


@extend_schema(tags=["assessment"], request=ImportInputSerializer, responses={201: None})
class KpiImportView(_ImportView):
    """Import a CSV or Excel file of daily KPI rows; all or nothing, with a row-by-row report."""

    service = staticmethod(services.import_daily_kpis)

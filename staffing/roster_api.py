"""REST API of rostering: shift types, roster versions (generate, publish, coverage, compare)
and assignments. Every queryset is scoped with visible_to; another hall's roster is a 404."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from halls.models import Tombstone
from halls.sync_api import DeletedRowsMixin
from staffing import roster_import
from staffing import roster_services as services
from staffing.models import Roster, ShiftType, Staff
from staffing.roster_filters import AssignmentFilterSet, RosterFilterSet, ShiftTypeFilterSet
from staffing.roster_selectors import (
    assignment_list,
    compare_rosters,
    roster_coverage,
    roster_list,
    shift_type_list,
)
from staffing.roster_serializers import (
    AssignmentEditSerializer,
    AssignmentOutputSerializer,
    HourCoverageSerializer,
    RosterChangeSerializer,
    RosterCreateSerializer,
    RosterGenerateSerializer,
    RosterImportErrorSerializer,
    RosterImportResultSerializer,
    RosterImportSerializer,
    RosterOutputSerializer,
    ShiftTypeOutputSerializer,
)


@extend_schema(tags=["rostering"])
class ShiftTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Shift types of the halls visible to the caller."""

    serializer_class = ShiftTypeOutputSerializer
    filterset_class = ShiftTypeFilterSet
    permission_actions = {"list": "roster.view", "retrieve": "roster.view"}

    def get_queryset(self):
        return shift_type_list(user=self.request.user)


@extend_schema(tags=["rostering"])
class RosterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Roster versions. A clerk sees the published rosters of their hall only."""

    serializer_class = RosterOutputSerializer
    filterset_class = RosterFilterSet
    permission_actions = {
        "list": "roster.view",
        "retrieve": "roster.view",
        "coverage": "roster.view",
        "compare": "roster.view",
        "create": "roster.edit",
        "generate": "roster.generate",
        "publish": "roster.publish",
        "import_roster": "roster.import",
    }

    def get_queryset(self):
        return roster_list(user=self.request.user)

    def _output(self, pk):
        return RosterOutputSerializer(roster_list(user=self.request.user).get(pk=pk)).data

    @extend_schema(request=RosterCreateSerializer, responses={201: RosterOutputSerializer})
    def create(self, request):
        """A new empty draft version, to fill in by hand."""
        data = RosterCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        roster = services.create_roster(
            actor=request.user, hall=v["hall"], start=v["period_start"], end=v["period_end"]
        )
        return Response(self._output(roster.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=RosterGenerateSerializer, responses={202: RosterOutputSerializer})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Queue generation of a new version; poll the roster's progress and generation_status."""
        data = RosterGenerateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        roster = services.request_roster_generation(
            actor=request.user,
            hall=v["hall"],
            start=v["period_start"],
            end=v["period_end"],
            method=v["method"],
            rotation=v.get("rotation"),
            time_limit_seconds=v["time_limit_seconds"],
        )
        return Response(self._output(roster.pk), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request={"multipart/form-data": RosterImportSerializer},
        responses={201: RosterImportResultSerializer, 400: RosterImportErrorSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_roster(self, request):
        """Import a roster file (multipart `file`, CSV or .xlsx) as a new draft version of the
        hall's roster for the period: all or nothing. A 400 lists the rows in error (`rows`) or
        the roster rules the file breaks, with rows and people (`violations`)."""
        data = RosterImportSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        upload = v["file"]
        if upload.size > roster_import.MAX_FILE_BYTES:
            raise ValidationError({"file": [_("The file is too large.")]})
        try:
            result = roster_import.import_roster(
                actor=request.user,
                hall=v["hall"],
                start=v["period_start"],
                end=v["period_end"],
                content=upload.read(),
                filename=upload.name or "",
            )
        except (roster_import.RosterImportInvalid, roster_import.RosterImportRefused) as exc:
            body = {
                "detail": exc.message,
                "errors": {exc.field or "file": [exc.message]},
                "rows": [{"row": r, "column": c, "message": m} for r, c, m in getattr(exc, "errors", [])],
                "violations": [
                    {"rows": list(f.rows), "person": f.person, "message": f.message}
                    for f in getattr(exc, "findings", [])
                ],
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        payload = {
            "roster": self._output(result.roster.pk),
            "assignments": result.assignments,
            "unmet_staff_hours": result.unmet_staff_hours,
            "findings": [
                {"rows": list(f.rows), "person": f.person, "message": f.message} for f in result.findings
            ],
        }
        return Response(payload, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RosterOutputSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        roster = self.get_object()
        services.publish_roster(actor=request.user, roster=roster)
        return Response(self._output(roster.pk))

    @extend_schema(responses={200: HourCoverageSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def coverage(self, request, pk=None):
        """Scheduled against required staff in every open hour, with gaps and surpluses."""
        roster = self.get_object()
        return Response(HourCoverageSerializer(roster_coverage(roster=roster), many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("with", int, required=True, description="id of the version to compare with")
        ],
        responses={200: RosterChangeSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def compare(self, request, pk=None):
        """Changes from the version given in `with` to this one."""
        roster = self.get_object()
        try:
            other_pk = int(request.query_params.get("with", ""))
        except ValueError as exc:
            raise ValidationError({"with": [_("Give the id of another version.")]}) from exc
        other = get_object_or_404(roster_list(user=request.user).filter(hall=roster.hall), pk=other_pk)
        return Response(RosterChangeSerializer(compare_rosters(old=other, new=roster), many=True).data)


@extend_schema(tags=["rostering"])
class AssignmentViewSet(
    DeletedRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Assignments of visible rosters; filter by hall, roster, staff and date range."""

    tombstone_resource = Tombstone.Resource.ASSIGNMENT

    serializer_class = AssignmentOutputSerializer
    filterset_class = AssignmentFilterSet
    permission_actions = {"list": "roster.view", "retrieve": "roster.view", "create": "roster.edit"}

    def get_queryset(self):
        return assignment_list(user=self.request.user)

    def get_permission_hall(self, obj):
        return obj.roster.hall

    @extend_schema(request=AssignmentEditSerializer, responses={200: AssignmentOutputSerializer, 204: None})
    def create(self, request):
        """Set or clear one person's shift on one date of a draft roster, checked against every rule."""
        data = AssignmentEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        roster = get_object_or_404(
            Roster.objects.visible_to(request.user).select_related("hall"), pk=v["roster"]
        )
        staff = Staff.objects.filter(pk=v["staff"]).first()
        if staff is None:
            raise ValidationError({"staff": [_("Unknown staff member.")]})
        shift = None
        if v["shift"] is not None:
            shift = ShiftType.objects.filter(hall=roster.hall, code=v["shift"]).first()
            if shift is None:
                raise ValidationError({"shift": [_("This hall has no shift with this code.")]})
        made = services.edit_assignment(
            actor=request.user,
            roster=roster,
            staff=staff,
            day=v["date"],
            shift_type=shift,
            post=v.get("post"),
            window_no=v.get("window_no"),
        )
        if made is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(AssignmentOutputSerializer(assignment_list(user=request.user).get(pk=made.pk)).data)

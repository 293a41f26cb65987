"""Complaints API: idempotent intake from other channels (a hotline system), filtered sync reads,
and the workflow actions with optimistic concurrency (a stale `version` answers 409)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from complaints import services
from complaints.exceptions import ComplaintVersionConflict
from complaints.filters import ComplaintFilterSet
from complaints.models import Complaint
from complaints.selectors import complaint_list
from complaints.serializers import (
    AssignSerializer,
    CloseSerializer,
    ComplaintCreateSerializer,
    ComplaintOutputSerializer,
    ConflictSerializer,
    CustomerContactSerializer,
    HandOverSerializer,
    ReasonSerializer,
    ReplySerializer,
    VersionedSerializer,
)
from halls.idempotency import run_idempotently
from halls.models import Hall
from staffing.models import Staff

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=True,
    description="Client-chosen unique key: a retry with the same key and payload replays the first "
    "response; a key still in flight answers 409, the same key with another payload 422.",
)
CONFLICT = OpenApiResponse(ConflictSerializer, description="The complaint changed since you read it.")


@extend_schema(tags=["complaints"])
class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Complaints of the halls visible to the caller (another hall's answers 404). Every read — list
    and single complaint — shows the customer masked and is not audited; the people handling a
    complaint reveal the contact with POST `reveal-contact/`, one audit row per reveal (as the
    page's "show contact" button)."""

    serializer_class = ComplaintOutputSerializer
    filterset_class = ComplaintFilterSet
    permission_actions = {
        "list": "complaint.view",
        "retrieve": "complaint.view",
        "create": "complaint.create",
        "assign": "complaint.assign",
        "hand_over": "complaint.handle",
        "start": "complaint.handle",
        "pause": "complaint.handle",
        "resume": "complaint.handle",
        "reply": "complaint.handle",
        "close": "complaint.handle",
        "reopen": "complaint.handle",
        # As the page's reveal: anyone who sees the complaint may ask; the service reveals to the
        # people handling it (masking.may_view_unmasked) and refuses everyone else (403).
        "reveal_contact": "complaint.view",
    }

    def get_queryset(self):
        return complaint_list(user=self.request.user)

    @extend_schema(
        request=None,
        responses={
            200: CustomerContactSerializer,
            403: OpenApiResponse(description="Only the people handling the complaint may reveal it."),
        },
    )
    @action(detail=True, methods=["post"], url_path="reveal-contact")
    def reveal_contact(self, request, pk=None):
        """The customer's name and phone, unmasked, for the people handling the complaint (its
        first receiver, its current handler, the hall's and the branch's managers). Every call is
        an explicit look at personal data and writes one `contact_viewed` audit row."""
        complaint = self.get_object()
        contact = services.reveal_customer_contact(actor=request.user, complaint=complaint, purpose="api")
        return Response(CustomerContactSerializer(contact).data)

    @extend_schema(
        request=ComplaintCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: ComplaintOutputSerializer,
            409: OpenApiResponse(description="A request with this key is in flight."),
            422: OpenApiResponse(description="The key was used with another payload."),
        },
    )
    def create(self, request):
        return run_idempotently(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        data = ComplaintCreateSerializer(data=request.data)
        data.fields["hall"].queryset = Hall.objects.visible_to(request.user)
        data.fields["clerks"].child_relation.queryset = Staff.objects.visible_to(request.user)
        data.is_valid(raise_exception=True)
        complaint = services.create_complaint(actor=request.user, **data.validated_data)
        return Response(self._output(complaint.pk), status=status.HTTP_201_CREATED)

    def _output(self, pk) -> dict:
        return ComplaintOutputSerializer(complaint_list(user=self.request.user).get(pk=pk)).data

    def _act(self, request, serializer_class, service):
        complaint = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version")
        if "handler" in values:
            user = _user_by_username(values.pop("handler"))
            values["to_handler" if service is services.hand_over_complaint else "handler"] = user
        try:
            service(actor=request.user, complaint=complaint, expected_version=version, **values)
        except ComplaintVersionConflict as exc:
            current = Complaint.objects.filter(pk=complaint.pk).values_list("version", flat=True).first()
            return Response(
                {"detail": exc.message, "errors": {"version": [exc.message]}, "current_version": current},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(self._output(complaint.pk))

    @extend_schema(request=AssignSerializer, responses={200: ComplaintOutputSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._act(request, AssignSerializer, services.assign_complaint)

    @extend_schema(request=HandOverSerializer, responses={200: ComplaintOutputSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        return self._act(request, HandOverSerializer, services.hand_over_complaint)

    @extend_schema(request=VersionedSerializer, responses={200: ComplaintOutputSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._act(request, VersionedSerializer, services.start_handling)

    @extend_schema(request=ReasonSerializer, responses={200: ComplaintOutputSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._act(request, ReasonSerializer, services.pause_complaint)

    @extend_schema(request=VersionedSerializer, responses={200: ComplaintOutputSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._act(request, VersionedSerializer, services.resume_complaint)

    @extend_schema(request=ReplySerializer, responses={200: ComplaintOutputSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        return self._act(request, ReplySerializer, services.reply_to_customer)

    @extend_schema(request=CloseSerializer, responses={200: ComplaintOutputSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(request, CloseSerializer, services.close_complaint)

    @extend_schema(request=ReasonSerializer, responses={200: ComplaintOutputSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._act(request, ReasonSerializer, services.reopen_complaint)


def _user_by_username(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise serializers.ValidationError({"handler": [_("No active user with this username.")]})
    return user

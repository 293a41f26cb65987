from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from halls.models import Tombstone
from halls.sync_api import DeletedRowsMixin
from staffing import services
from staffing.filters import StaffFilterSet
from staffing.selectors import staff_list, staff_postings
from staffing.serializers import (
    StaffInputSerializer,
    StaffOutputSerializer,
    StaffPostingSerializer,
    StaffTransferSerializer,
    StaffUpdateSerializer,
)


@extend_schema(tags=["staff"])
class StaffViewSet(
    DeletedRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Staff of the halls visible to the caller; a clerk sees only their own record."""

    tombstone_resource = Tombstone.Resource.STAFF

    serializer_class = StaffOutputSerializer
    filterset_class = StaffFilterSet
    permission_actions = {
        "list": "staff.view",
        "retrieve": "staff.view",
        "postings": "staff.view",
        "create": "staff.create",
        "update": "staff.change",
        "partial_update": "staff.change",
        "transfer": "staff.transfer",
    }

    def get_queryset(self):
        return staff_list(user=self.request.user)

    @extend_schema(request=StaffInputSerializer, responses={201: StaffOutputSerializer})
    def create(self, request):
        data = StaffInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        staff = services.create_staff(actor=request.user, **data.validated_data)
        return Response(self._output(staff.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=StaffUpdateSerializer, responses={200: StaffOutputSerializer})
    def update(self, request, pk=None, partial=False):
        staff = self.get_object()
        data = StaffUpdateSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.update_staff(actor=request.user, staff=staff, **data.validated_data)
        return Response(self._output(staff.pk))

    @extend_schema(request=StaffUpdateSerializer, responses={200: StaffOutputSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(request=StaffTransferSerializer, responses={200: StaffOutputSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        staff = self.get_object()
        data = StaffTransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.transfer_staff(actor=request.user, staff=staff, **data.validated_data)
        return Response(self._output(staff.pk))

    @extend_schema(responses={200: StaffPostingSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def postings(self, request, pk=None):
        staff = self.get_object()
        return Response(StaffPostingSerializer(staff_postings(staff=staff), many=True).data)

    def _output(self, pk):
        return StaffOutputSerializer(staff_list(user=self.request.user).get(pk=pk)).data

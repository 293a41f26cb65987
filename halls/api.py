from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from halls import services
from halls.filters import HallFilterSet
from halls.selectors import hall_list
from halls.serializers import HallInputSerializer, HallOutputSerializer


@extend_schema(tags=["halls"])
class HallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Service halls visible to the caller. Another region's hall answers 404."""

    serializer_class = HallOutputSerializer
    filterset_class = HallFilterSet
    permission_actions = {
        "list": "hall.view",
        "retrieve": "hall.view",
        "create": "hall.create",
        "update": "hall.change",
        "partial_update": "hall.change",
    }

    def get_queryset(self):
        return hall_list(user=self.request.user)

    @extend_schema(request=HallInputSerializer, responses={201: HallOutputSerializer})
    def create(self, request):
        data = HallInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hall = services.create_hall(actor=request.user, **data.validated_data)
        return Response(self._output(hall.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=HallInputSerializer, responses={200: HallOutputSerializer})
    def update(self, request, pk=None, partial=False):
        hall = self.get_object()
        data = HallInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.update_hall(actor=request.user, hall=hall, **data.validated_data)
        return Response(self._output(hall.pk))

    @extend_schema(request=HallInputSerializer, responses={200: HallOutputSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def _output(self, pk):
        hall = hall_list(user=self.request.user).get(pk=pk)
        return HallOutputSerializer(hall, context=self.get_serializer_context()).data

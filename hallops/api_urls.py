"""REST API v1. Each app registers its viewsets here; OpenAPI at /api/schema/."""

from rest_framework.routers import DefaultRouter

from complaints.api import ComplaintViewSet
from halls.api import HallViewSet
from staffing.api import StaffViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("halls", HallViewSet, basename="api-hall")
router.register("staff", StaffViewSet, basename="api-staff")
router.register("complaints", ComplaintViewSet, basename="api-complaint")

urlpatterns = router.urls

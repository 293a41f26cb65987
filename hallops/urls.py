from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from halls.api_docs import ApiDocsView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("hallops.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("halls.urls")),
    path("staff/", include("staffing.urls")),
    path("assessment/", include("assessment.urls")),
    path("complaints/", include("complaints.urls")),
    path("training/", include("training.urls")),
]

# Uploaded files (complaint attachments, inspection photos) are never served from a public
# /media/ URL, not even in DEBUG: only views that check the user's scope and audit the opening
# hand them out.

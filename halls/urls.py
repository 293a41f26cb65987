from django.contrib.auth import views as auth_views
from django.urls import path

from halls import api_client_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("halls/", views.hall_list, name="hall_list"),
    path("halls/<int:pk>/", views.hall_detail, name="hall_detail"),
    path("halls/<int:pk>/edit/", views.hall_edit, name="hall_edit"),
    path("settings/api-clients/", api_client_views.api_client_list, name="api_client_list"),
    path("settings/api-clients/new/", api_client_views.api_client_create, name="api_client_create"),
    path("settings/api-clients/<int:pk>/", api_client_views.api_client_detail, name="api_client_detail"),
    path(
        "settings/api-clients/<int:pk>/rotate/", api_client_views.api_client_rotate, name="api_client_rotate"
    ),
    path(
        "settings/api-clients/<int:pk>/revoke/", api_client_views.api_client_revoke, name="api_client_revoke"
    ),
    path(
        "settings/api-clients/<int:pk>/webhooks/",
        api_client_views.api_client_webhook_create,
        name="api_client_webhook_create",
    ),
    path(
        "settings/webhooks/<int:pk>/stop/", api_client_views.webhook_unsubscribe, name="webhook_unsubscribe"
    ),
    path(
        "settings/webhook-deliveries/<int:pk>/redeliver/",
        api_client_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]

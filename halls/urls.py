from django.contrib.auth import views as auth_views
from django.urls import path

from halls import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("halls/", views.hall_list, name="hall_list"),
    path("halls/<int:pk>/", views.hall_detail, name="hall_detail"),
    path("halls/<int:pk>/edit/", views.hall_edit, name="hall_edit"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]

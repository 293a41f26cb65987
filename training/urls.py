from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("progress/", views.progress, name="progress"),
    path("sessions/new/", views.session_create, name="session-create"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("archive/<int:pk>/", views.archive, name="archive"),
    path("archive/<int:pk>/export.xlsx", views.archive_export, name="archive-export"),
    path("archive/<int:pk>/programmes/<int:program_pk>/qualify/", views.qualify, name="qualify"),
    path("archive/<int:pk>/plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
]

from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("export/summary.xlsx", views.summary_export, name="summary-export"),
    path("export/list.xlsx", views.list_export, name="list-export"),
]

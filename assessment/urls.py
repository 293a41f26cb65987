from django.urls import include, path

from assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.result_list, name="results"),
    path("results/<int:pk>/", views.score_card, name="score-card"),
    path("results/export.xlsx", views.result_export, name="results-export"),
    path("ranking/", views.hall_ranking, name="ranking"),
    path("runs/", views.run_list, name="runs"),
    path("runs/compute/", views.run_compute, name="run-compute"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/publish/", views.run_publish, name="run-publish"),
    path("rating/", views.rating, name="rating"),
    path("inspections/", include("assessment.mystery_shop.urls")),
]

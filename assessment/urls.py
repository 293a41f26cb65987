from django.urls import include, path

from assessment import elimination_views, scheme_views, views

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
    path("imports/", views.imports, name="imports"),
    path(
        "imports/evaluations-sample.csv",
        views.import_sample,
        {"kind": "evaluations"},
        name="import-sample-evaluations",
    ),
    path("imports/kpis-sample.csv", views.import_sample, {"kind": "kpis"}, name="import-sample-kpis"),
    path("elimination/", elimination_views.elimination_list_index, name="elimination-lists"),
    path("elimination/<int:pk>/", elimination_views.elimination_detail, name="elimination-detail"),
    path("elimination/<int:pk>/review/", elimination_views.elimination_review, name="elimination-review"),
    path("elimination/<int:pk>/confirm/", elimination_views.elimination_confirm, name="elimination-confirm"),
    path("elimination/<int:pk>/export.xlsx", elimination_views.elimination_export, name="elimination-export"),
    path(
        "elimination/entries/<int:pk>/appeal/",
        elimination_views.elimination_appeal,
        name="elimination-appeal",
    ),
    path(
        "elimination/entries/<int:pk>/outcome/",
        elimination_views.elimination_outcome,
        name="elimination-outcome",
    ),
    path("elimination/appeals/", elimination_views.elimination_appeals, name="elimination-appeals"),
    path(
        "elimination/appeals/<int:pk>/decide/",
        elimination_views.elimination_appeal_decide,
        name="elimination-appeal-decide",
    ),
    path("elimination/rule/", elimination_views.elimination_rule, name="elimination-rule"),
    path("schemes/", scheme_views.scheme_list, name="schemes"),
    path("schemes/<int:pk>/", scheme_views.scheme_detail, name="scheme-detail"),
    path("schemes/<int:pk>/new-version/", scheme_views.scheme_new_version, name="scheme-new-version"),
    path("schemes/<int:pk>/edit/", scheme_views.scheme_edit, name="scheme-edit"),
    path("schemes/<int:pk>/activate/", scheme_views.scheme_activate, name="scheme-activate"),
    path("inspections/", include("assessment.mystery_shop.urls")),
]

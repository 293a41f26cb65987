from django.urls import path

from assessment.mystery_shop import checklist_views, views

app_name = "mystery"

urlpatterns = [
    path("", views.visit_list, name="visit-list"),
    path("export.xlsx", views.visit_export, name="visit-export"),
    path("new/", views.visit_new, name="visit-new"),
    path("<int:pk>/", views.visit_detail, name="visit-detail"),
    path("<int:pk>/entry/", views.visit_entry, name="visit-entry"),
    path("<int:pk>/clerks/", views.visit_add_clerk, name="visit-add-clerk"),
    path("<int:pk>/clerks/<int:clerk_pk>/remove/", views.visit_remove_clerk, name="visit-remove-clerk"),
    path("<int:pk>/answers/<int:item_pk>/", views.visit_answer, name="visit-answer"),
    path("<int:pk>/photos/<int:photo_pk>/", views.visit_photo, name="visit-photo"),
    path("<int:pk>/photos/<int:photo_pk>/delete/", views.visit_photo_delete, name="visit-photo-delete"),
    path("<int:pk>/submit/", views.visit_submit, name="visit-submit"),
    path("<int:pk>/publish/", views.visit_publish, name="visit-publish"),
    path("<int:pk>/reopen/", views.visit_reopen, name="visit-reopen"),
    path("<int:pk>/close/", views.visit_close, name="visit-close"),
    path("rectifications/", views.rectification_list, name="rectification-list"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification-detail"),
    path("rectifications/<int:pk>/evidence/", views.rectification_evidence, name="rectification-evidence"),
    path("rectifications/<int:pk>/review/", views.rectification_review, name="rectification-review"),
    path("rectifications/<int:pk>/photo/", views.rectification_photo, name="rectification-photo"),
    path("report/", views.report, name="report"),
    path("report/export.xlsx", views.report_export, name="report-export"),
    path("checklists/", checklist_views.template_list, name="template-list"),
    path("checklists/new/", checklist_views.template_create, name="template-create"),
    path("checklists/<int:pk>/", checklist_views.template_detail, name="template-detail"),
    path(
        "checklists/<int:pk>/new-version/", checklist_views.template_new_version, name="template-new-version"
    ),
    path("checklists/<int:pk>/edit/", checklist_views.template_edit, name="template-edit"),
    path("checklists/<int:pk>/activate/", checklist_views.template_activate, name="template-activate"),
]

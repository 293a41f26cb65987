from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_queue, name="queue"),
    path("new/", views.complaint_intake, name="intake"),
    path("summary/", views.complaint_summary, name="summary"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/contact/", views.complaint_contact, name="contact"),
    path("<int:pk>/assign/", views.complaint_action, {"action": "assign"}, name="assign"),
    path("<int:pk>/hand-over/", views.complaint_action, {"action": "hand_over"}, name="hand-over"),
    path("<int:pk>/start/", views.complaint_action, {"action": "start"}, name="start"),
    path("<int:pk>/pause/", views.complaint_action, {"action": "pause"}, name="pause"),
    path("<int:pk>/resume/", views.complaint_action, {"action": "resume"}, name="resume"),
    path("<int:pk>/reply/", views.complaint_action, {"action": "reply"}, name="reply"),
    path("<int:pk>/close/", views.complaint_action, {"action": "close"}, name="close"),
    path("<int:pk>/reopen/", views.complaint_action, {"action": "reopen"}, name="reopen"),
    path("<int:pk>/note/", views.complaint_action, {"action": "note"}, name="note"),
    path("<int:pk>/attachments/", views.complaint_action, {"action": "attach"}, name="attach"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment-download"),
    path(
        "<int:pk>/accountability/",
        views.complaint_action,
        {"action": "accountability"},
        name="accountability",
    ),
    path("export/summary.xlsx", views.summary_export, name="summary-export"),
    path("export/list.xlsx", views.list_export, name="list-export"),
]

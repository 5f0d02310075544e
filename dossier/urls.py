"""The dossier's pages, under /plans/ (config/urls.py)."""

from django.urls import path

from dossier import views

app_name = "dossier"
urlpatterns = [
    path("<int:plan_id>/comments/", views.comment_create, name="comment-create"),
    path("<int:plan_id>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("<int:plan_id>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment-download"),
    path("<int:plan_id>/attachments/<int:attachment_id>/remove/", views.attachment_remove, name="attachment-remove"),
]

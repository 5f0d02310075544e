"""The pages of issued documents, under /documents/ (config/urls.py)."""

from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path("verify/", views.verify_page, name="verify"),
    path("plans/<int:plan_id>/issue/", views.issue, name="issue"),
    path("<int:document_id>/status/", views.status, name="status"),
    path("<int:document_id>/file.pdf", views.download, name="download"),
    path("<int:document_id>/package.edxml", views.package, name="package"),
]

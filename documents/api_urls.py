"""/api/v1/ routes of issued documents (included from config/api_urls.py)."""

from django.urls import path

from documents import api

urlpatterns = [
    path("plans/<int:plan_id>/documents/", api.PlanDocumentsView.as_view(), name="api-plan-documents"),
    path("documents/verify/", api.VerifyView.as_view(), name="api-documents-verify"),
    path("documents/<int:document_id>/", api.DocumentDetailView.as_view(), name="api-document"),
    path("documents/<int:document_id>/file.pdf", api.DocumentFileView.as_view(), name="api-document-file"),
    path("documents/<int:document_id>/package.edxml", api.DocumentEdxmlView.as_view(), name="api-document-edxml"),
    path("documents/<int:document_id>/token/", api.DocumentTokenView.as_view(), name="api-document-token"),
]

"""/api/v1/: each app contributes its routes here."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from directory import api as directory_api

urlpatterns = [
    path("auth/token/", directory_api.TokenView.as_view(), name="api-token"),
    path("me/", directory_api.MeView.as_view(), name="api-me"),
    path("units/", directory_api.UnitListView.as_view(), name="api-units"),
    path("units/<str:code>/", directory_api.UnitDetailView.as_view(), name="api-unit"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

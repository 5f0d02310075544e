"""/api/v1/: each app contributes its routes here."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from directory import api as directory_api
from planning import api as planning_api

urlpatterns = [
    path("auth/token/", directory_api.TokenView.as_view(), name="api-token"),
    path("me/", directory_api.MeView.as_view(), name="api-me"),
    path("units/", directory_api.UnitListView.as_view(), name="api-units"),
    path("units/<str:code>/", directory_api.UnitDetailView.as_view(), name="api-unit"),
    path("cycles/", planning_api.CycleListView.as_view(), name="api-cycles"),
    path("catalogue/", planning_api.CatalogueView.as_view(), name="api-catalogue"),
    path("plans/", planning_api.PlanListView.as_view(), name="api-plans"),
    path("plans/<int:plan_id>/", planning_api.PlanDetailView.as_view(), name="api-plan"),
    path("plans/<int:plan_id>/lines/", planning_api.PlanLinesView.as_view(), name="api-plan-lines"),
    path("plans/<int:plan_id>/indicators/", planning_api.PlanIndicatorsView.as_view(), name="api-plan-indicators"),
    path("plans/<int:plan_id>/households/", planning_api.PlanHouseholdsView.as_view(), name="api-plan-households"),
    path("plans/<int:plan_id>/totals/", planning_api.PlanTotalsView.as_view(), name="api-plan-totals"),
    path("plans/<int:plan_id>/envelope/", planning_api.PlanEnvelopeView.as_view(), name="api-plan-envelope"),
    path("plans/<int:plan_id>/rounds/", planning_api.PlanRoundsView.as_view(), name="api-plan-rounds"),
    path("plans/<int:plan_id>/diff/", planning_api.PlanDiffView.as_view(), name="api-plan-diff"),
    path("plans/<int:plan_id>/export.<str:fmt>", planning_api.PlanExportView.as_view(), name="api-plan-export"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

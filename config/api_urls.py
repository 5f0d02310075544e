"""/api/v1/: each app contributes its routes here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from directory import api as directory_api
from dossier import api as dossier_api
from notifications import api as notifications_api
from planning import api as planning_api
from workflows import api as workflows_api

urlpatterns = [
    path("auth/token/", directory_api.TokenView.as_view(), name="api-token"),
    path("me/", directory_api.MeView.as_view(), name="api-me"),
    path("units/", directory_api.UnitListView.as_view(), name="api-units"),
    path("units/<str:code>/", directory_api.UnitDetailView.as_view(), name="api-unit"),
    path("cycles/", planning_api.CycleListView.as_view(), name="api-cycles"),
    path("catalogue/", planning_api.CatalogueView.as_view(), name="api-catalogue"),
    path("plans/", workflows_api.PlanCreateView.as_view(), name="api-plans"),
    path("plans/<int:plan_id>/", planning_api.PlanDetailView.as_view(), name="api-plan"),
    path("plans/<int:plan_id>/lines/", planning_api.PlanLinesView.as_view(), name="api-plan-lines"),
    path(
        "plans/<int:plan_id>/lines/template.xlsx",
        planning_api.PlanLinesTemplateView.as_view(),
        name="api-plan-lines-template",
    ),
    path("plans/<int:plan_id>/lines/import/", planning_api.PlanLinesImportView.as_view(), name="api-plan-lines-import"),
    path("plans/<int:plan_id>/indicators/", planning_api.PlanIndicatorsView.as_view(), name="api-plan-indicators"),
    path(
        "plans/<int:plan_id>/households/template.xlsx",
        planning_api.PlanHouseholdsTemplateView.as_view(),
        name="api-plan-households-template",
    ),
    path(
        "plans/<int:plan_id>/households/import/",
        planning_api.PlanHouseholdsImportView.as_view(),
        name="api-plan-households-import",
    ),
    path("plans/<int:plan_id>/households/", planning_api.PlanHouseholdsView.as_view(), name="api-plan-households"),
    path("plans/<int:plan_id>/totals/", planning_api.PlanTotalsView.as_view(), name="api-plan-totals"),
    path("plans/<int:plan_id>/envelope/", planning_api.PlanEnvelopeView.as_view(), name="api-plan-envelope"),
    path("plans/<int:plan_id>/rounds/", planning_api.PlanRoundsView.as_view(), name="api-plan-rounds"),
    path("plans/<int:plan_id>/diff/", planning_api.PlanDiffView.as_view(), name="api-plan-diff"),
    path(
        "plans/<int:plan_id>/report-by-content.xlsx",
        planning_api.PlanComponentReportView.as_view(),
        name="api-plan-component-report",
    ),
    path("plans/<int:plan_id>/export.<str:fmt>", planning_api.PlanExportView.as_view(), name="api-plan-export"),
    path("plans/<int:plan_id>/actions/", workflows_api.PlanActionsView.as_view(), name="api-plan-actions"),
    path("plans/<int:plan_id>/actions/<str:action>/", workflows_api.PlanActionView.as_view(), name="api-plan-action"),
    path("plans/<int:plan_id>/history/", workflows_api.PlanHistoryView.as_view(), name="api-plan-history"),
    path("plans/<int:plan_id>/comments/", dossier_api.PlanCommentsView.as_view(), name="api-plan-comments"),
    path("plans/<int:plan_id>/attachments/", dossier_api.PlanAttachmentsView.as_view(), name="api-plan-attachments"),
    path(
        "plans/<int:plan_id>/attachments/<int:attachment_id>/",
        dossier_api.PlanAttachmentView.as_view(),
        name="api-plan-attachment",
    ),
    path("tasks/", workflows_api.TaskListView.as_view(), name="api-tasks"),
    path("notifications/", notifications_api.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read/", notifications_api.NotificationReadView.as_view(), name="api-notifications-read"),
    path("", include("documents.api_urls")),  # issued documents (documents/)
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

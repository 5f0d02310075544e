from django.contrib import admin

from config.admin_mixins import ReadOnlyAdmin
from planning.models import CatalogueItem, Cycle, LocalLabel, Plan, PlanRound, ProgrammePeriod


@admin.register(ProgrammePeriod)
class ProgrammePeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "title_vi", "legal_basis"]


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ["code", "title_vi", "period", "lead_agency_kind", "budgetable"]
    list_filter = ["period", "budgetable"]
    search_fields = ["code", "title_vi", "title_en"]


@admin.register(LocalLabel)
class LocalLabelAdmin(admin.ModelAdmin):
    list_display = ["province", "item", "local_code", "local_title"]
    raw_id_fields = ["province", "item"]


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "structure", "period"]


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "round_number", "updated_at"]
    list_filter = ["cycle", "plan_type", "status"]
    search_fields = ["unit__name", "unit__code", "number_symbol"]
    list_select_related = ["cycle", "unit"]


@admin.register(PlanRound)
class PlanRoundAdmin(ReadOnlyAdmin):
    list_display = ["plan", "number", "kind", "created_by", "created_at"]
    list_select_related = ["plan__unit", "plan__cycle", "created_by"]

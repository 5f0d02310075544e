from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from config.admin_mixins import ReadOnlyAdmin
from planning import services
from planning.models import CatalogueItem, Cycle, FundingSource, LocalLabel, Plan, PlanRound, ProgrammePeriod


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


@admin.register(FundingSource)
class FundingSourceAdmin(ReadOnlyAdmin):
    list_display = ["code", "title_vi", "short_vi", "group", "period"]
    list_filter = ["period"]


class CycleForm(forms.ModelForm):
    """The same rule as ``services.cycle_ensure``: a cycle's period is the one of its year, and
    that period must have its catalogue and sources."""

    class Meta:
        model = Cycle
        fields = ["year", "period", "structure", "name", "plan_types"]

    def clean(self):
        data = super().clean()
        year = data.get("year")
        if year:
            try:
                period = services.cycle_period(year)
            except ValidationError as exc:
                raise ValidationError({"period": exc.message_dict["year"]}) from None
            if data.get("period") and data["period"] != period:
                self.add_error("period", f"Năm {year} thuộc giai đoạn {period.code}.")
        return data


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    form = CycleForm
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

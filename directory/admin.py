from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from directory.forms import MembershipForm
from directory.models import (
    AdministrativeUnit,
    Agency,
    Delegation,
    Membership,
    ProgrammeSetting,
    ProjectLead,
    UnitSuccession,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Cán bộ", {"fields": ("full_name", "language")}))
    list_display = ["username", "full_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    inlines = [MembershipInline]


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tier", "structure", "parent"]
    list_filter = ["structure", "tier"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "province", "district"]
    list_select_related = ["parent"]


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(admin.ModelAdmin):
    """Read only: the table is rebuilt from the official conversion by ``load_units``."""

    list_display = ["old", "new", "partly_merged"]
    list_filter = ["partly_merged", "old__tier"]
    search_fields = ["old__code", "old__name", "new__code", "new__name"]
    list_select_related = ["old", "new"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit"]
    list_filter = ["kind", "unit__structure", "unit__tier"]
    search_fields = ["name", "unit__name", "unit__code"]
    raw_id_fields = ["unit", "group"]
    list_select_related = ["unit"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "agency", "role", "title"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "agency__name"]
    autocomplete_fields = ["agency"]
    raw_id_fields = ["user"]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["deputy", "principal", "agency", "starts_on", "ends_on"]
    raw_id_fields = ["agency", "principal", "deputy", "created_by"]


@admin.register(ProgrammeSetting)
class ProgrammeSettingAdmin(admin.ModelAdmin):
    list_display = ["unit", "period", "standing_agency"]
    raw_id_fields = ["unit", "standing_agency"]


@admin.register(ProjectLead)
class ProjectLeadAdmin(admin.ModelAdmin):
    list_display = ["unit", "period", "item_code", "agency"]
    raw_id_fields = ["unit", "agency"]

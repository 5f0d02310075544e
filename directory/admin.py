"""The directory's admin. Memberships are written only through the services
(``membership_add`` / ``membership_remove`` / ``membership_change_role``), alone or inline on an
officer, so the agency's guardian group — what lets an officer see and act on a unit's plans —
always follows them; the agencies' groups cannot be picked by hand on the officer's form."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from directory import services
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


def membership_save(*, actor: User, membership: Membership) -> Membership:
    """Save a membership as the admin's form left it, through the services: a new one is
    added, a changed role or title is a role change, a membership moved to another officer or
    agency is the old one removed and the new one added. Returns the stored membership."""
    if membership.pk is None:
        return services.membership_add(
            actor=actor, user=membership.user, agency=membership.agency, role=membership.role, title=membership.title
        )
    stored = Membership.objects.get(pk=membership.pk)
    if (stored.user_id, stored.agency_id) != (membership.user_id, membership.agency_id):
        services.membership_remove(actor=actor, membership=stored)
        return services.membership_add(
            actor=actor, user=membership.user, agency=membership.agency, role=membership.role, title=membership.title
        )
    return services.membership_change_role(actor=actor, membership=stored, role=membership.role, title=membership.title)


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

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            # An agency's group follows the officer's memberships (the inline below), never a tick here.
            kwargs["queryset"] = Group.objects.filter(agency__isnull=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.membership_remove(actor=request.user, membership=membership)
        for membership in instances:
            stored = membership_save(actor=request.user, membership=membership)
            membership.pk = stored.pk
        formset.save_m2m()
        return None

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The groups field (other groups only) was just written: the agencies' groups back, as the memberships say.
        services.agency_groups_sync(user=form.instance)


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

    def save_model(self, request: HttpRequest, obj: Membership, form, change: bool) -> None:
        obj.pk = membership_save(actor=request.user, membership=obj).pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.membership_remove(actor=request.user, membership=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        """The list's "delete selected" action: each membership through the service."""
        for membership in queryset.select_related("user", "agency"):
            services.membership_remove(actor=request.user, membership=membership)


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

"""Admin: administrators enter days off, swapped working days and provinces' own milestone dates
(through the services, so open tasks' deadlines follow at once); the rest is read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from deadlines import services
from deadlines.models import (
    CalendarDay,
    ClockOffset,
    DeadlineExtension,
    DeadlineTimer,
    MilestoneOverride,
    ReminderLedgerEntry,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "created_by"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change) -> None:
        services.calendar_day_save(actor=request.user, day=obj)

    def delete_model(self, request, obj) -> None:
        services.calendar_day_delete(actor=request.user, day=obj)

    def delete_queryset(self, request, queryset) -> None:
        for day in queryset:
            services.calendar_day_delete(actor=request.user, day=day)


@admin.register(MilestoneOverride)
class MilestoneOverrideAdmin(admin.ModelAdmin):
    list_display = ["province", "cycle", "plan_type", "tier", "step", "date", "rule", "updated_by"]
    list_filter = ["plan_type", "tier", "cycle"]
    raw_id_fields = ["province"]
    exclude = ["updated_by"]

    def save_model(self, request, obj, form, change) -> None:
        services.milestone_override_save(actor=request.user, override=obj)

    def delete_model(self, request, obj) -> None:
        services.milestone_override_delete(actor=request.user, override=obj)

    def delete_queryset(self, request, queryset) -> None:
        for override in queryset:
            services.milestone_override_delete(actor=request.user, override=override)


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(ReadOnlyAdmin):
    list_display = ["plan", "step", "previous_due_on", "due_on", "extended_by", "created_at"]
    raw_id_fields = ["plan"]
    list_select_related = ["plan__unit", "plan__cycle", "extended_by"]


@admin.register(DeadlineTimer)
class DeadlineTimerAdmin(ReadOnlyAdmin):
    list_display = ["work_item", "due_at", "next_threshold", "next_fire_at", "armed_from"]
    raw_id_fields = ["work_item"]


@admin.register(ReminderLedgerEntry)
class ReminderLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["work_item", "threshold", "kind", "audience", "recipients", "fire_at", "sent_at"]
    list_filter = ["kind", "audience"]
    raw_id_fields = ["work_item"]


@admin.register(ClockOffset)
class ClockOffsetAdmin(ReadOnlyAdmin):
    """Shown so an operator sees a moved demo clock; moved only by ``manage.py cycle_clock``."""

    list_display = ["offset", "set_at", "note"]

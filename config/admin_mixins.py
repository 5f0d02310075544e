"""Admin pages for state the services own: readable by administrators, never edited in place.

Status changes go through the services (the API and the task pages); the admin cannot bypass
them, so the rules hold whatever the entry point."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

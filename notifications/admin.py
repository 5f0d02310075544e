"""Read-only admin views of the outbox, for operators checking delivery."""

from django.contrib import admin

from notifications.models import EmailPreference, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "kind", "created_at", "read_at", "pushed_at", "emailed_at", "email_outcome"]
    list_filter = ["kind", "email_outcome"]
    search_fields = ["recipient__username", "text_vi", "dedupe_key"]
    raw_id_fields = ["recipient", "plan"]
    list_select_related = ["recipient"]

    def has_add_permission(self, request) -> bool:
        return False  # notifications come from services.notify only

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "mode", "digest_hour", "last_digest_on"]
    list_filter = ["mode"]
    raw_id_fields = ["user"]

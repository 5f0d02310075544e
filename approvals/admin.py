from django.contrib import admin

from approvals.models import AuditEvent, Resolution
from config.admin_mixins import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "plan", "action", "from_status", "to_status", "actor", "acting_for", "request_id"]
    list_filter = ["action"]
    search_fields = ["plan__unit__name", "actor__username", "request_id"]
    list_select_related = ["plan__unit", "plan__cycle", "actor", "acting_for"]
    # Not editable fields, so listed to be shown: the time and the chain (manage.py audit_verify).
    readonly_fields = ["created_at", "prev_hash", "chain_hash"]


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyAdmin):
    list_display = ["number", "date", "plan", "recorded_by"]

from django.contrib import admin

from config.admin_mixins import ReadOnlyAdmin
from workflows.models import WorkItem


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnlyAdmin):
    list_display = ["plan", "step", "lane", "agency", "assignee", "is_open", "due_at", "outcome"]
    list_filter = ["is_open", "step"]
    list_select_related = ["plan__unit", "plan__cycle", "agency", "assignee"]

from django.contrib import admin

from config.admin_mixins import ReadOnlyAdmin
from dossier.models import Attachment, Comment


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["plan", "author", "agency", "round_number", "line_ref", "created_at"]
    list_select_related = ["plan__unit", "plan__cycle", "author", "agency"]
    raw_id_fields = ["plan", "parent", "answers_event"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "plan", "round_number", "kind", "content_type", "size", "uploaded_by", "frozen_at"]
    list_select_related = ["plan__unit", "plan__cycle", "uploaded_by"]
    list_filter = ["kind", "content_type"]

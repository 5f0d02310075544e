"""A plan's dossier: the conversation on it (comments, replies, answers to a return) and the
files attached to it, each belonging to a round of the plan."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models import Agency
from planning.models import Plan


class Comment(models.Model):
    """One message in a plan's thread. A reply points at a top-level comment (one level only);
    a comment may be anchored to a budget line (by the line's item, as the editor's choice list
    names it: "2", or "2021-2025:1" for a continuing item) and may answer a return (the audit
    event of the return or re-opening)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The agency the author wrote for (their agency on the plan's unit, or the reviewing one).
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The plan's round when the comment was written (0: before the first submission).
    round_number = models.PositiveIntegerField(_("lần trình"), default=0)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    line_ref = models.CharField(_("dòng kinh phí"), max_length=64, blank=True)
    answers_event = models.ForeignKey(
        "approvals.AuditEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("nội dung"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ý kiến")
        verbose_name_plural = _("ý kiến")
        ordering = ["plan", "id"]
        indexes = [models.Index(fields=["plan", "id"], name="comment_plan_id")]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.text[:40]}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A storage name that reveals nothing and never collides: plans/<plan>/<uuid><ext>."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"plans/{instance.plan_id}/{uuid.uuid4().hex}.{suffix}"


class Attachment(models.Model):
    """A file attached to a plan for a round: uploaded while the plan is a draft, frozen with the
    round when the plan is submitted (``frozen_at``), never removed after that."""

    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("Tờ trình")
        MINUTES = "minutes", _("Biên bản")
        RESOLUTION = "resolution", _("Nghị quyết")
        TABLE = "table", _("Biểu, bảng số liệu")
        OTHER = "other", _("Tài liệu khác")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="attachments")
    # The round the file belongs to: the one being prepared when it was uploaded.
    round_number = models.PositiveIntegerField(_("lần trình"))
    kind = models.CharField(_("loại tài liệu"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(max_length=128)
    size = models.PositiveBigIntegerField(_("dung lượng"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")
        ordering = ["plan", "round_number", "id"]
        indexes = [models.Index(fields=["plan", "round_number"], name="attachment_plan_round")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

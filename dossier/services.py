"""Writes to a plan's dossier: comments and replies, the drafter's answer to a return, and
attachments (upload, removal, freezing with the round). Keyword-only, an explicit actor, one
transaction each; the plan must be visible to the actor (404 otherwise)."""

from __future__ import annotations

import os
import unicodedata
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict
from directory.models import User
from dossier import content, selectors
from dossier.models import Attachment, Comment
from notifications import services as notifications
from planning import selectors as plan_selectors
from planning.models import Plan

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from approvals.models import AuditEvent

MAX_COMMENT = 5000
MAX_NAME = 200


def max_upload_bytes() -> int:
    return int(getattr(settings, "DOSSIER_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


# --- the conversation --------------------------------------------------------------------------


def _clean_text(text: str, field: str = "text") -> str:
    text = str(text or "").strip()
    if not text:
        raise ValidationError({field: _("Cần nhập nội dung ý kiến.")})
    if len(text) > MAX_COMMENT:
        raise ValidationError({field: _("Ý kiến dài quá %(n)d ký tự.") % {"n": MAX_COMMENT}})
    return text


def _announce(comment: Comment) -> None:
    """Tell the people on the plan (not the author) through the notification outbox."""
    plan = comment.plan
    recipients = [user for user in selectors.people_on_plan(plan) if user.pk != comment.author_id]
    if not recipients:
        return
    excerpt = comment.text if len(comment.text) <= 140 else comment.text[:139] + "…"
    author = comment.author.display_name
    title_vi = f"{plan.get_plan_type_display()} {plan.cycle.year}, {plan.unit.name}"
    if comment.answers_event_id:
        vi = f"{author} trả lời ý kiến trả lại — {title_vi}: {excerpt}"
        en = f"{author} answered the return — plan {plan.cycle.year}, {plan.unit.name}: {excerpt}"
    else:
        vi = f"Ý kiến mới của {author} — {title_vi}: {excerpt}"
        en = f"New comment by {author} — plan {plan.cycle.year}, {plan.unit.name}: {excerpt}"
    notifications.notify(
        recipients=recipients,
        kind="comment",
        plan=plan,
        link=reverse("planning:detail", args=[plan.pk]) + "#thread",
        text_vi=vi,
        text_en=en,
    )


def _create(
    *, actor: User, plan: Plan, text: str, parent: Comment | None, line_ref: str, answers: AuditEvent | None = None
) -> Comment:
    comment = Comment.objects.create(
        plan=plan,
        author=actor,
        agency=selectors.author_agency(actor, plan),
        round_number=plan.round_number,
        parent=parent,
        line_ref=line_ref,
        answers_event=answers,
        text=text,
    )
    _announce(comment)
    return comment


@transaction.atomic
def comment_add(
    *, actor: User, plan_id: int, text: str, parent_id: int | str | None = None, line_ref: str = ""
) -> Comment:
    """A comment (or a reply to a top-level comment) on a plan the actor may see; optionally
    anchored to one of the plan's budget lines. 404 for a plan outside the actor's tree."""
    plan = plan_selectors.plan_get_for_user(user=actor, plan_id=plan_id)
    text = _clean_text(text)
    parent = None
    if parent_id is not None and parent_id != "":  # the form's field may come empty
        try:
            parent = Comment.objects.filter(plan=plan, pk=int(parent_id)).first()
        except (TypeError, ValueError):
            parent = None
        if parent is None:
            raise ValidationError({"parent": _("Không có ý kiến này trên kế hoạch.")})
        parent = parent.parent or parent  # one level of replies
    line_ref = selectors.line_key(line_ref)
    if line_ref and line_ref not in selectors.line_labels(plan):
        raise ValidationError({"line": _("Kế hoạch không có dòng kinh phí này.")})
    if parent is not None and not line_ref:
        line_ref = parent.line_ref
    return _create(actor=actor, plan=plan, text=text, parent=parent, line_ref=line_ref)


def return_reply(*, actor: User, plan: Plan, text: str) -> Comment | None:
    """The drafter's answer to the return, given with the resubmission: a comment in the thread
    that answers the latest return. Called inside the submission's transaction (workflows'
    ``plan_act``), so a refused submission stores no reply. An empty reply stores nothing."""
    text = str(text or "").strip()
    if not text:
        return None
    text = _clean_text(text, "reply")
    answered = selectors.last_return(plan)
    return _create(actor=actor, plan=plan, text=text, parent=None, line_ref="", answers=answered)


# --- attachments -------------------------------------------------------------------------------


def _require_drafter(actor: User, plan: Plan) -> None:
    refusal = plan_selectors.edit_refusal(actor, plan)
    if refusal == "role":
        raise PermissionDenied(_("Chỉ cán bộ soạn thảo của đơn vị lập kế hoạch mới được đính kèm hoặc gỡ tệp."))
    if refusal == "locked":
        raise Conflict(
            _("Kế hoạch đang ở trạng thái “%(status)s”: không thể thay đổi tệp đính kèm.")
            % {"status": plan.get_status_display()}
        )


def _safe_name(name: str) -> str:
    """The file's own name, as the officer sees it on download: no path, no control characters."""
    name = os.path.basename(str(name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "tep"
    if len(name) > MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: MAX_NAME - len(suffix) - 1] + dot + suffix) if dot else name[:MAX_NAME]
    return name


@transaction.atomic
def attachment_upload(
    *, actor: User, plan_id: int, upload: UploadedFile[bytes] | None, kind: str = Attachment.Kind.OTHER
) -> Attachment:
    """Attach a file to the round being prepared. Only the plan's drafters (and heads), only
    while it is a draft or returned; PDF, PNG, JPEG, .docx or .xlsx by content, within
    ``DOSSIER_MAX_UPLOAD_BYTES``."""
    plan = plan_selectors.plan_get_for_user(user=actor, plan_id=plan_id, for_update=True)
    _require_drafter(actor, plan)
    if upload is None:
        raise ValidationError({"file": _("Chọn tệp để đính kèm.")})
    if kind not in Attachment.Kind.values:
        raise ValidationError({"kind": _("Loại tài liệu không hợp lệ.")})
    size = upload.size
    if size is None:  # a request's upload always knows its size (Django counts it while reading)
        raise TypeError(f"upload {upload!r} has no size")
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationError({"file": _("Tệp lớn quá %(mb)s MB.") % {"mb": f"{limit / (1024 * 1024):.0f}"}})
    if size == 0:
        raise ValidationError({"file": _("Tệp rỗng.")})
    detected = content.detect(upload)
    if detected is None:
        raise ValidationError(
            {"file": _("Nội dung tệp không phải PDF, ảnh PNG/JPEG, Word (.docx) hay Excel (.xlsx): không nhận.")}
        )
    name = _safe_name(getattr(upload, "name", ""))
    if not content.extension_fits(name, detected):
        raise ValidationError(
            {
                "file": _("Nội dung tệp là %(type)s nhưng tên tệp có đuôi khác: hãy đặt đúng đuôi rồi tải lên lại.")
                % {"type": detected.label}
            }
        )
    attachment = Attachment(
        plan=plan,
        round_number=plan.round_number + 1,
        kind=kind,
        name=name,
        content_type=detected.mime,
        size=size,
        uploaded_by=actor,
    )
    upload.seek(0)
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_remove(*, actor: User, plan_id: int, attachment_id: int) -> None:
    """Remove a file of the round being prepared (a frozen file stays: 409)."""
    plan = plan_selectors.plan_get_for_user(user=actor, plan_id=plan_id, for_update=True)
    attachment = selectors.attachment_get(plan, attachment_id)
    if attachment is None:
        from django.http import Http404

        raise Http404
    _require_drafter(actor, plan)
    if attachment.is_frozen:
        raise Conflict(_("Tệp đã được khóa cùng lần trình %(n)d: không thể gỡ.") % {"n": attachment.round_number})
    stored = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    if stored:  # a file field without a name has no file to delete
        transaction.on_commit(lambda: storage.delete(stored), robust=True)


def attachments_freeze(*, plan: Plan, round_number: int) -> int:
    """Freeze the plan's unfrozen files with the round just frozen (``planning.services.round_freeze``
    calls this inside its transaction). Returns how many."""
    return Attachment.objects.filter(plan_id=plan.pk, frozen_at__isnull=True).update(
        round_number=round_number, frozen_at=timezone.now()
    )

"""The dossier's web forms: a comment or reply, an upload, a removal, and the download (served
here after the permission check, never from a public media URL)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.errors import Conflict
from dossier import selectors, services
from planning import selectors as plan_selectors


def _back(request: HttpRequest, plan_id: int, anchor: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})):
        target = reverse("planning:detail", args=[plan_id])
    return redirect(f"{target.split('#')[0]}#{anchor}")


def _errors(exc: ValidationError) -> str:
    return " ".join(message for messages_ in exc.message_dict.values() for message in messages_)


@login_required
@require_POST
def comment_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)  # 404 before anything else
    try:
        services.comment_add(
            actor=request.user,
            plan_id=plan_id,
            text=request.POST.get("text", ""),
            parent_id=request.POST.get("parent") or None,
            line_ref=request.POST.get("line", ""),
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Đã gửi ý kiến."))
    return _back(request, plan_id, "thread")


@login_required
@require_POST
def attachment_upload(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    try:
        attachment = services.attachment_upload(
            actor=request.user,
            plan_id=plan_id,
            upload=request.FILES.get("file"),
            kind=request.POST.get("kind") or "other",
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except (PermissionDenied, Conflict) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã đính kèm “%(name)s”.") % {"name": attachment.name})
    return _back(request, plan_id, "attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, plan_id: int, attachment_id: int) -> HttpResponse:
    plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    try:
        services.attachment_remove(actor=request.user, plan_id=plan_id, attachment_id=attachment_id)
    except (PermissionDenied, Conflict) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã gỡ tệp đính kèm."))
    return _back(request, plan_id, "attachments")


def serve(attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def attachment_download(request: HttpRequest, plan_id: int, attachment_id: int) -> HttpResponse:
    plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    attachment = selectors.attachment_get(plan, attachment_id)
    if attachment is None:
        raise Http404
    return serve(attachment)

"""The pages of issued documents: the plan page's panel (issue, progress, downloads), the
downloads, and the verification page open to anyone holding a signed PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import Conflict
from documents import api, selectors, services, verify
from documents.models import DocumentStatus


@login_required
@require_POST
def issue(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan page's "Ban hành văn bản ký số" form (number, date): queue the job, back to the
    plan; a refused number or date shows the plan page again with the errors at their fields."""
    from planning.views import plan_page

    try:
        services.document_issue(
            actor=request.user,
            plan_id=plan_id,
            number_symbol=request.POST.get("number_symbol", ""),
            issued_on=request.POST.get("issued_on", ""),
        )
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        extra = {"issue_errors": errors, "issue_posted": request.POST}
        return plan_page(request, plan_id, extra=extra, status=400)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã gửi yêu cầu ban hành: văn bản đang được tạo và ký số."))
    return redirect(reverse("planning:detail", args=[plan_id]) + "#issued-documents")


@login_required
def status(request: HttpRequest, document_id: int) -> JsonResponse:
    """What the plan page polls while a document is being made."""
    document = selectors.document_get_for_user(user=request.user, document_id=document_id)
    return JsonResponse(
        {
            "status": document.status,
            "label": document.get_status_display(),
            "progress": document.progress,
            "done": not document.is_busy,
        }
    )


def _issued(request: HttpRequest, document_id: int):
    document = selectors.document_get_for_user(user=request.user, document_id=document_id)
    if document.status != DocumentStatus.ISSUED:
        raise Conflict(_("Văn bản chưa được ban hành."))
    return document


@login_required
def download(request: HttpRequest, document_id: int) -> HttpResponse:
    return api.pdf_response(_issued(request, document_id))


@login_required
def package(request: HttpRequest, document_id: int) -> HttpResponse:
    document = _issued(request, document_id)
    try:
        return api.edxml_response(document)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("planning:detail", args=[document.plan_id]) + "#issued-documents")


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """Upload a PDF, read the verdict (no account needed)."""
    verdict = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            verdict = verify.Verdict("missing", _("Chọn tệp PDF cần kiểm tra."))
        else:
            verdict = verify.verify_upload(upload)
    status_code = 400 if verdict is not None and verdict.outcome in (*api.BAD_INPUT, "missing") else 200
    return render(
        request,
        "documents/verify.html",
        {"verdict": verdict, "max_mb": verify.max_bytes() // (1024 * 1024)},
        status=status_code,
    )

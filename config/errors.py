"""Errors shared by every app, and how the API answers them.

Services raise Django's ValidationError (400, naming the fields), PermissionDenied (403),
Http404 (404) and ``Conflict`` (409: the action clashes with the object's current state or a
concurrent action). Views and the API translate them; services never build responses.

Under ``/api/`` every error answer has one shape, whoever produced it::

    {"detail": "<readable message>", "code": "<stable machine code>"}

plus, for a 400 naming fields, the field errors beside them as before (``{"lines": {"1":
{"amounts": {"local": ["…"]}}}, "detail": "…", "code": "invalid"}``). DRF's exceptions come
through ``api_exception_handler``; what Django answers outside DRF (an unknown URL, an oversized
body, a database outage, any 500) is rewritten by ``config.middleware.APIErrorMiddleware`` with
``error_body`` and ``STATUS_CODES`` below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response


class StructuredValidationError(DjangoValidationError):
    """A ValidationError whose fields may hold nested detail: ``{"lines": {3: {"local": [msg]}}}``.

    Django's own ValidationError cannot nest; this one keeps the structure in ``detail`` (for
    the API and for forms that place each message at its row) and a readable flat summary in
    ``message_dict`` for everything else.
    """

    def __init__(self, detail: dict) -> None:
        self.detail = detail
        super().__init__({field: _summary(value) for field, value in detail.items()})


def _summary(value) -> list[str]:
    if isinstance(value, dict):
        return [
            f"{key + 1 if isinstance(key, int) else key}: {message}"
            for key, inner in value.items()
            for message in _summary(inner)
        ]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


class Conflict(Exception):
    """The request is valid but clashes with the current state (HTTP 409)."""

    code = "conflict"

    def extra(self) -> dict[str, Any]:
        """What the answer carries beside ``detail`` and ``code`` (a blocked precondition's list)."""
        return {}


class RequestTooLarge(APIException):
    """The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (HTTP 413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Nội dung gửi lên quá lớn.")
    default_code = "request_too_large"


# The code and message of an error answer nobody gave a reason for (Django's own pages).
STATUS_CODES: dict[int, tuple[str, Any]] = {
    400: ("bad_request", gettext_lazy("Yêu cầu không hợp lệ.")),
    401: ("not_authenticated", gettext_lazy("Cần đăng nhập.")),
    403: ("permission_denied", gettext_lazy("Bạn không có quyền thực hiện thao tác này.")),
    404: ("not_found", gettext_lazy("Không tìm thấy.")),
    405: ("method_not_allowed", gettext_lazy("Phương thức không được hỗ trợ.")),
    406: ("not_acceptable", gettext_lazy("Không trả lời được theo định dạng yêu cầu.")),
    409: ("conflict", gettext_lazy("Xung đột với trạng thái hiện tại.")),
    413: ("request_too_large", gettext_lazy("Nội dung gửi lên quá lớn.")),
    415: ("unsupported_media_type", gettext_lazy("Định dạng nội dung không được hỗ trợ.")),
    429: ("throttled", gettext_lazy("Quá nhiều yêu cầu. Vui lòng thử lại sau.")),
    500: ("server_error", gettext_lazy("Lỗi máy chủ. Vui lòng thử lại sau.")),
    503: ("service_unavailable", gettext_lazy("Hệ thống tạm thời không phục vụ được. Vui lòng thử lại sau.")),
}
RESERVED_KEYS = ("detail", "code")


def status_defaults(status_code: int) -> tuple[str, str]:
    """(code, message) for a bare status: the table above, else by class."""
    if status_code in STATUS_CODES:
        code, message = STATUS_CODES[status_code]
    elif status_code >= 500:
        code, message = STATUS_CODES[500]
    else:
        code, message = STATUS_CODES[400]
    return code, str(message)


def error_body(status_code: int, *, detail: Any = None, code: str | None = None, fields: Any = None) -> dict:
    """The one error shape: ``detail`` and ``code`` (strings), field errors beside them.

    A field that happens to be called "detail" or "code" keeps its messages under "fields".
    """
    default_code, default_detail = status_defaults(status_code)
    body: dict[str, Any] = {}
    if isinstance(fields, dict):
        body.update(fields)
        clashing = {key: body.pop(key) for key in RESERVED_KEYS if key in body}
        if clashing:
            body["fields"] = clashing
    elif isinstance(fields, list) and fields:
        # A list of messages, or (a list body) one entry of errors per row.
        body["errors" if any(isinstance(f, dict | list) for f in fields) else "non_field_errors"] = fields
    if fields and detail is None:
        detail = _first_message(fields)
    body["detail"] = str(detail) if detail not in (None, "") else default_detail
    body["code"] = str(code or default_code)
    return body


def _first_message(value: Any) -> str | None:
    """ "lines: 2: amounts: local: message" for the first error of nested field errors."""
    if isinstance(value, dict):
        for key, inner in value.items():
            message = _first_message(inner)
            if message is None:
                continue
            if key == "non_field_errors":
                return message
            return f"{key + 1 if isinstance(key, int) else key}: {message}"
        return None
    if isinstance(value, list | tuple):
        return next((m for m in map(_first_message, value) if m is not None), None)
    return str(value) if value not in (None, "") else None


def json_error(status_code: int, **kwargs) -> JsonResponse:
    body = error_body(status_code, **kwargs)
    return JsonResponse(body, status=status_code, json_dumps_params={"ensure_ascii": False})


def validation_detail(exc: DjangoValidationError) -> dict | list:
    """A Django ValidationError as JSON, keeping nested row/field structure."""
    if isinstance(exc, StructuredValidationError):
        return exc.detail
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


@dataclass(frozen=True)
class ErrorAnswer:
    """How a service's exception is answered, by the API (``body``) and by a page alike.

    ``fields``: a 400's field errors (nested as the API shows them); ``form_errors``: the same
    flat, per field, as a form shows them; ``extra``: what a 409 carries beside its message
    (a blocked precondition's ``blocking`` list)."""

    status: int
    code: str
    detail: str = ""
    fields: Any = None
    form_errors: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {**error_body(self.status, detail=self.detail or None, code=self.code, fields=self.fields), **self.extra}


# What services raise and a page answers itself (see the module docstring): ``error_answer``
# answers each of them; an Http404 goes on to Django's (or DRF's) own 404.
SERVICE_ERRORS = (DjangoValidationError, PermissionDenied, Conflict)


def error_answer(exc: BaseException) -> ErrorAnswer | None:
    """The one mapping from a service's exception to an answer (400, 403, 404, 409), shared by
    the API (``api_exception_handler``) and the pages (``workflows.views.plan_task``); None for
    anything else (an Http404, answered by Django or DRF; a bug: Django answers 500)."""
    if isinstance(exc, DjangoValidationError):
        form_errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return ErrorAnswer(400, "invalid", fields=validation_detail(exc), form_errors=form_errors)
    if isinstance(exc, Conflict):
        return ErrorAnswer(409, exc.code, detail=str(exc), extra=exc.extra())
    if isinstance(exc, PermissionDenied):
        return ErrorAnswer(403, "permission_denied", detail=str(exc) or _("Bạn không có quyền thực hiện thao tác này."))
    return None


def api_exception_handler(exc, context):
    """DRF's handler, every answer in the one error shape (see the module docstring).

    Returns None for what is not an API error (a bug, a database outage): Django then answers
    500, which APIErrorMiddleware turns into JSON (503 for a database outage)."""
    answer = error_answer(exc)
    if answer is not None:
        return Response(answer.body(), status=answer.status)
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which imports
    # config.parsers, which imports this module.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, DRFValidationError):
        response.data = error_body(response.status_code, fields=response.data, code="invalid")
    else:
        response.data = error_body(response.status_code, detail=_detail_of(response.data), code=_code_of(exc))
    return response


def _detail_of(data: Any) -> Any:
    if isinstance(data, dict) and "detail" in data:
        return data["detail"]
    return None


def _code_of(exc) -> str | None:
    if isinstance(exc, APIException):
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else getattr(exc, "default_code", None)
    if isinstance(exc, PermissionDenied):
        return "permission_denied"
    return "not_found"  # Http404, the only other exception DRF's handler answers

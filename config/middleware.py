"""Project middleware: the language choice, and JSON error answers under /api/.

Language: Vietnamese unless the officer chose English (language cookie or profile). Django's
LocaleMiddleware would follow the browser's Accept-Language, and many officers' browsers say
English: the product is Vietnamese first, so the header is ignored.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from config.errors import error_body, json_error


class VietnameseFirstMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if user is not None and user.is_authenticated and not chosen and user.language != settings.LANGUAGE_CODE:
            # First page after signing in: follow the officer's saved preference from now on.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=False,
            )
        return response


# --- API errors --------------------------------------------------------------------------------

API_PREFIX = "/api/"
# A database that cannot be reached (outage, restart, pool exhausted): 503, "try again".
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = "10"
_JSON_TYPES = ("application/json",)

logger = logging.getLogger("config.errors")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _remember_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django's got_request_exception fires inside the ``except`` of an uncaught exception, from
    the view or from any middleware inside APIErrorMiddleware: keep it so the 500 Django then
    renders can be classified (a database outage answers 503)."""
    if request is not None and is_api(request):
        request._api_exception = sys.exc_info()[1]


class APIErrorMiddleware:
    """Under ``/api/``, every error answer is JSON in the one shape (config.errors): Django's
    own 404 for an unknown URL, 405, 413 for an oversized body (declared by Content-Length or
    found while reading it), 429 from the login lockout, 503 for a database outage, any 500.
    DRF's answers are already in that shape and pass untouched. Web pages keep their HTML.

    Place it after SecurityMiddleware and the CSP middleware (their headers are copied onto the
    JSON answer) and before everything that may fail on a request's behalf (sessions, CSRF,
    authentication, the views). Works in sync and async chains, with no thread hop of its own.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        got_request_exception.connect(_remember_exception, weak=False, dispatch_uid="config-api-error-remember")

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        if not is_api(request):
            return self.get_response(request)
        too_large = _declared_too_large(request)
        if too_large is not None:
            return too_large
        return as_json_error(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return await self.get_response(request)
        too_large = _declared_too_large(request)
        if too_large is not None:
            return too_large
        return as_json_error(request, await self.get_response(request))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Exceptions from views (DRF re-raises what its handler does not answer)."""
        if not is_api(request):
            return None
        if isinstance(exception, RequestDataTooBig):
            return json_error(413)
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            return json_error(400, detail=str(exception), code="too_many_fields")
        if isinstance(exception, DATABASE_UNAVAILABLE):
            logger.error("database unavailable: %s %s", request.method, request.path, exc_info=exception)
            response = json_error(503, code="database_unavailable")
            response["Retry-After"] = RETRY_AFTER_SECONDS
            return response
        return None


def _declared_too_large(request: HttpRequest) -> HttpResponse | None:
    """413 at once for a body whose Content-Length is over DATA_UPLOAD_MAX_MEMORY_SIZE.

    Multipart bodies are exempt: files do not count towards that limit (Django's rule), and
    their other fields are checked while Django parses them (RequestDataTooBig, above)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None or request.content_type == "multipart/form-data":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return json_error(400, detail="Content-Length is not a number.", code="bad_request")
    return json_error(413) if length > limit else None


def as_json_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The response itself when it is not an error or already JSON; else the same status (503
    for a 500 caused by a database outage) as ``{"detail", "code"}``, headers kept."""
    if response.status_code < 400 or _is_json(response):
        return response
    status_code = response.status_code
    data = getattr(response, "data", None)  # a DRF Response rendered as HTML (browsable API)
    if isinstance(data, dict) and "detail" in data and "code" in data:
        body = data
    elif status_code == 429 and getattr(request, "axes_locked_out", False):
        body = error_body(429, detail=_("Tạm khóa đăng nhập do sai mật khẩu nhiều lần."), code="locked_out")
    else:
        exception = getattr(request, "_api_exception", None)
        if status_code == 500 and isinstance(exception, DATABASE_UNAVAILABLE):
            status_code = 503
            body = error_body(503, code="database_unavailable")
        else:
            body = error_body(status_code)
    converted = JsonResponse(body, status=status_code, json_dumps_params={"ensure_ascii": False})
    for header, value in response.headers.items():
        if header.lower() not in ("content-type", "content-length"):
            converted[header] = value
    if status_code == 503 and "Retry-After" not in converted:
        converted["Retry-After"] = RETRY_AFTER_SECONDS
    converted.cookies = response.cookies
    return converted


def _is_json(response: HttpResponse) -> bool:
    media_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return media_type in _JSON_TYPES or media_type.endswith("+json")

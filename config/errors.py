"""Errors shared by every app, and how the API answers them.

Services raise Django's ValidationError (400, naming the fields), PermissionDenied (403),
Http404 (404) and ``Conflict`` (409: the action clashes with the object's current state or a
concurrent action). Views and the API translate them; services never build responses.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


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


def validation_detail(exc: DjangoValidationError) -> dict | list:
    """A Django ValidationError as JSON, keeping nested row/field structure."""
    if isinstance(exc, StructuredValidationError):
        return exc.detail
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PermissionDenied) and not exc.args:
        return Response({"detail": "Bạn không có quyền thực hiện thao tác này."}, status=status.HTTP_403_FORBIDDEN)
    return exception_handler(exc, context)

"""The OpenAPI schema's error answers: every operation documents the errors it can give, in the
one shape of ``config.errors`` (``{"detail", "code"}`` plus the field errors beside them).

Which codes an operation documents (only what it can answer):

- **400** when it takes a body or query parameters (a field named, or a body refused by the
  parser: depth, type, characters);
- **401** everywhere but the token endpoint (a missing or wrong token); the token endpoint
  itself answers **429** while the login lockout holds;
- **403** everywhere (a role that may not act; the token endpoint: an inactive account);
- **404** when its path names an object (outside the caller's tree, or none);
- **409** for writes (the action clashes with the plan's state or a concurrent action);
- **413** for writes (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``) and **415** for a body in a
  media type the operation does not take.

An operation that documents a code itself (``@extend_schema(responses={409: …})``) keeps its own.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

WRITES = ("POST", "PUT", "PATCH", "DELETE")

ERROR = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(help_text="A readable message (the first field error for a 400)."),
        "code": serializers.CharField(help_text="A stable machine code: invalid, not_found, conflict, …"),
    },
)
DESCRIPTIONS = {
    "400": "Invalid request: the fields named beside detail and code hold their messages.",
    "401": "Not authenticated (no token, or a wrong one).",
    "403": "Not allowed for this account.",
    "404": "No such object, or it is outside the caller's units.",
    "409": "Conflicts with the current state of the plan.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "429": "Too many attempts: the login is locked for a while.",
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        anonymous = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        codes = ["403"]
        codes.append("429" if anonymous else "401")
        takes_input = self.method in WRITES or any(
            p.get("in") == "query" for p in self._get_parameters() if isinstance(p, dict)
        )
        if takes_input:
            codes.append("400")
        if "{" in self.path:
            codes.append("404")
        if self.method in WRITES:
            codes += ["409", "413", "415"]
        return sorted(codes)

    def _get_response_bodies(self, direction: openapi.Direction = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                error = OpenApiResponse(ERROR, description=DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(error, code, ["application/json"], direction)
        return responses

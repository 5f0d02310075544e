"""The API's JSON parser: bounded in size and depth, and only objects or arrays.

DRF's own JSONParser hands the body to ``json.load``: a body nested 1,000 levels deep raises
RecursionError (a 500, even on the anonymous token endpoint), and the body is read whole
whatever ``DATA_UPLOAD_MAX_MEMORY_SIZE`` says (DRF reads the stream, not ``request.body``). This
one reads at most that many bytes (413 beyond), counts the nesting before decoding anything
(400 beyond ``API_JSON_MAX_DEPTH``, 32 by default: the deepest body the API takes, a line's
amounts inside a list of lines, is 3), and refuses what no endpoint takes (a bare ``null``,
number, string or boolean; numbers out of range such as ``1e400``) and any string holding a
character no text field takes (``config.text``: a 400 naming the field, shaped like the body).
Every refusal is a ParseError, ValidationError or RequestTooLarge, answered as
``{"detail", "code"}`` by config.errors.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils import json

from config.errors import RequestTooLarge
from config.text import tree_errors

# A JSON string (with its escapes) or one bracket: strings are skipped, brackets counted.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def max_depth() -> int:
    return getattr(settings, "API_JSON_MAX_DEPTH", 32)


def nesting_depth(text: str, limit: int) -> int:
    """The deepest nesting of arrays and objects in ``text``, counted up to ``limit + 1``.

    A scan, not a parse: brackets inside strings do not count; malformed text is left for the
    decoder to refuse."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        first = match.group()[0]
        if first in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif first in "]}":
            depth -= 1
    return deepest


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def read_limited(stream) -> bytes:
    """The whole body, refusing more than DATA_UPLOAD_MAX_MEMORY_SIZE bytes (None: no limit)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if stream is None:
        return b""
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge()
    return body


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        raw = read_limited(stream)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"The JSON body is not valid {encoding}: {exc.reason}.", code="parse_error") from exc
        limit = max_depth()
        if nesting_depth(text, limit) > limit:
            raise ParseError(f"The JSON body is nested deeper than {limit} levels.", code="json_too_deep")
        try:
            data = json.loads(text, parse_float=_finite_float)
        except RecursionError as exc:  # unreachable after the depth check; never a 500 anyway
            raise ParseError(f"The JSON body is nested deeper than {limit} levels.", code="json_too_deep") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}", code="parse_error") from exc
        if not isinstance(data, dict | list):
            raise ParseError("The JSON body must be an object or an array.", code="json_not_object")
        errors = tree_errors(data)
        if errors is not None:  # control characters, non-characters, lone surrogates: config.text
            raise ValidationError(errors)
        return data

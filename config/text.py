"""Text from users: what is refused on the way in, and what a file writer strips anyway.

One rule for every entry point (the API's JSON bodies, the web forms, the services the
spreadsheet imports feed):

- **refused**: the C0 control characters (U+0000-U+001F) except tab, line feed and carriage
  return, DEL and the C1 controls (U+007F-U+009F), the Unicode non-characters (U+FDD0-U+FDEF
  and the last two code points of every plane, U+FFFE, U+FFFF, U+1FFFE …), and lone surrogates
  (U+D800-U+DFFF, which ``json.loads`` produces from ``"\\ud800"`` and no database can store);
- **single-line fields** (a name, a code, a number and symbol) refuse tab, line feed and
  carriage return too; multi-line text (a plan's sections, a comment) keeps them.

None of these is anything an officer types; each one either breaks the .xlsx/.docx files
(XML 1.0 cannot hold most of them) or the database (PostgreSQL refuses U+0000 and surrogates).
The files are written through ``xml_safe`` anyway, so text stored before this rule existed
cannot make a download answer 500.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_ALWAYS_REFUSED = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff" + _NONCHARACTERS
FORBIDDEN = re.compile(f"[{_ALWAYS_REFUSED}]")
FORBIDDEN_SINGLE_LINE = re.compile(f"[\t\n\r{_ALWAYS_REFUSED}]")
# What XML 1.0 cannot hold at all (Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
# [#x10000-#x10FFFF]): python-docx and openpyxl raise on it, a lone surrogate cannot be encoded.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def forbidden_character(value: str, *, multiline: bool = True) -> str | None:
    """The first refused character of ``value`` as ``U+XXXX``, or None when the text is fine."""
    match = (FORBIDDEN if multiline else FORBIDDEN_SINGLE_LINE).search(value)
    return None if match is None else f"U+{ord(match.group()):04X}"


def text_error(value: str, *, multiline: bool = True) -> str | None:
    """The message for an officer when ``value`` holds a refused character, else None."""
    character = forbidden_character(value, multiline=multiline)
    if character is None:
        return None
    if not multiline and character in ("U+0009", "U+000A", "U+000D"):
        return _("Trường này chỉ nhận một dòng (không xuống dòng, không tab).")
    return _("Chứa ký tự không hợp lệ (%(character)s).") % {"character": character}


def validate_text(value: Any) -> None:
    """A Django/DRF validator for multi-line text."""
    if isinstance(value, str) and (message := text_error(value)):
        raise ValidationError(message, code="invalid_character")


def validate_single_line(value: Any) -> None:
    """A Django/DRF validator for a one-line text (a name, a code)."""
    if isinstance(value, str) and (message := text_error(value, multiline=False)):
        raise ValidationError(message, code="invalid_character")


def tree_errors(data: Any) -> Any:
    """The refused characters of every string (keys included) of a decoded JSON body, as field
    errors shaped like the body (``{"lines": {0: {"content": [msg]}}}``); None when clean.

    Used by the API's JSON parser, so every text field of every endpoint is covered before a
    view sees it; the line/tab rule of single-line fields is the fields' own (serializers,
    services)."""
    if isinstance(data, str):
        message = text_error(data)
        return [message] if message else None
    if isinstance(data, dict):
        errors: dict[Any, Any] = {}
        for key, value in data.items():
            key_error = text_error(key)
            if key_error:
                errors[xml_safe(key)] = [key_error]
            elif (inner := tree_errors(value)) is not None:
                errors[key] = inner
        return errors or None
    if isinstance(data, list):
        errors = {index: inner for index, value in enumerate(data) if (inner := tree_errors(value)) is not None}
        return errors or None
    return None


def as_text(value: Any, *, multiline: bool = False) -> str:
    """A text field's value from a decoded body or a sheet: a string (numbers as written, null
    as empty), stripped. Raises ValueError with the officer's message for anything else (a
    nested object or list is refused, never stored as Python's repr) or a refused character."""
    if value is None:
        return ""
    if isinstance(value, bool | dict | list | tuple | set):
        raise ValueError(_("Cần một chuỗi ký tự."))
    if isinstance(value, int | float | Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(_("Cần một chuỗi ký tự."))
    message = text_error(value, multiline=multiline)
    if message:
        raise ValueError(message)
    return value.strip()


def xml_safe(text: str) -> str:
    """``text`` without the characters an XML file (.xlsx, .docx) cannot hold."""
    return XML_ILLEGAL.sub("", text) if isinstance(text, str) else text


def model_text(model: type, field: str, value: Any) -> str:
    """``as_text`` for a model's field: multi-line when the field is a TextField."""
    from django.db import models

    return as_text(value, multiline=isinstance(model._meta.get_field(field), models.TextField))


def add_text_validators(form: Any) -> None:
    """Give every text field of a Django form the rule: multi-line for a textarea, one line
    otherwise (call at the end of the form's ``__init__``)."""
    from django import forms

    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            multiline = isinstance(field.widget, forms.Textarea)
            field.validators.append(validate_text if multiline else validate_single_line)

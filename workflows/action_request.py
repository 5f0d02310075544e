"""One parser of an action request, for the task page's form and the API's JSON alike.

Both send the same things: the action (in the URL for the API, a button for the page), a
comment, an idempotency key (the body's, else the ``Idempotency-Key`` header), the council's
resolution number and date, and comments on budget lines. The page writes line comments as
two parallel lists (``line_ref``, ``line_comment``), the API as a list of
``{"line": …, "comment": …}``; both arrive here as that list. Whatever a caller sends that is
not of the right kind is a ValidationError naming the field (400), never a 500; what each
field must contain for a given action is ``workflows.services.plan_act``'s to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The lengths the idempotency record and the resolution can store.
KEY_MAX_LENGTH = 100
RESOLUTION_NUMBER_MAX_LENGTH = 64
TEXT_FIELDS = ("resolution_number", "resolution_date")


@dataclass(frozen=True)
class ActionRequest:
    action: str
    comment: str = ""
    idempotency_key: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    reply: str = ""  # a submission's answer to the last return (dossier)

    def act_kwargs(self) -> dict[str, Any]:
        """The keyword arguments ``plan_act`` takes from the request (all but actor and plan)."""
        return {
            "action": self.action,
            "comment": self.comment,
            "fields": self.fields,
            "idempotency_key": self.idempotency_key,
            "reply": self.reply,
        }


def parse_action_request(*, action: str, data: Mapping[str, Any], headers: Mapping[str, str]) -> ActionRequest:
    """An ActionRequest from a form (a QueryDict) or a JSON object; ValidationError naming the
    field for a value of the wrong kind."""
    if not isinstance(data, Mapping):
        raise ValidationError(_("Nội dung gửi lên phải là một đối tượng JSON."))
    errors: dict[str, list[str]] = {}
    comment = _text(data, "comment", errors)
    reply = _text(data, "reply", errors)
    key = _text(data, "idempotency_key", errors)
    key_field = "idempotency_key"
    if not key:  # the header, and an error then names the header
        key, key_field = str(headers.get("Idempotency-Key", "") or ""), "Idempotency-Key"
    if len(key) > KEY_MAX_LENGTH:
        errors[key_field] = [_("Khóa idempotency dài quá %(n)d ký tự.") % {"n": KEY_MAX_LENGTH}]
    fields: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = _text(data, name, errors).strip()
        if value:
            fields[name] = value
    if len(fields.get("resolution_number", "")) > RESOLUTION_NUMBER_MAX_LENGTH:
        errors["resolution_number"] = [_("Số nghị quyết dài quá %(n)d ký tự.") % {"n": RESOLUTION_NUMBER_MAX_LENGTH}]
    line_comments = _line_comments(data, errors)
    if line_comments:
        fields["line_comments"] = line_comments
    if errors:
        raise ValidationError(errors)
    return ActionRequest(action=str(action or ""), comment=comment, idempotency_key=key, fields=fields, reply=reply)


def _text(data: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[name] = [_("Cần một chuỗi ký tự.")]
        return ""
    return str(value)


def _line_comments(data: Mapping[str, Any], errors: dict[str, list[str]]) -> list[Any]:
    """The API's list as sent (``plan_act`` checks each entry), or the form's two lists paired,
    blank comments left out."""
    if hasattr(data, "getlist") and "line_comments" not in data:
        refs, texts = data.getlist("line_ref"), data.getlist("line_comment")
        return [
            {"line": line, "comment": text.strip()} for line, text in zip(refs, texts, strict=False) if text.strip()
        ]
    value = data.get("line_comments")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        errors["line_comments"] = [_("Mỗi ý kiến theo dòng cần “line” (mã dự án hoặc số dòng) và “comment”.")]
        return []
    return value

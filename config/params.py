"""Query parameters of the API's lists: an integer filter is a database id or a year, so it is
refused (400 naming the parameter) unless it is plain ASCII digits within PostgreSQL's bigint.

``str.isdigit`` accepts "²" and "٣" (which ``int`` then refuses or reads), and a 24-digit id
overflows the database driver: both were 500s."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

BIGINT_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def int_param(params: Mapping[str, str], name: str, *, minimum: int = 0, maximum: int = BIGINT_MAX) -> int | None:
    """The parameter as an int, None when absent or blank; ValidationError naming it otherwise."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise ValidationError(
            {name: [_("Cần một số nguyên từ %(min)s đến %(max)s.") % {"min": minimum, "max": maximum}]}
        )
    return int(raw)

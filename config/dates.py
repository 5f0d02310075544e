"""Dates as users send them: ISO ``yyyy-mm-dd`` (the API) or ``dd/mm/yyyy`` (how officers write).

``django.utils.dateparse.parse_date`` raises ValueError on a well-formed but impossible date
(``2024-02-30``), which callers that only expected None answered with a 500; this parser says
"not a date" for both, and the caller names the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext as _

_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")  # ASCII digits only
_VN = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def parse_user_date(raw: Any) -> dt.date | None:
    """``raw`` as a date: a date passes through, blank is None; raises ValueError with the
    officer's message for anything that is not a real calendar date in either notation."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        raise ValueError(_("Ngày không hợp lệ (dd/mm/yyyy)."))
    text = raw.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _VN.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise ValueError(_("Ngày không hợp lệ (dd/mm/yyyy)."))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(_("Ngày không hợp lệ: %(text)s không có trên lịch.") % {"text": text}) from None

"""Template context for the bell (templates/notifications/bell.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications import selectors


def unread_count(request: HttpRequest) -> dict[str, Any]:
    """``notifications_bell`` (``.unread``, ``.last_id``) for the signed-in officer.

    Lazy: a page that does not show the bell runs no query; one that does runs exactly one.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_bell": SimpleLazyObject(lambda: selectors.bell_state(user))}

"""``{% notification_bell as bell %}``: the bell's state, for templates/notifications/bell.html.

Uses ``notifications_bell`` from the context processor when it is installed (shared with any
other template on the page), and otherwise reads it itself: either way one query, so the bell
works even on a page rendered without the processor.
"""

from __future__ import annotations

from typing import Any

from django import template

from notifications import selectors
from notifications.selectors import BellState

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_bell(context: template.Context) -> BellState | Any | None:
    state = context.get("notifications_bell")
    if state is not None:
        return state
    user = context.get("user") or getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return None
    return selectors.bell_state(user)

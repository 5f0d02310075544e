"""The idle timeout without a session write on every page.

Django's own way (``SESSION_SAVE_EVERY_REQUEST = True``) renews the session's expiry by writing
the session row on every request: one ``UPDATE django_session`` per page, API call and poll. Here
the session keeps the time it was last seen (``_seen``, epoch seconds), written at most once per
``SESSION_TOUCH_SECONDS`` (60): a session idle longer than ``SESSION_IDLE_SECONDS`` is flushed
(signed out) on its next request. The stamp may be up to a minute behind the last request, so the
timeout holds to within a minute. The row's own expiry (``SESSION_COOKIE_AGE``) is set one touch
interval beyond the idle timeout, so the database never drops a session the middleware would
still accept; ``clearsessions`` removes the rows of abandoned ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SEEN_KEY = "_seen"


class IdleTimeoutMiddleware:
    """After SessionMiddleware, before AuthenticationMiddleware (a flushed session reads as signed out)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.session_key is not None:
            now = int(time.time())
            seen = session.get(SEEN_KEY)
            if isinstance(seen, int) and now - seen > settings.SESSION_IDLE_SECONDS:
                session.flush()
            elif not isinstance(seen, int) or now - seen >= settings.SESSION_TOUCH_SECONDS:
                session[SEEN_KEY] = now
        response = self.get_response(request)
        # A session begun by this request (sign-in) starts its clock; modified anyway, so no extra write.
        if session is not None and session.modified and SEEN_KEY not in session and not session.is_empty():
            session[SEEN_KEY] = int(time.time())
        return response

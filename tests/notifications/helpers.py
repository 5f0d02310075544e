"""Helpers shared by the notification tests."""

from __future__ import annotations

import socket as _socket

from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from directory.models import User
from notifications import services
from notifications.models import Kind, Notification
from tests.notifications.wsclient import WebsocketCommunicator


def _closed_port() -> tuple[_socket.socket, int]:
    """A port on which nothing listens, for the whole test run: bound by us but never listening,
    so connecting is refused at once and no other process can take the port meanwhile (a fixed
    port such as 6390 may well have a server on it)."""
    holder = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    return holder, holder.getsockname()[1]


_CLOSED_PORT_HOLDER, CLOSED_PORT = _closed_port()
CLOSED_REDIS_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"  # nothing listens there: "Redis is down"


def notice(user: User, *, kind: str = Kind.TASK, n: int = 1, **extra) -> list[Notification]:
    """Notify ``user`` through the real service (push and e-mail scheduled on commit)."""
    defaults = {
        "plan": None,
        "link": "/plans/1/",
        "text_vi": f"Kế hoạch năm 2023 của xã Sin Suối Hồ chờ thẩm định ({n})",
        "text_en": f"The 2023 plan of Sin Suối Hồ commune awaits review ({n})",
    }
    defaults.update(extra)
    return services.notify(recipients=[user], kind=kind, **defaults)


def raw_notifications(user: User, count: int, *, start: int = 1) -> list[Notification]:
    """Outbox rows written directly, with no delivery scheduled (for the deliverer tests)."""
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=Kind.TASK,
            link=f"/plans/{i}/",
            text_vi=f"Việc số {i}",
            text_en=f"Task number {i}",
        )
        for i in range(start, start + count)
    )


def session_cookie(user: User) -> str:
    """A real database session for ``user``, as the browser's Cookie header value."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- websocket ---------------------------------------------------------------------------------

PATH = "/ws/notifications/"
SITE = b"http://testserver"


def socket(cookie: str | None, *, origin: bytes | None = SITE) -> WebsocketCommunicator:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    from config.asgi import application  # the project's stack: Origin check, session auth, routes

    return WebsocketCommunicator(application, PATH, headers=headers)


async def open_and_sync(cookie: str, last_id: int = 0) -> tuple[WebsocketCommunicator, list[dict], dict]:
    """Connect, say hello, and collect the catch-up up to the "sync" message."""
    communicator = socket(cookie)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "hello", "last_id": last_id})
    received = []
    while True:
        message = await communicator.receive_json_from(timeout=3)
        if message["type"] == "sync":
            return communicator, received, message
        assert message["type"] == "notification"
        received.append(message["notification"])


notify_async = database_sync_to_async(notice)


def redis_layers(url: str, prefix: str) -> dict:
    """CHANNEL_LAYERS for a Redis layer at ``url`` (a unique prefix keeps tests apart): the
    deployed backend and its host settings (config.settings), at another address."""
    from config import settings as deployed

    host = {"address": url, **deployed.CHANNEL_HOST_OPTIONS}
    return {
        "default": {
            "BACKEND": "notifications.layers.RedisChannelLayer",
            "CONFIG": {"hosts": [host], "prefix": prefix, "capacity": settings.CHANNEL_CAPACITY},
        }
    }

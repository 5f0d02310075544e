"""The websocket at /ws/notifications/: live notifications for the signed-in officer.

Protocol (JSON text frames):

* client → ``{"type": "hello", "last_id": N}`` after every (re)connect; the server answers with
  every notification of this officer with id > N, oldest first, as ``{"type": "notification",
  "notification": {...}}``, then ``{"type": "sync", "last_id": M, "unread": U}``; from then on
  live ones arrive as ``{"type": "notification", "notification": {...}, "unread": U}``.
* server → ``{"type": "unread", "unread": U}`` when the officer reads notifications elsewhere.
* client → ``{"type": "ping"}``, server → ``{"type": "pong"}`` (keeps proxies from closing it).
  At most every ``SESSION_RECHECK_SECONDS`` a ping or hello re-reads the session: once the officer
  has logged out or the session has expired, the socket closes with code 4401 and the client
  stops reconnecting.

Security: the socket belongs to the session's user (AuthMiddlewareStack in config.asgi; the
Origin must be one of ALLOWED_HOSTS, AllowedHostsOriginValidator). Anonymous sockets are refused
at the handshake. The socket joins only ``user-<own id>``; a live message is forwarded only when
its ``recipient`` is the socket's own user (the sender read the row and its recipient together,
notifications.push), and a message without one is re-read with ``recipient = own user``, so
nobody ever receives another officer's notification. The hot path (a live push) reads nothing
from the database; the catch-up reads one batch and the unread count in one thread hop, over the
process's connection pool (DB_POOL).

The socket is only a hint: rows are durable, ids increase, and a reconnecting client asks for
everything after its last id. Live pushes that arrive before the hello are ignored because the
hello's catch-up reads them from the database anyway.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from redis.exceptions import RedisError

from config.params import BIGINT_MAX
from config.parsers import nesting_depth
from directory.models import User
from notifications import push, selectors

logger = logging.getLogger(__name__)

_LAYER_FAILURES = (OSError, TimeoutError, ChannelFull, RedisError)
_SENT_IDS_KEPT = 1000  # ids remembered per socket to drop duplicate pushes
SESSION_RECHECK_SECONDS = 300  # one session read per socket per five minutes at most
CLOSE_SIGNED_OUT = 4401  # tells notifications.js not to reconnect
# A client frame is {"type": "hello", "last_id": N} or {"type": "ping"}: bounded before decoding.
MAX_FRAME_CHARS = 4096
MAX_FRAME_DEPTH = 4


def _signed_in(session_key: str | None, user_id: int) -> bool:
    """Whether the socket's session still exists, is unexpired, and belongs to ``user_id``."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return str(store.load().get(SESSION_KEY, "")) == str(user_id)


def _live(user: User, notification_id: int) -> tuple[dict[str, Any] | None, int]:
    """One live push: the row (only if it is this user's) and the fresh unread count."""
    payload = selectors.payload_for(user, notification_id)
    return payload, selectors.unread_count(user) if payload else 0


def _catch_up_batch(user: User, after_id: int) -> tuple[list[dict[str, Any]], int]:
    """One catch-up batch and the unread count, in one call on the database thread."""
    return selectors.payloads_after(user, after_id=after_id, limit=selectors.MAX_BATCH), selectors.unread_count(user)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    user: User
    group: str | None = None
    ready = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept(): the handshake is refused (HTTP 403)
            return
        self.user = user
        self.sent_ids: set[int] = set()
        self.session_checked_at = time.monotonic()
        try:
            await asyncio.wait_for(
                self.channel_layer.group_add(push.group_name(user.pk), self.channel_name),
                timeout=push.PUSH_TIMEOUT_SECONDS,
            )
        except _LAYER_FAILURES as exc:
            # Redis down: refuse; the client retries with backoff and catches up once it is back.
            logger.warning("websocket refused for user %s, channel layer unavailable: %s", user.pk, exc)
            await self.close()
            return
        self.group = push.group_name(user.pk)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        except _LAYER_FAILURES as exc:
            # Harmless: group memberships expire on their own (channels' group_expiry).
            logger.info("group_discard failed for %s: %s", self.group, exc)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Like the JSON consumer's, but a malformed frame is answered, not a crash."""
        if text_data is None:
            await self.send_json({"type": "error", "error": "text frames only"})
            return
        if len(text_data) > MAX_FRAME_CHARS or nesting_depth(text_data, MAX_FRAME_DEPTH) > MAX_FRAME_DEPTH:
            await self.send_json({"type": "error", "error": "message too large or too deeply nested"})
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_json({"type": "error", "error": "invalid JSON"})
            return
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "error": "a message is a JSON object"})
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind in ("hello", "ping") and not await self._still_signed_in():
            await self.close(code=CLOSE_SIGNED_OUT)
            return
        if kind == "hello":
            last_id = content.get("last_id") or 0
            if not isinstance(last_id, int) or isinstance(last_id, bool) or not 0 <= last_id <= BIGINT_MAX:
                await self.send_json({"type": "error", "error": "last_id must be a non-negative integer"})
                return
            await self._catch_up(last_id)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "error": "unknown message type"})

    async def _still_signed_in(self) -> bool:
        if time.monotonic() - self.session_checked_at < SESSION_RECHECK_SECONDS:
            return True
        self.session_checked_at = time.monotonic()
        session = self.scope.get("session")
        return await database_sync_to_async(_signed_in)(getattr(session, "session_key", None), self.user.pk)

    async def _catch_up(self, last_id: int) -> None:
        cursor = last_id
        while True:
            batch, unread = await database_sync_to_async(_catch_up_batch)(self.user, cursor)
            for payload in batch:
                await self.send_json({"type": "notification", "notification": payload})
                self._remember(payload["id"])
                cursor = payload["id"]
            if len(batch) < selectors.MAX_BATCH:
                break
        self.ready = True
        await self.send_json({"type": "sync", "last_id": cursor, "unread": unread})

    def _remember(self, notification_id: int) -> None:
        self.sent_ids.add(notification_id)
        if len(self.sent_ids) > 2 * _SENT_IDS_KEPT:
            self.sent_ids = set(sorted(self.sent_ids)[-_SENT_IDS_KEPT:])

    # --- channel-layer events (services → push.send_to_user) ---------------------------------

    async def notification_new(self, event: dict[str, Any]) -> None:
        notification_id = event.get("id")
        if not self.ready or not isinstance(notification_id, int) or notification_id in self.sent_ids:
            return
        payload = event.get("notification")
        if "recipient" in event:
            own = event["recipient"] == self.user.pk and isinstance(payload, dict)
            if not own or payload.get("id") != notification_id:
                return  # not this officer's row: never forwarded
            unread = int(event.get("unread", 0))
        else:
            payload, unread = await database_sync_to_async(_live)(self.user, notification_id)
        if payload is None:
            return  # not this officer's row: never forwarded
        self._remember(notification_id)
        await self.send_json({"type": "notification", "notification": payload, "unread": unread})

    async def notification_unread(self, event: dict[str, Any]) -> None:
        if self.ready:
            await self.send_json({"type": "unread", "unread": int(event.get("unread", 0))})

"""Websocket transport: hand a message to one officer's channel-layer group (``user-<id>``).

The message to ``user-<id>`` carries what that officer may see: the notification as the socket
shows it (in the recipient's language), its recipient's id and the recipient's unread count, read
for the whole batch in two queries by the sender. The consumer forwards it only when the recipient
is its own user, so even a misrouted message cannot show anyone else's notification, and it does
no database read per message (at 500 officers, a read per message on the consumer's one database
thread was what made the last pushes late). A message with only the id (``push_pending`` of an
older node) is still re-read under the consumer's own filter.
A push is a hint (the client catches up by id on every reconnect), so a failed push is logged,
the row keeps ``pushed_at`` NULL and ``push_pending_task`` tries again later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import RedisError

GROUP_PREFIX = "user-"
# A black-holed Redis must not hold an approval's response for long (see circuit.py).
PUSH_TIMEOUT_SECONDS: float = getattr(settings, "NOTIFICATIONS_PUSH_TIMEOUT_SECONDS", 2.0)
# What a down or overloaded channel layer raises (redis-py's errors are not OSErrors).
_FAILURES = (OSError, TimeoutError, ChannelFull, RedisError)
SEND_CONCURRENCY = 50  # group_send calls in flight, on a layer without group_send_many
SEND_BATCH = 500  # messages per group_send_many (one Lua script: Redis serves nothing else meanwhile)

logger = logging.getLogger(__name__)


class PushFailed(Exception):
    """The channel layer could not take the message (Redis down, timeout, full)."""


def group_name(user_id: int) -> str:
    return f"{GROUP_PREFIX}{user_id}"


def new_notification_message(
    notification_id: int, *, recipient_id: int | None = None, payload: dict[str, Any] | None = None, unread: int = 0
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "notification.new", "id": notification_id}
    if payload is not None:
        message.update(recipient=recipient_id, notification=payload, unread=unread)
    return message


def _messages(pairs: list[tuple[int, int]]) -> dict[int, dict[str, Any]]:
    """Each notification's message with its payload and its recipient's unread count: two
    queries for the whole batch (rows with their recipients, unread counts grouped by recipient)."""
    from django.db.models import Count

    from notifications.models import Notification
    from notifications.selectors import notification_payload

    ids = [notification_id for notification_id, _recipient in pairs]
    rows = (
        Notification.objects.filter(pk__in=ids)
        .select_related("recipient")
        .only(*(f.name for f in Notification._meta.concrete_fields), "recipient__id", "recipient__language")
    )
    unread = dict(
        Notification.objects.filter(recipient_id__in={r for _n, r in pairs}, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values_list("recipient_id", "n")
    )
    return {
        row.pk: new_notification_message(
            row.pk,
            recipient_id=row.recipient_id,
            payload=notification_payload(row, language=row.recipient.language),
            unread=unread.get(row.recipient_id, 0),
        )
        for row in rows
    }


def unread_message(unread: int) -> dict[str, Any]:
    return {"type": "notification.unread", "unread": unread}


def send_to_user(user_id: int, message: dict[str, Any]) -> None:
    """Send ``message`` to every open socket of ``user_id``; raise PushFailed if the layer is down."""
    layer = get_channel_layer()
    if layer is None:
        raise PushFailed("no channel layer is configured")

    async def _send() -> None:
        await asyncio.wait_for(layer.group_send(group_name(user_id), message), timeout=PUSH_TIMEOUT_SECONDS)

    try:
        async_to_sync(_send)()
    except _FAILURES as exc:
        raise PushFailed(f"{type(exc).__name__}: {exc}") from exc


def send_new_notifications(pairs: list[tuple[int, int]]) -> tuple[list[int], PushFailed | None]:
    """Push many (notification id, recipient id) pairs, in id order, in one event loop.

    On the Redis layer (notifications.layers) ``SEND_BATCH`` messages go per
    ``group_send_many``: a few round trips for all of them, where one ``group_send`` per
    recipient took four each (at 500 officers, the last push waited about half a second behind
    the others). Other layers (the in-memory one of the demo and tests) get ``group_send``,
    ``SEND_CONCURRENCY`` at a time. Stops at the first batch that fails (Redis is down: every
    later send would wait out its timeout too) and returns the ids pushed and that failure; the
    rest waits for ``push_pending_task``."""
    layer = get_channel_layer()
    if layer is None:
        return [], PushFailed("no channel layer is configured")
    messages = _messages(pairs) if pairs else {}
    ordered = sorted(pairs)

    def message_of(notification_id: int) -> dict[str, Any]:
        return messages.get(notification_id) or new_notification_message(notification_id)

    async def _one(notification_id: int, user_id: int) -> int:
        await asyncio.wait_for(layer.group_send(group_name(user_id), message_of(notification_id)), PUSH_TIMEOUT_SECONDS)
        return notification_id

    async def _batch(chunk: list[tuple[int, int]]) -> list[int]:
        sends = [(group_name(user_id), message_of(notification_id)) for notification_id, user_id in chunk]
        dropped = await asyncio.wait_for(layer.group_send_many(sends), timeout=PUSH_TIMEOUT_SECONDS)
        if dropped:
            # As group_send: a channel at capacity loses the message (the client catches up on reconnect).
            logger.info("%d of %d pushes dropped: channel at capacity", dropped, len(sends))
        return [notification_id for notification_id, _user_id in chunk]

    async def _all() -> tuple[list[int], PushFailed | None]:
        pushed: list[int] = []
        batched = hasattr(layer, "group_send_many")
        size = SEND_BATCH if batched else SEND_CONCURRENCY
        for start in range(0, len(ordered), size):
            chunk = ordered[start : start + size]
            if batched:
                try:
                    pushed.extend(await _batch(chunk))
                except _FAILURES as exc:
                    return pushed, PushFailed(f"{type(exc).__name__}: {exc}")
                continue
            results = await asyncio.gather(*(_one(n, u) for n, u in chunk), return_exceptions=True)
            failure = next((r for r in results if isinstance(r, BaseException)), None)
            pushed.extend(r for r in results if isinstance(r, int))
            if failure is not None:
                if not isinstance(failure, _FAILURES):
                    raise failure
                return pushed, PushFailed(f"{type(failure).__name__}: {failure}")
        return pushed, None

    return async_to_sync(_all)()

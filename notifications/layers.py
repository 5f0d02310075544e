"""The Redis channel layer, with two changes for a commit that notifies many officers.

**Sending.** channels-redis sends to one group at a time: four round trips each (drop expired
members, read the members, drop expired messages, the Lua script that queues the message). A
commit that notifies 500 officers is 500 groups (``user-<id>``), so the last officer's push
waited behind some 2,000 round trips and their Python, on the same cores as the web processes
that deliver them. ``group_send_many`` does what those ``group_send`` calls do, with the
library's semantics (group expiry, message expiry, per-channel capacity, the message's
``__asgi_channel__`` list), in two round trips per Redis host: one pipeline that expires and
reads every group's members, one that expires the channels' old messages and runs one script
queueing every message. Messages keep their order: each gets its own score, increasing in the
order given (the library scores by ``time.time()`` per call).

**Receiving.** Every socket of a web process shares one queue in Redis, and the library takes
one message off it per call, again four round trips each, one call after the other: a process
holding 250 of those sockets spent 1,000 round trips before its last socket heard.
``receive_single`` here takes whatever is waiting in one ``ZPOPMIN`` (up to ``RECEIVE_BATCH``)
and hands it out from memory; an empty queue still takes the library's blocking pop.

This is a subclass, not a patch: ``group_send``, ``receive`` and the blocking pop are the
library's. It relies on a few of its helpers (``_group_key``, ``consistent_hash``,
``non_local_name``, ``get_capacity``, ``serialize``, ``deserialize``);
tests/notifications/test_channel_layer.py checks the behaviour against a real Redis, so an
upgrade that changes them fails there.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Sequence
from typing import Any

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer

# Queue each message unless its channel is at capacity; return how many were not queued.
# KEYS: the channel keys (one per message, repeated when several messages go to one channel);
# ARGV: the messages, their channels' capacities, their scores, then the channel expiry.
_QUEUE_MANY = """
local n = #KEYS
local expiry = ARGV[3 * n + 1]
local over_capacity = 0
for i = 1, n do
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], ARGV[2 * n + i], ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""

# Distinct scores for messages queued together (below the float's resolution it would not order).
_SCORE_STEP = 1e-6
# Messages a web process takes off its queue per round trip when more are waiting.
RECEIVE_BATCH = 100


class RedisChannelLayer(_RedisChannelLayer):
    """channels-redis's layer plus ``group_send_many``, and a process's queue read in batches
    (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Messages taken off a process queue and not yet handed out, oldest first, per queue.
        self._taken: dict[str, collections.deque[bytes]] = collections.defaultdict(collections.deque)

    async def receive_single(self, channel: str) -> tuple[Any, dict[str, Any]]:
        """One message of ``channel``. For a process's queue (the sockets' channels, ``…!``)
        the messages already waiting come in one ``ZPOPMIN`` of up to ``RECEIVE_BATCH`` and are
        handed out from memory, one per call; only an empty queue takes the library's blocking
        pop (with its backup of the message in flight). The library pops one message per
        call, four round trips each: a process holding 250 of a commit's 500 sockets spent
        1,000 round trips before its last socket heard. A message taken and not yet handed out
        is lost only with the process, as the sockets it was for are (they catch up by id)."""
        if "!" not in channel:
            return await super().receive_single(channel)
        taken = self._taken[channel]
        if not taken:
            index = self.consistent_hash(channel)
            waiting = await self.connection(index).zpopmin(self.prefix + channel, RECEIVE_BATCH)
            taken.extend(member for member, _score in waiting)
        if not taken:
            return await super().receive_single(channel)
        message = self.deserialize(taken.popleft())
        # As the library's: a message for several of the process's channels names them.
        return message.pop("__asgi_channel__", channel), message

    async def flush(self) -> None:
        self._taken.clear()
        await super().flush()

    async def group_send_many(self, sends: Sequence[tuple[str, dict[str, Any]]]) -> int:
        """Send each ``(group, message)`` as ``group_send`` would, together. Returns how many
        channel deliveries were dropped because the channel was at capacity (``group_send``
        logs that count; it raises nothing either)."""
        if not sends:
            return 0
        members = await self._members_of([group for group, _message in sends])
        # Per connection: the channel key, serialized message, capacity and score of each delivery.
        queued: dict[int, list[tuple[str, bytes, int]]] = collections.defaultdict(list)
        for group, message in sends:
            # A process's sockets share one channel key: one message per key lists its channels.
            channels_by_name: dict[str, list[str]] = {}
            for channel in members[group]:
                name = self.non_local_name(channel) if "!" in channel else channel
                channels_by_name.setdefault(name, []).append(channel)
            for name, channels in channels_by_name.items():
                body = self.serialize({**message, "__asgi_channel__": channels})
                queued[self.consistent_hash(name)].append((self.prefix + name, body, self.get_capacity(channels[0])))
        dropped = 0
        score = time.time()
        for index, deliveries in queued.items():
            connection = self.connection(index)
            pipe = connection.pipeline(transaction=False)
            for key in dict.fromkeys(key for key, _body, _capacity in deliveries):
                pipe.zremrangebyscore(key, min=0, max=int(time.time()) - int(self.expiry))
            keys = [key for key, _body, _capacity in deliveries]
            scores = [score + i * _SCORE_STEP for i in range(len(deliveries))]
            score = scores[-1] + _SCORE_STEP
            args = [
                *(body for _key, body, _capacity in deliveries),
                *(capacity for _key, _body, capacity in deliveries),
                *scores,
                self.expiry,
            ]
            pipe.eval(_QUEUE_MANY, len(keys), *keys, *args)
            results = await pipe.execute()
            dropped += int(results[-1])
        return dropped

    async def _members_of(self, groups: list[str]) -> dict[str, list[str]]:
        """Every group's live channels, expired members dropped first (one pipeline per host)."""
        by_connection: dict[int, list[str]] = collections.defaultdict(list)
        for group in dict.fromkeys(groups):
            self.require_valid_group_name(group)  # raises TypeError for a name channels refuses
            by_connection[self.consistent_hash(group)].append(group)
        members: dict[str, list[str]] = {}
        cutoff = int(time.time()) - self.group_expiry
        for index, names in by_connection.items():
            pipe = self.connection(index).pipeline(transaction=False)
            for group in names:
                key = self._group_key(group)
                pipe.zremrangebyscore(key, min=0, max=cutoff)
                pipe.zrange(key, 0, -1)
            results = await pipe.execute()
            for position, group in enumerate(names):
                members[group] = [name.decode("utf8") for name in results[2 * position + 1]]
        return members

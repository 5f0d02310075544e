"""The deployed Redis channel layer (notifications.layers), on a real Redis.

``group_send_many`` must do what one ``group_send`` per group does (the same channels get the
same messages, in order, with the library's group expiry and capacity), and a socket's receive
must survive an idle Redis (redis-py 8 times reads out at 5 s, exactly the layer's blocking pop).
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer as LibraryLayer
from django.db import transaction

from notifications import push, services
from notifications.layers import RedisChannelLayer
from tests.notifications.helpers import redis_layers


def layer_config(settings, **config) -> dict:
    """The deployed layer's settings on the test Redis, under a prefix of this test's own."""
    layers = redis_layers(settings.TEST_REDIS_URL, f"layer-{uuid.uuid4().hex[:8]}")
    layers["default"]["CONFIG"].update(config)
    return layers["default"]["CONFIG"]


async def drain(layer, channel: str, *, wait: float = 0.3) -> list[dict]:
    """Every message waiting on ``channel`` (a short wait tells there is no more)."""
    out = []
    while True:
        try:
            out.append(await asyncio.wait_for(layer.receive(channel), timeout=wait))
        except TimeoutError:
            return out


def texts(messages: list[dict]) -> list[str]:
    return [m["text"] for m in messages]


@pytest.mark.redis
def test_group_send_many_delivers_what_group_send_would(settings):
    """Two web processes (two layers, one Redis): an officer with a socket in each, an officer
    with two sockets in one, and a group nobody is in."""
    config = layer_config(settings)

    async def scenario() -> dict[str, list[str]]:
        first, second = RedisChannelLayer(**config), RedisChannelLayer(**config)
        a1, a2, a3 = [await first.new_channel() for _ in range(3)]
        b1 = await second.new_channel()
        await first.group_add("user-1", a1)
        await second.group_add("user-1", b1)
        await first.group_add("user-2", a2)
        await first.group_add("user-2", a3)
        dropped = await first.group_send_many(
            [
                ("user-1", {"type": "notification.new", "text": "one"}),
                ("user-2", {"type": "notification.new", "text": "two"}),
                ("user-1", {"type": "notification.new", "text": "three"}),
                ("user-9", {"type": "notification.new", "text": "nobody's"}),
            ]
        )
        assert dropped == 0
        # A later call comes after, as a later group_send would.
        await first.group_send_many([("user-2", {"type": "notification.new", "text": "four"})])
        got = {
            "a1": texts(await drain(first, a1)),
            "a2": texts(await drain(first, a2)),
            "a3": texts(await drain(first, a3)),
            "b1": texts(await drain(second, b1)),
        }
        await first.flush()
        return got

    assert asyncio.run(scenario()) == {
        "a1": ["one", "three"],
        "a2": ["two", "four"],
        "a3": ["two", "four"],
        "b1": ["one", "three"],
    }


@pytest.mark.redis
def test_group_send_many_keeps_the_library_s_capacity_and_group_expiry(settings):
    async def at_capacity() -> tuple[int, list[str]]:
        layer = RedisChannelLayer(**layer_config(settings, capacity=3))
        channel = await layer.new_channel()
        await layer.group_add("user-1", channel)
        dropped = await layer.group_send_many([("user-1", {"type": "t", "text": str(n)}) for n in range(5)])
        got = texts(await drain(layer, channel))
        await layer.flush()
        return dropped, got

    async def expired_member() -> tuple[list[str], list[str]]:
        layer = RedisChannelLayer(**layer_config(settings, group_expiry=2))
        stale, fresh = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("user-1", stale)
        await asyncio.sleep(1.6)
        await layer.group_add("user-1", fresh)  # keeps the group's key alive 2 s more
        await asyncio.sleep(1.6)  # stale's membership is now older than group_expiry, fresh's not
        await layer.group_send_many([("user-1", {"type": "t", "text": "late"})])
        got = texts(await drain(layer, stale)), texts(await drain(layer, fresh))
        await layer.flush()
        return got

    assert asyncio.run(at_capacity()) == (2, ["0", "1", "2"])
    assert asyncio.run(expired_member()) == ([], ["late"])


@pytest.mark.redis
def test_a_commit_s_push_goes_through_group_send_many(settings, officer, django_capture_on_commit_callbacks):
    """On the Redis layer the push never calls group_send (four round trips per officer)."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "notifications.layers.RedisChannelLayer", "CONFIG": layer_config(settings)}
    }
    officers = [officer() for _ in range(3)]

    async def join() -> dict[int, str]:
        layer = get_channel_layer()
        channels = {}
        for user in officers:
            channels[user.pk] = await layer.new_channel()
            await layer.group_add(push.group_name(user.pk), channels[user.pk])
        return channels

    async def one_each(channels: dict[int, str]) -> dict[int, list[int]]:
        layer = get_channel_layer()
        got = {user_id: [m["id"] for m in await drain(layer, channel)] for user_id, channel in channels.items()}
        await layer.flush()
        return got

    channels = asyncio.run(join())

    async def refused(self, group, message):  # pragma: no cover - must not be reached
        raise AssertionError("group_send called")

    original = LibraryLayer.group_send
    LibraryLayer.group_send = refused
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            rows = services.notify(
                recipients=officers, kind="task", plan=None, link="/plans/1/", text_vi="Việc mới", text_en="New"
            )
    finally:
        LibraryLayer.group_send = original
    assert asyncio.run(one_each(channels)) == {row.recipient_id: [row.pk] for row in rows}


@pytest.mark.redis
def test_an_idle_socket_s_receive_outlasts_the_blocking_pop(settings):
    """The deployed read timeout: a receive that waits 6 s (more than BZPOPMIN's 5) on a quiet
    channel is still waiting, not failed with redis-py's TimeoutError."""
    config = layer_config(settings)
    assert config["hosts"][0]["socket_timeout"] > RedisChannelLayer.brpop_timeout

    async def idle() -> BaseException:
        layer = RedisChannelLayer(**config)
        channel = await layer.new_channel()
        try:
            await asyncio.wait_for(layer.receive(channel), timeout=RedisChannelLayer.brpop_timeout + 1)
        except BaseException as exc:  # which one it is, is the point
            return exc
        finally:
            await layer.flush()
        raise AssertionError("a message arrived on a channel nobody sends to")

    assert type(asyncio.run(idle())) is TimeoutError  # asyncio's, from wait_for


@pytest.mark.redis
def test_the_control_a_read_timeout_below_the_pop_kills_the_receive(settings):
    """Without it (redis-py's own default is 5 s, the pop's 5 s): here 1 s against a 2 s pop."""
    from redis.exceptions import TimeoutError as RedisTimeoutError

    config = layer_config(settings)
    config["hosts"][0]["socket_timeout"] = 1

    async def idle() -> None:
        layer = RedisChannelLayer(**config)
        layer.brpop_timeout = 2
        channel = await layer.new_channel()
        try:
            await asyncio.wait_for(layer.receive(channel), timeout=3)
        finally:
            await layer.flush()

    with pytest.raises(RedisTimeoutError):
        asyncio.run(idle())


@pytest.mark.redis
def test_a_process_reads_a_burst_off_its_queue_in_batches_in_order(settings, monkeypatch):
    """300 messages waiting for 150 sockets of one process: each socket gets its two, in order,
    and none of them costs the library's one-message blocking pop (four round trips each)."""
    blocking_pops = []
    original = LibraryLayer._brpop_with_clean

    async def counted(self, index, channel, timeout):
        blocking_pops.append(channel)
        return await original(self, index, channel, timeout)

    monkeypatch.setattr(LibraryLayer, "_brpop_with_clean", counted)

    async def burst() -> tuple[dict[int, list[str]], int]:
        layer = RedisChannelLayer(**layer_config(settings))
        channels = [await layer.new_channel() for _ in range(150)]
        for n, channel in enumerate(channels):
            await layer.group_add(f"user-{n}", channel)
        for round_number in (1, 2):
            await layer.group_send_many(
                [(f"user-{n}", {"type": "t", "text": f"{n}.{round_number}"}) for n in range(150)]
            )
        got = {
            n: texts([await asyncio.wait_for(layer.receive(channel), timeout=1) for _ in (1, 2)])
            for n, channel in enumerate(channels)
        }
        pops_while_messages_waited = len(blocking_pops)
        assert await drain(layer, channels[0]) == []  # and nothing more
        await layer.flush()
        return got, pops_while_messages_waited

    got, pops = asyncio.run(burst())
    assert got == {n: [f"{n}.1", f"{n}.2"] for n in range(150)}
    assert pops == 0


@pytest.mark.redis
def test_messages_taken_off_the_queue_survive_a_cancelled_receive(settings):
    async def scenario() -> list[str]:
        layer = RedisChannelLayer(**layer_config(settings))
        mine, other = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("user-1", mine)
        await layer.group_add("user-2", other)
        await layer.group_send_many([("user-1", {"type": "t", "text": str(n)}) for n in range(3)])
        first = await layer.receive(mine)  # all three are taken off Redis now
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(other), timeout=0.3)  # a socket's receive, cancelled
        rest = [await asyncio.wait_for(layer.receive(mine), timeout=1) for _ in range(2)]
        await layer.flush()
        return texts([first, *rest])

    assert asyncio.run(scenario()) == ["0", "1", "2"]

"""A burst of pushes to the sockets of one web process all arrive (real Redis channel layer).

channels-redis keeps one queue per process for all of that process's sockets and drops what
exceeds its capacity. With its default of 100, a push to 150 officers whose sockets one process
holds loses 50 of them; ``CHANNEL_CAPACITY`` is what the project configures instead.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer

from notifications.push import group_name, new_notification_message
from tests.notifications.helpers import redis_layers

OFFICERS = 150  # sockets held by one web process


async def burst_then_drain(layer) -> int:
    """Every socket joins its officer's group, one message goes to each group (as a commit's
    push does), and only then does the process read: how many of the messages it gets."""
    channels = []
    for officer in range(OFFICERS):
        channel = await layer.new_channel()
        await layer.group_add(group_name(officer), channel)
        channels.append(channel)
    for officer in range(OFFICERS):
        await layer.group_send(group_name(officer), new_notification_message(officer + 1))
    received = 0
    for channel in channels:
        try:
            # Every message kept is in Redis already: a short wait tells a lost one.
            await asyncio.wait_for(layer.receive(channel), timeout=0.2)
        except TimeoutError:
            continue
        received += 1
    await layer.flush()
    return received


@pytest.mark.redis
def test_a_push_to_150_sockets_of_one_process_arrives_whole(settings):
    assert settings.CHANNEL_CAPACITY >= 1000
    settings.CHANNEL_LAYERS = redis_layers(settings.TEST_REDIS_URL, f"capacity-{uuid.uuid4().hex[:8]}")
    assert asyncio.run(burst_then_drain(get_channel_layer())) == OFFICERS


@pytest.mark.redis
def test_with_channels_redis_default_capacity_most_of_the_burst_is_lost(settings):
    """The control: the same burst through a layer left at the library's default capacity."""
    layers = redis_layers(settings.TEST_REDIS_URL, f"default-{uuid.uuid4().hex[:8]}")
    del layers["default"]["CONFIG"]["capacity"]
    settings.CHANNEL_LAYERS = layers
    assert asyncio.run(burst_then_drain(get_channel_layer())) == 100


def test_the_configured_layer_takes_the_configured_capacity():
    """What config.settings gives a deployment (the Redis layer when REDIS_URL is set)."""
    from config import settings as deployed

    assert deployed.CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] == deployed.CHANNEL_CAPACITY

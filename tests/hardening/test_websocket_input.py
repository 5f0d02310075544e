"""The notification socket answers a hostile frame with an error message and stays usable: a
frame nested 1,000 levels deep (RecursionError in json.loads), an oversized frame, a frame that
is not an object, a ``last_id`` beyond 64 bits (the database driver's overflow)."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync

from directory.models import User
from tests.notifications.helpers import session_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def officer(db) -> User:
    return User.objects.create_user(username="ws-officer", password="x", full_name="Cán bộ thử")


HOSTILE_FRAMES = [
    "[" * 1000 + "]" * 1000,
    json.dumps({"type": "hello", "last_id": 0, "pad": [[[[["deep"]]]]]}),
    json.dumps({"type": "ping", "pad": "x" * 10_000}),
    "[]",
    "null",
    "42",
    '"hello"',
    json.dumps({"type": "hello", "last_id": 188609231373542138839040}),
    json.dumps({"type": "hello", "last_id": 2**63}),
]


def test_every_hostile_frame_is_answered_with_an_error_and_the_socket_stays_usable(officer):
    """One socket for all of them (a transactional test flushes the database: one is enough)."""
    cookie = session_cookie(officer)

    async def scenario():
        communicator = socket(cookie)
        assert (await communicator.connect())[0]
        for frame in HOSTILE_FRAMES:
            await communicator.send_to(text_data=frame)
            assert (await communicator.receive_json_from(timeout=3))["type"] == "error", frame[:60]
            await communicator.send_json_to({"type": "ping"})
            assert await communicator.receive_json_from(timeout=3) == {"type": "pong"}
        await communicator.disconnect()

    async_to_sync(scenario)()

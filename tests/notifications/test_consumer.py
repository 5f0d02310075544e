"""The websocket, through the project's real ASGI stack (config.asgi: Origin check + session auth).

Transactional tests: the consumer reads the database from the channels machinery, which must see
committed rows and sessions.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from notifications import push, services
from notifications.models import Notification
from tests.notifications.helpers import notice, notify_async, open_and_sync, session_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(officer):
    return officer()


# --- who may connect --------------------------------------------------------------------------


def test_anonymous_socket_is_refused(db):
    async def scenario():
        connected, _ = await socket(None).connect()
        assert not connected

    async_to_sync(scenario)()


def test_forged_session_cookie_is_refused(db):
    async def scenario():
        connected, _ = await socket("sessionid=not-a-session").connect()
        assert not connected

    async_to_sync(scenario)()


@pytest.mark.parametrize("origin", [b"http://evil.example", b"https://testserver.evil.example", b"null", None])
def test_socket_from_a_foreign_or_missing_origin_is_refused(alice, origin):
    """Cross-site WebSocket hijacking: a page elsewhere cannot ride the officer's session cookie."""
    cookie = session_cookie(alice)

    async def scenario():
        connected, _ = await socket(cookie, origin=origin).connect()
        assert not connected

    async_to_sync(scenario)()


def test_deactivated_officers_session_no_longer_opens_a_socket(alice):
    cookie = session_cookie(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    async def scenario():
        connected, _ = await socket(cookie).connect()
        assert not connected

    async_to_sync(scenario)()


def test_socket_closes_once_the_session_has_ended(alice, monkeypatch):
    from django.contrib.sessions.models import Session

    from notifications import consumers

    monkeypatch.setattr(consumers, "SESSION_RECHECK_SECONDS", 0)
    cookie = session_cookie(alice)

    async def scenario():
        communicator, _, _ = await open_and_sync(cookie)
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}  # still signed in
        await database_sync_to_async(Session.objects.all().delete)()  # logout or expiry
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()


# --- catch-up and live ------------------------------------------------------------------------


def test_reconnect_catches_up_every_missed_notification_in_order_then_goes_live(alice):
    cookie = session_cookie(alice)
    early = [notice(alice, n=i)[0].id for i in range(3)]

    async def scenario():
        first, received, sync = await open_and_sync(cookie, last_id=0)
        assert [n["id"] for n in received] == early
        assert sync == {"type": "sync", "last_id": early[-1], "unread": 3}
        await first.disconnect()

        missed = [(await notify_async(alice, n=10 + i))[0].id for i in range(4)]  # while offline

        second, received, sync = await open_and_sync(cookie, last_id=early[-1])
        assert [n["id"] for n in received] == missed
        assert received[0]["text"].startswith("Kế hoạch năm 2023")
        assert sync == {"type": "sync", "last_id": missed[-1], "unread": 7}

        (live,) = await notify_async(alice, n=99)
        message = await second.receive_json_from(timeout=3)
        assert message["type"] == "notification"
        assert message["notification"]["id"] == live.id
        assert message["unread"] == 8
        assert await second.receive_nothing(timeout=0.2)
        await second.disconnect()

    async_to_sync(scenario)()


def test_catch_up_spans_several_batches(alice, monkeypatch):
    from notifications import selectors

    monkeypatch.setattr(selectors, "MAX_BATCH", 2)  # five rows → three catch-up batches
    cookie = session_cookie(alice)
    ids = [notice(alice, n=i)[0].id for i in range(5)]

    async def scenario():
        communicator, received, sync = await open_and_sync(cookie)
        assert [n["id"] for n in received] == ids
        assert sync["last_id"] == ids[-1]
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_push_racing_the_hello_is_delivered_once(alice):
    cookie = session_cookie(alice)

    async def scenario():
        communicator = socket(cookie)
        assert (await communicator.connect())[0]
        (row,) = await notify_async(alice)  # pushed before the client said hello
        await communicator.send_json_to({"type": "hello", "last_id": 0})
        message = await communicator.receive_json_from(timeout=3)
        assert message["notification"]["id"] == row.id
        assert (await communicator.receive_json_from(timeout=3))["type"] == "sync"
        # A duplicate push of the same id (the retry job) is dropped.
        await get_channel_layer().group_send(push.group_name(alice.pk), push.new_notification_message(row.id))
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_reading_elsewhere_updates_the_badge_of_open_sockets(alice):
    cookie = session_cookie(alice)
    rows = notice(alice, n=1) + notice(alice, n=2)

    async def scenario():
        communicator, _, sync = await open_and_sync(cookie, last_id=rows[-1].id)
        assert sync["unread"] == 2
        await database_sync_to_async(services.notifications_mark_read)(user=alice, ids=[rows[0].id])
        assert await communicator.receive_json_from(timeout=3) == {"type": "unread", "unread": 1}
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_malformed_frames_are_answered_not_fatal(alice):
    cookie = session_cookie(alice)

    async def scenario():
        communicator = socket(cookie)
        assert (await communicator.connect())[0]
        await communicator.send_to(text_data="{not json")
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.send_json_to({"type": "hello", "last_id": "12; DROP TABLE"})
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
        await communicator.disconnect()

    async_to_sync(scenario)()


# --- isolation --------------------------------------------------------------------------------


def test_a_notification_for_one_officer_never_reaches_another(reviewer, commune_head, outsider):
    cookies = {user.pk: session_cookie(user) for user in (reviewer, commune_head, outsider)}

    async def scenario():
        sockets = {}
        for user in (reviewer, commune_head, outsider):
            sockets[user.pk], _, _ = await open_and_sync(cookies[user.pk])

        # One event for two officers of different agencies: each gets only their own row.
        rows = await database_sync_to_async(services.notify)(
            recipients=[reviewer, commune_head],
            kind="task",
            plan=None,
            link="/plans/1/",
            text_vi="Kế hoạch chờ xử lý",
            text_en="Plan awaiting action",
        )
        own = {row.recipient_id: row.id for row in rows}
        for user in (reviewer, commune_head):
            message = await sockets[user.pk].receive_json_from(timeout=3)
            assert message["notification"]["id"] == own[user.pk]
            assert await sockets[user.pk].receive_nothing(timeout=0.2)
        assert await sockets[outsider.pk].receive_nothing(timeout=0.3)

        # Even a misrouted group message does not leak: the consumer re-reads under its own user.
        layer = get_channel_layer()
        await layer.group_send(push.group_name(outsider.pk), push.new_notification_message(own[reviewer.pk]))
        assert await sockets[outsider.pk].receive_nothing(timeout=0.3)

        # And the outsider's catch-up from zero holds only their own rows (the demo may have some).
        await sockets[outsider.pk].send_json_to({"type": "hello", "last_id": 0})
        caught_up = []
        while (message := await sockets[outsider.pk].receive_json_from(timeout=3))["type"] == "notification":
            caught_up.append(message["notification"]["id"])
        assert message["type"] == "sync"
        assert not set(caught_up) & set(own.values())
        owners = await database_sync_to_async(
            lambda: set(Notification.objects.filter(pk__in=caught_up).values_list("recipient_id", flat=True))
        )()
        assert owners <= {outsider.pk}

        for communicator in sockets.values():
            await communicator.disconnect()

    async_to_sync(scenario)()

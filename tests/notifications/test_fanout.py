"""Fan-out without a database read per message: the sender puts what the recipient may see in
the group message (notifications.push), the consumer forwards it only to its own user."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import consumers, push, selectors, services
from tests.notifications.helpers import notice, open_and_sync, session_cookie


def test_the_sender_reads_a_whole_batch_in_two_queries(reviewer, commune_head, outsider):
    rows = notice(reviewer, n=1) + notice(reviewer, n=2) + notice(commune_head, n=1) + notice(outsider, n=1)
    pairs = [(row.id, row.recipient_id) for row in rows]
    with CaptureQueriesContext(connection) as queries:
        messages = push._messages(pairs)
    assert len(queries) == 2
    for row in rows:
        message = messages[row.id]
        assert message["recipient"] == row.recipient_id
        assert message["notification"] == selectors.payload_for(row.recipient, row.id)
        assert message["unread"] == selectors.unread_count(row.recipient)


@pytest.mark.django_db(transaction=True)
def test_a_live_push_reaches_the_socket_without_a_database_read(reviewer, monkeypatch):
    cookie = session_cookie(reviewer)

    def no_read(*args, **kwargs):
        raise AssertionError("the consumer read the database for a live push")

    async def scenario():
        communicator, _, sync = await open_and_sync(cookie)
        monkeypatch.setattr(consumers, "_live", no_read)
        monkeypatch.setattr(consumers.selectors, "payload_for", no_read)
        rows = await database_sync_to_async(services.notify)(
            recipients=[reviewer],
            kind="task",
            plan=None,
            link="/plans/1/",
            text_vi="Kế hoạch chờ xử lý",
            text_en="Plan awaiting action",
        )
        message = await communicator.receive_json_from(timeout=3)
        assert message["notification"]["id"] == rows[0].id
        assert message["notification"]["text"] in {"Kế hoạch chờ xử lý", "Plan awaiting action"}
        assert message["unread"] == sync["unread"] + 1
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_misrouted_message_with_another_officers_payload_is_not_forwarded(reviewer, outsider):
    cookie = session_cookie(outsider)
    (row,) = notice(reviewer, n=1)

    async def scenario():
        communicator, _, _ = await open_and_sync(cookie)
        (message,) = (await database_sync_to_async(push._messages)([(row.id, reviewer.pk)])).values()
        await get_channel_layer().group_send(push.group_name(outsider.pk), message)
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    async_to_sync(scenario)()

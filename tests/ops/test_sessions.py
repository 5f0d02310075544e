"""The idle timeout holds without a session write on every page (config/sessions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

PASSWORD = "demo-Giamngheo-2026"
DRAFTER = "t2-c03394-ubnd-drafter"
START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]


def signed_in_client() -> Client:
    client = Client()
    answer = client.post("/login/", {"username": DRAFTER, "password": PASSWORD})
    assert answer.status_code == 302, answer.content[:300]
    return client


def test_page_views_within_a_minute_write_the_session_at_most_once(demo):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client()
        with CaptureQueriesContext(connection) as queries:
            for _ in range(10):
                clock.shift(timedelta(seconds=5))
                assert client.get("/").status_code == 200
        assert session_writes(queries) == []  # 10 pages in 50 s after signing in: no write

        with CaptureQueriesContext(connection) as queries:
            for _ in range(12):
                clock.shift(timedelta(seconds=5))  # crosses the minute once
                assert client.get("/").status_code == 200
        assert len(session_writes(queries)) == 1


# The inbox reads the clock and the session like any page: idle, it signs out too.
@pytest.mark.parametrize("page", ["/", "/inbox/"])
def test_an_idle_session_is_signed_out(demo, page):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client()
        assert client.get(page).status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1))
        answer = client.get(page)
    assert answer.status_code == 302
    assert answer["Location"].startswith("/login/")


def test_a_session_in_use_outlives_the_idle_timeout(demo):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client()
        for _ in range(6):  # an hour of work, a page every ten minutes
            clock.shift(timedelta(minutes=10))
            assert client.get("/").status_code == 200


def test_the_timeout_holds_to_within_a_minute_of_the_last_page(demo):
    """The stamp may lag the last page by under a minute, never more."""
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client()
        clock.shift(timedelta(seconds=50))
        assert client.get("/").status_code == 200  # not stamped (under a minute since sign-in)
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS - 50 - settings.SESSION_TOUCH_SECONDS + 5))
        assert client.get("/").status_code == 200

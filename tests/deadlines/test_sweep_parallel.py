"""A sweep's own worker threads (``DEADLINES_SWEEP_WORKERS``, 2 in production) on PostgreSQL.

The same situation as tests/deadlines/test_sweep_concurrency.py (every open task of the demo
due today, one threshold each): one ``sweep()`` call fires its batches in two threads on two
connections, and still sends each reminder exactly once; a thread killed mid-batch loses and
duplicates nothing; inside a transaction (where other connections could not see its rows) the
sweep stays on the caller's connection.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import transaction

from deadlines import services
from deadlines.models import ReminderLedgerEntry
from notifications import services as notifications
from tests.deadlines.test_sweep_concurrency import (  # noqa: F401 - all_due_today is a fixture
    MOMENT,
    WorkerKilled,
    all_due_today,
    assert_each_reminder_once,
    slow_notify,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_workers(settings):
    settings.DEADLINES_SWEEP_WORKERS = 2


@pytest.fixture
def due_today(all_due_today):  # noqa: F811 - the concurrency tests' fixture, under its own name here
    return all_due_today


def claims_by_thread(monkeypatch) -> Counter[str]:
    """Timers claimed, by the name of the thread that claimed them."""
    claimed: Counter[str] = Counter()
    real = services._sweep_batch

    def counted(**kwargs):
        n = real(**kwargs)
        claimed[threading.current_thread().name] += n
        return n

    monkeypatch.setattr(services, "_sweep_batch", counted)
    return claimed


def test_one_sweep_fires_its_batches_in_two_threads_each_reminder_once(due_today, two_workers, monkeypatch, mailoutbox):
    slow_notify(monkeypatch)  # batches overlap in time
    claimed = claims_by_thread(monkeypatch)
    result = services.sweep(now=MOMENT, batch=3)
    assert result["claimed"] == result["reminders"] == due_today
    assert result["refused"] == result["errors"] == 0
    workers = {name: n for name, n in claimed.items() if n}
    assert len(workers) == 2 and all(name.startswith("deadline-sweep") for name in workers), claimed
    assert sum(workers.values()) == due_today
    assert_each_reminder_once(due_today, mailoutbox)


def test_a_worker_thread_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    due_today, two_workers, monkeypatch, mailoutbox
):
    real_notify = notifications.notify
    victim: list[str] = []
    calls: Counter[str] = Counter()

    def notify(**kwargs):
        name = threading.current_thread().name
        calls[name] += 1
        if not victim:
            victim.append(name)  # the first worker to notify dies at its third row
        if name == victim[0] and calls[name] == 3:
            raise WorkerKilled
        return real_notify(**kwargs)

    monkeypatch.setattr(notifications, "notify", notify)
    with pytest.raises(WorkerKilled):
        services.sweep(now=MOMENT, batch=5)
    # The dead batch (its first: five timers) rolled back; the other worker fired every other
    # timer, and those five too if it claimed again after the rollback released them.
    sent = ReminderLedgerEntry.objects.count()
    assert sent in (due_today - 5, due_today)

    monkeypatch.setattr(notifications, "notify", real_notify)
    recovery = services.sweep(now=MOMENT)  # the next scheduled run
    assert recovery["claimed"] == recovery["reminders"] == due_today - sent
    assert_each_reminder_once(due_today, mailoutbox)


def test_inside_a_transaction_the_sweep_stays_on_the_caller_s_connection(
    due_today, two_workers, monkeypatch, mailoutbox
):
    """Rows the caller has not committed are invisible to other connections: no threads then."""

    def no_threads(**kwargs):
        raise AssertionError("worker threads inside a transaction")

    monkeypatch.setattr(services, "_fire_in_parallel", no_threads)
    claimed = claims_by_thread(monkeypatch)
    with transaction.atomic():
        result = services.sweep(now=MOMENT, batch=3)
    assert result["claimed"] == result["reminders"] == due_today
    assert set(claimed) == {threading.current_thread().name}
    assert_each_reminder_once(due_today, mailoutbox)

"""Concurrent and crashing sweeps on PostgreSQL (real row locks, READ COMMITTED).

Every open task of the demo is made due on Friday 28/8/2026 and the sweeps run at 09:00 that
day, so each timer has exactly one threshold to send ("due-0"). Whatever the interleaving,
each ledger row exists once, each of its notifications exists once, and each e-mail leaves once.
The control test turns SKIP LOCKED off: both sweeps then reach the same timers, and the
ledger's unique key is what keeps every reminder single.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from deadlines import services
from deadlines.models import DeadlineTimer, ReminderLedgerEntry
from deadlines.thresholds import end_of_day
from notifications import services as notifications
from notifications.models import Notification
from tests.deadlines.conftest import at
from workflows.models import WorkItem

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MOMENT = at(2026, 8, 28, 9)


class WorkerKilled(BaseException):
    """A worker dying mid-batch: not an Exception, so nothing in the sweep catches it."""


@pytest.fixture
def all_due_today(household_2026, time_machine, mailoutbox) -> int:
    import datetime as dt

    mailoutbox.clear()  # the demo's own "new task" mail
    # Every open task (the session's demo was loaded at the real date) opened on 10/8, due 28/8.
    WorkItem.objects.filter(is_open=True).update(due_at=end_of_day(dt.date(2026, 8, 28)), created_at=at(2026, 8, 10))
    DeadlineTimer.objects.all().delete()
    time_machine.move_to(MOMENT, tick=False)
    return WorkItem.objects.filter(is_open=True).count()


def in_threads(*work: Callable[[], dict]) -> list[dict | BaseException]:
    results: list[dict | BaseException] = [{} for _ in work]

    def run(index: int, job: Callable[[], dict]) -> None:
        try:
            results[index] = job()
        except BaseException as exc:  # returned to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def assert_each_reminder_once(expected_items: int, mailoutbox) -> None:
    entries = list(ReminderLedgerEntry.objects.all())
    assert len(entries) == expected_items
    assert Counter(e.work_item_id for e in entries) == dict.fromkeys({e.work_item_id for e in entries}, 1)
    assert {e.threshold for e in entries} == {"due-0"}
    sent = Notification.objects.filter(kind="reminder")
    assert sent.count() == sum(e.recipients for e in entries) > 0
    for entry in entries:
        assert sent.filter(dedupe_key=f"deadline:{entry.pk}").count() == entry.recipients
    mailed = Counter(m.extra_headers.get("X-Notification-Id") for m in mailoutbox)
    assert set(mailed.values()) == {1}
    assert {int(i) for i in mailed} == set(sent.values_list("pk", flat=True))
    assert not DeadlineTimer.objects.filter(next_fire_at__lte=MOMENT).exists()


def slow_notify(monkeypatch) -> None:
    """Each notify takes a little while, so two sweeps' batches overlap in time."""
    import time

    real = notifications.notify

    def slow(**kwargs):
        time.sleep(0.02)
        return real(**kwargs)

    monkeypatch.setattr(notifications, "notify", slow)


def test_two_sweeps_at_once_send_each_reminder_exactly_once(all_due_today, monkeypatch, mailoutbox):
    slow_notify(monkeypatch)
    barrier = threading.Barrier(2, timeout=20)

    def sweep() -> dict:
        barrier.wait()
        return services.sweep(now=MOMENT, batch=3)

    first, second = in_threads(sweep, sweep)
    assert isinstance(first, dict) and isinstance(second, dict), (first, second)
    print("claimed by each sweep:", first["claimed"], second["claimed"])
    assert first["claimed"] > 0 and second["claimed"] > 0  # both worked, on disjoint rows
    assert first["claimed"] + second["claimed"] == all_due_today
    assert first["refused"] == second["refused"] == 0
    assert first["reminders"] + second["reminders"] == all_due_today
    assert_each_reminder_once(all_due_today, mailoutbox)


def test_control_without_skip_locked_both_sweeps_reach_the_same_timers(all_due_today, monkeypatch, mailoutbox):
    monkeypatch.setattr(services, "_SKIP_LOCKED", False)
    barrier = threading.Barrier(2, timeout=20)
    real_load = services._Batch.load

    def load_after_both_selected(timers):
        barrier.wait()  # both sweeps have selected the same due timers
        return real_load(timers)

    monkeypatch.setattr(services._Batch, "load", staticmethod(load_after_both_selected))

    first, second = in_threads(
        lambda: services.sweep(now=MOMENT, batch=100), lambda: services.sweep(now=MOMENT, batch=100)
    )
    assert isinstance(first, dict) and isinstance(second, dict), (first, second)
    assert first["claimed"] + second["claimed"] == 2 * all_due_today  # the race is real
    assert first["refused"] + second["refused"] == all_due_today  # the ledger refused every second try
    assert_each_reminder_once(all_due_today, mailoutbox)


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(all_due_today, monkeypatch, mailoutbox):
    real_notify = notifications.notify
    victim_mid_batch = threading.Event()
    survivor_done = threading.Event()
    calls = Counter()

    def notify(**kwargs):
        name = threading.current_thread().name
        calls[name] += 1
        if name == "victim" and calls[name] == 3:
            victim_mid_batch.set()  # two rows ledgered and notified, five locked
            survivor_done.wait(60)
            raise WorkerKilled
        return real_notify(**kwargs)

    monkeypatch.setattr(notifications, "notify", notify)

    def victim() -> dict:
        threading.current_thread().name = "victim"
        return services.sweep(now=MOMENT, batch=5)

    def survivor() -> dict:
        threading.current_thread().name = "survivor"
        victim_mid_batch.wait(60)
        try:
            return services.sweep(now=MOMENT, batch=5)
        finally:
            survivor_done.set()

    killed, survived = in_threads(victim, survivor)
    assert isinstance(killed, WorkerKilled)
    assert survived["claimed"] == all_due_today - 5  # it skipped the victim's locked rows
    # The victim's transaction rolled back: its two ledger rows and notifications are gone.
    assert ReminderLedgerEntry.objects.count() == all_due_today - 5
    assert DeadlineTimer.objects.filter(next_fire_at__lte=MOMENT).count() == 5

    monkeypatch.setattr(notifications, "notify", real_notify)
    recovery = services.sweep(now=MOMENT)  # the next scheduled run
    assert recovery["claimed"] == 5 and recovery["reminders"] == 5
    assert_each_reminder_once(all_due_today, mailoutbox)

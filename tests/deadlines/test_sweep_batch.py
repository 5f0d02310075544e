"""The sweep in batches: its cost in queries does not follow the number of due reminders.

The demo's open work items are cloned up to 60 (same plan, agency and step: new tasks of
the same processes), all opened on 10/8/2026 and due far ahead, except N of them due on Friday
28/8/2026. Timers are armed by a sweep 30 days before the measured one (as the minute sweeps of
a live system would have), then the measured sweep runs on Monday 7/9/2026 at 09:00: three
working days late (31/8-2/9 are off), so each due item sends its "overdue-3" reminder and both
escalations, to the head and to the supervising level. The first item is assigned to one
officer, so every measured batch also looks assignees up. Each measurement runs in a savepoint
that is rolled back, like the benchmark's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from deadlines import services
from deadlines.models import DeadlineTimer, ReminderLedgerEntry
from deadlines.thresholds import end_of_day
from directory.models import Membership, Role
from notifications import services as notifications
from notifications.models import Notification
from tests.deadlines.conftest import at
from workflows.models import WorkItem

MOMENT = at(2026, 9, 7, 9)
DUE = dt.date(2026, 8, 28)
LATER = dt.date(2026, 11, 27)
# Queries of one batch, whatever its size: claim, thresholds already sent, members of the acting
# agencies, assignees, supervising heads (units, standing-agency settings, agencies, members),
# ledger, notifications, timers; the batch's savepoint (here nested in the test's transaction)
# and the one that lets a failed batch be fired again row by row, each with its release. Plus
# the closed timers' DELETE when there are any. Outside a test: 13.
PER_BATCH = 15


@pytest.fixture
def items(household_2026) -> list[WorkItem]:
    """60 open work items, none armed, all due far ahead; the first one assigned to an officer."""
    originals = list(WorkItem.objects.filter(is_open=True).select_related("task").order_by("pk"))
    clones = []
    for index in range(60 - len(originals)):
        source = originals[index % len(originals)]
        task = Task.objects.create(
            process_id=source.process_id,
            flow_task=source.task.flow_task,
            flow_task_type=source.task.flow_task_type,
            status=source.task.status,
        )
        clones.append(
            WorkItem.objects.create(
                task=task,
                process_id=source.process_id,
                plan_id=source.plan_id,
                step=source.step,
                lane=source.lane,
                agency_id=source.agency_id,
                unit_id=source.unit_id,
            )
        )
    result = originals + clones
    WorkItem.objects.filter(pk__in=[i.pk for i in result]).update(created_at=at(2026, 8, 10), due_at=end_of_day(LATER))
    DeadlineTimer.objects.all().delete()
    first = result[0]
    officer = Membership.objects.filter(agency_id=first.agency_id, role=Role.DRAFTER).first()
    assert officer is not None
    WorkItem.objects.filter(pk=first.pk).update(assignee_id=officer.user_id)
    return result


def measure(items: list[WorkItem], due: int, *, batch: int | None = None, checks=None) -> tuple[int, dict]:
    """Queries and counts of the sweep at MOMENT with ``due`` items due on 28/8 (rolled back)."""
    with transaction.atomic():
        WorkItem.objects.filter(pk__in=[i.pk for i in items[:due]]).update(due_at=end_of_day(DUE))
        armed = services.sweep(now=MOMENT - dt.timedelta(days=30), batch=batch)
        assert armed["armed"] == len(items) and armed["claimed"] == 0
        with CaptureQueriesContext(connection) as queries:
            counts = services.sweep(now=MOMENT, batch=batch)
        if checks:
            checks(items[:due], counts)
        transaction.set_rollback(True)
    return len(queries), counts


def each_sent_once(due_items: list[WorkItem], counts: dict) -> None:
    n = len(due_items)
    assert (counts["claimed"], counts["reminders"], counts["escalations"]) == (n, n, 2 * n)
    assert counts["refused"] == counts["errors"] == 0
    entries = list(ReminderLedgerEntry.objects.all())
    assert Counter((e.work_item_id, e.threshold) for e in entries) == {
        (item.pk, code): 1 for item in due_items for code in ("overdue-3", "escalate-head", "escalate-parent")
    }
    sent = Counter(
        Notification.objects.filter(kind__in=["reminder", "escalation"]).values_list("dedupe_key", flat=True)
    )
    assert sent == {f"deadline:{e.pk}": e.recipients for e in entries if e.recipients}
    assert counts["notifications"] == sum(e.recipients for e in entries) > n
    assert not DeadlineTimer.objects.filter(next_fire_at__lte=MOMENT).exists()
    assigned = ReminderLedgerEntry.objects.get(work_item=due_items[0], threshold="overdue-3")
    assert assigned.recipients == 1  # the assigned officer only


def test_five_and_fifty_due_reminders_cost_the_same_queries(items):
    five, counts_five = measure(items, 5, checks=each_sent_once)
    fifty, counts_fifty = measure(items, 50, checks=each_sent_once)
    print(f"queries: 5 due → {five}, 50 due → {fifty}; {counts_fifty}")
    assert counts_five["batches"] == counts_fifty["batches"] == 1
    assert five == fifty
    # The sweep's own fixed cost (calendar, arming, the last empty claim and its savepoint) and one batch.
    assert fifty <= 5 + PER_BATCH


def test_queries_grow_with_batches_not_with_reminders(items):
    one, _counts = measure(items, 10, batch=10, checks=each_sent_once)
    five, counts = measure(items, 50, batch=10, checks=each_sent_once)
    print(f"queries: 1 batch of 10 → {one}, 5 batches of 10 → {five}")
    assert counts["batches"] == 5
    # Each batch adds at most PER_BATCH queries (the others may not look up assignees).
    assert five - one <= 4 * PER_BATCH
    assert five <= 5 + 5 * PER_BATCH


def test_closed_tasks_are_disarmed_in_one_statement(items):
    def checks(due_items: list[WorkItem], counts: dict) -> None:
        assert counts["disarmed"] == 2
        assert counts["reminders"] == len(due_items) - 2

    with transaction.atomic():
        WorkItem.objects.filter(pk__in=[i.pk for i in items[:50]]).update(due_at=end_of_day(DUE))
        services.sweep(now=MOMENT - dt.timedelta(days=30))
        WorkItem.objects.filter(pk__in=[items[1].pk, items[2].pk]).update(is_open=False)
        with CaptureQueriesContext(connection) as queries:
            counts = services.sweep(now=MOMENT)
        checks(items[:50], counts)
        deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
        assert len(deletes) == 1 and not DeadlineTimer.objects.filter(work_item__in=items[1:3]).exists()
        transaction.set_rollback(True)


def test_a_failed_batch_is_fired_again_row_by_row(items, monkeypatch):
    """A batch whose writes fail (here: its ledger insert of more than one row) rolls back to its
    savepoint and its timers, still locked, are fired one by one: everything goes out once."""
    real_ledger = services._ledger

    def fails_for_many(outgoing):
        if len({out.item.pk for out in outgoing}) > 1:
            raise RuntimeError("a batch-sized statement failed")
        return real_ledger(outgoing)

    monkeypatch.setattr(services, "_ledger", fails_for_many)
    _queries, counts = measure(items, 12, checks=each_sent_once)
    assert counts["errors"] == 0


def test_thresholds_written_by_another_sweep_meanwhile_are_refused(items, monkeypatch):
    """Two sweeps reaching the same timers (SQLite has no row locks; a rewound demo clock): what
    the other one wrote after this batch read the ledger is refused by the batch's one INSERT
    and notified by no one a second time."""
    real_load = services._Batch.load
    taken = items[:3]

    def load_then_another_sweep_writes(timers):
        batch = real_load(timers)
        for item in taken:
            for code in ("overdue-3", "escalate-head", "escalate-parent"):
                ReminderLedgerEntry.objects.create(
                    work_item=item,
                    threshold=code,
                    kind="x",
                    audience="actors",
                    fire_at=MOMENT,
                    due_at=end_of_day(DUE),
                    sent_at=MOMENT,
                )
        return batch

    monkeypatch.setattr(services._Batch, "load", staticmethod(load_then_another_sweep_writes))

    def checks(due_items: list[WorkItem], counts: dict) -> None:
        assert counts["refused"] == 9
        assert (counts["reminders"], counts["escalations"]) == (7, 14)
        assert Counter(ReminderLedgerEntry.objects.values_list("work_item_id", flat=True)) == {
            item.pk: 3 for item in due_items
        }
        mine = ReminderLedgerEntry.objects.filter(work_item__in=taken).values_list("pk", flat=True)
        assert not Notification.objects.filter(dedupe_key__in=[f"deadline:{pk}" for pk in mine]).exists()

    measure(items, 10, checks=checks)


def test_collected_notifications_are_written_together_and_duplicates_skipped(
    items, django_capture_on_commit_callbacks, django_assert_num_queries
):
    users = list(Membership.objects.filter(agency_id=items[0].agency_id).select_related("user"))[:2]
    recipients = [m.user for m in users]
    plan = items[0].plan
    with transaction.atomic():
        notifications.notify(
            recipients=recipients[:1],
            kind="reminder",
            plan=plan,
            link="/x/",
            text_vi="một",
            text_en="one",
            dedupe_key="k1",
        )
    with (
        django_capture_on_commit_callbacks() as callbacks,
        transaction.atomic(),
        django_assert_num_queries(1),
        notifications.collected() as outbox,
    ):
        for key in ("k1", "k2", "k2"):
            queued = notifications.notify(
                recipients=recipients,
                kind="reminder",
                plan=plan,
                link="/x/",
                text_vi="một",
                text_en="one",
                dedupe_key=key,
            )
            assert queued == []  # nothing exists before the flush
        written = outbox.flush()
    # k1 existed for the first recipient; k2 twice in the block is one row per recipient.
    created = list(Notification.objects.filter(pk__in=written).order_by("pk"))
    assert [(n.recipient_id, n.dedupe_key) for n in created] == [
        (recipients[1].pk, "k1"),
        (recipients[0].pk, "k2"),
        (recipients[1].pk, "k2"),
    ]
    assert written == [n.pk for n in created]
    assert {(n.kind, n.plan_id, n.link, n.text_en, n.email_attempts, n.pushed_at) for n in created} == {
        ("reminder", plan.pk, "/x/", "one", 0, None)
    }
    assert len(callbacks) == 1  # one delivery after commit for the whole batch
    assert Notification.objects.filter(dedupe_key__in=["k1", "k2"]).count() == 4


def test_nothing_collected_is_written_when_the_block_fails(items):
    recipient = Membership.objects.filter(agency_id=items[0].agency_id).first().user
    with pytest.raises(RuntimeError), transaction.atomic(), notifications.collected():
        notifications.notify(
            recipients=[recipient], kind="reminder", plan=None, link="/x/", text_vi="a", text_en="a", dedupe_key="z"
        )
        raise RuntimeError
    assert not Notification.objects.filter(dedupe_key="z").exists()

"""The sweep's memo of thresholds (``services._Batch.due_now`` / ``next_after``), without a database.

A batch works each answer out once per deadline, sent set and position of ``armed_from`` among the
schedule's moments, and hands it to every timer alike. These tests set timers armed exactly at a
threshold's moment, just before and just after it, and check that every memoised answer is the one
``thresholds`` gives for that very timer, whichever of the alike timers came first.
"""

from __future__ import annotations

import datetime as dt

import pytest

from deadlines import services, thresholds
from deadlines.thresholds import end_of_day
from deadlines.workdays import WorkingCalendar

DUE_AT = end_of_day(dt.date(2026, 8, 28))
CALENDAR = WorkingCalendar()
SCHEDULE = thresholds.schedule(DUE_AT.date(), CALENDAR)
NEAR = dt.timedelta(microseconds=1)


def timer(armed_from: dt.datetime | None, pk: int = 1) -> services._Claimed:
    return services._Claimed(
        timer_id=pk,
        armed_from=armed_from,
        pk=pk,
        is_open=True,
        due_at=DUE_AT,
        step="draft",
        lane="",
        agency_id=1,
        agency_name="Agency",
        agency_unit_id=1,
        assignee_id=None,
        plan_id=1,
        plan_type="x",
        year=2026,
        period=None,
        unit_name="Unit",
    )


def armed_moments() -> list[dt.datetime | None]:
    """No start, and just before, exactly at and just after every threshold's moment, in the
    schedule's time zone and in UTC (what the database returns)."""
    result: list[dt.datetime | None] = [None]
    for threshold in SCHEDULE:
        for moment in (threshold.fire_at - NEAR, threshold.fire_at, threshold.fire_at + NEAR):
            result += [moment, moment.astimezone(dt.UTC)]
    return result


def sweep_moments() -> list[dt.datetime]:
    """At, just before and an hour after every threshold's moment, and long after the last."""
    result = [SCHEDULE[-1].fire_at + dt.timedelta(days=60)]
    for threshold in SCHEDULE:
        result += [threshold.fire_at - NEAR, threshold.fire_at, threshold.fire_at + dt.timedelta(hours=1)]
    return result


@pytest.mark.parametrize("sent", [set(), {"before-1"}, {"overdue-1", "overdue-3"}], ids=["none", "one", "two"])
@pytest.mark.parametrize("order", ["forwards", "backwards"])
def test_every_memoised_answer_is_the_one_of_that_very_timer(sent, order):
    # Both orders: were two timers wrongly taken as alike, the later one would get the earlier
    # one's answer in one of them.
    starts = armed_moments() if order == "forwards" else armed_moments()[::-1]
    for moment in sweep_moments():
        batch = services._Batch(sent={}, members={})
        for armed_from in starts:
            claimed = timer(armed_from)
            expected_due = thresholds.due_now(SCHEDULE, moment=moment, sent=sent, armed_from=armed_from)
            expected_next = thresholds.next_after(SCHEDULE, moment=moment, sent=sent, armed_from=armed_from)
            assert batch.due_now(claimed, moment=moment, sent=sent, calendar=CALENDAR) == expected_due, (
                moment,
                armed_from,
            )
            assert batch.next_after(claimed, moment=moment, sent=sent, calendar=CALENDAR) == expected_next, (
                moment,
                armed_from,
            )


def test_a_threshold_passed_exactly_when_the_task_was_armed_is_not_sent_but_one_just_after_is():
    first = SCHEDULE[0]
    moment = first.fire_at + dt.timedelta(hours=1)
    batch = services._Batch(sent={}, members={})

    def due(armed_from: dt.datetime) -> thresholds.Threshold | None:
        return batch.due_now(timer(armed_from), moment=moment, sent=set(), calendar=CALENDAR)

    assert due(first.fire_at - NEAR) == first  # armed just before: sent
    assert due(first.fire_at) is None  # fire_at <= armed_from: passed before the task existed
    assert due(first.fire_at.astimezone(dt.UTC)) is None
    assert due(first.fire_at + NEAR) is None
    assert due((first.fire_at - NEAR).astimezone(dt.UTC)) == first


def test_timers_armed_at_different_moments_between_two_thresholds_share_one_answer(monkeypatch):
    calls = {"due_now": 0, "next_after": 0}
    real_due_now, real_next_after = thresholds.due_now, thresholds.next_after

    def counting_due_now(*args, **kwargs):
        calls["due_now"] += 1
        return real_due_now(*args, **kwargs)

    def counting_next_after(*args, **kwargs):
        calls["next_after"] += 1
        return real_next_after(*args, **kwargs)

    monkeypatch.setattr(thresholds, "due_now", counting_due_now)
    monkeypatch.setattr(thresholds, "next_after", counting_next_after)
    # A hundred tasks created one minute apart, all after "before-2" and before "before-1".
    start = SCHEDULE[1].fire_at + dt.timedelta(minutes=1)
    assert start + dt.timedelta(minutes=100) < SCHEDULE[2].fire_at
    moment = SCHEDULE[2].fire_at + dt.timedelta(hours=1)
    batch = services._Batch(sent={}, members={})
    for index in range(100):
        claimed = timer(start + dt.timedelta(minutes=index), pk=index + 1)
        assert batch.due_now(claimed, moment=moment, sent=set(), calendar=CALENDAR) == SCHEDULE[2]
        assert batch.next_after(claimed, moment=moment, sent={SCHEDULE[2].code}, calendar=CALENDAR) == SCHEDULE[3]
    assert calls == {"due_now": 1, "next_after": 1}

"""Reminder thresholds of one deadline: pure functions over the working calendar.

For a task due on day D (its last day), the thresholds are, in order:

* ``before-5``, ``before-2``, ``before-1``: that many working days before D
  (``DEADLINES_REMINDER_DAYS``);
* ``due-0``: on D itself (``DEADLINES_REMIND_ON_DUE_DAY``);
* ``overdue-1``, ``overdue-3``, …: the first working day after D, then every
  ``DEADLINES_OVERDUE_EVERY_DAYS`` working days, ``DEADLINES_OVERDUE_REMINDERS`` times at most.

Each becomes due at ``DEADLINES_REMINDER_HOUR`` (local time) of its day and stays current until
the next one is due (the last one: for ``DEADLINES_OVERDUE_EVERY_DAYS`` more working days). A
threshold no longer current is never sent late: after an outage, or for a task whose reminders
ran out long ago, there is nothing stale to catch up on. The list is finite, so a timer
eventually disarms itself even if a task is never closed. Escalations ride on the overdue
reminders (see ``services``), so they need no thresholds of their own here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from django.utils import timezone

from deadlines import conf
from deadlines.workdays import WorkingCalendar

ESCALATE_HEAD = "escalate-head"
ESCALATE_PARENT = "escalate-parent"


@dataclass(frozen=True)
class Threshold:
    code: str
    day: dt.date
    fire_at: dt.datetime
    # Working days before the due day (positive), 0 on it, negative when overdue.
    days: int
    # When it stops being current (the next threshold's time); never sent after that.
    expires_at: dt.datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.days < 0


def end_of_day(day: dt.date) -> dt.datetime:
    """The deadline moment of a last day: its final second, local time (shown as that day)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)), timezone.get_default_timezone())


def due_day(due_at: dt.datetime) -> dt.date:
    return timezone.localtime(due_at, timezone.get_default_timezone()).date()


def _at_reminder_hour(day: dt.date) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(conf.reminder_hour()))
    return timezone.make_aware(moment, timezone.get_default_timezone())


def schedule(day: dt.date, calendar: WorkingCalendar) -> tuple[Threshold, ...]:
    """Every threshold of a task due on ``day``, in firing order (memoised on the calendar)."""
    key = (
        "schedule",
        day,
        conf.reminder_days(),
        conf.remind_on_due_day(),
        conf.overdue_every_days(),
        conf.overdue_reminders(),
        conf.reminder_hour(),
    )
    if key not in calendar.memo:
        calendar.memo[key] = _schedule(day, calendar)
    return calendar.memo[key]


def _schedule(day: dt.date, calendar: WorkingCalendar) -> tuple[Threshold, ...]:
    result = [
        Threshold(f"before-{n}", d, _at_reminder_hour(d), n)
        for n in conf.reminder_days()
        for d in [calendar.add_working_days(day, -n)]
    ]
    if conf.remind_on_due_day():
        result.append(Threshold("due-0", day, _at_reminder_hour(day), 0))
    every = conf.overdue_every_days()
    for index in range(conf.overdue_reminders()):
        late = 1 + index * every
        d = calendar.add_working_days(day, late)
        result.append(Threshold(f"overdue-{late}", d, _at_reminder_hour(d), -late))
    result.sort(key=lambda t: (t.fire_at, -t.days))
    if not result:
        return result
    last = result[-1]
    end = _at_reminder_hour(calendar.add_working_days(last.day, every))
    return [
        replace(t, expires_at=(result[i + 1].fire_at if i + 1 < len(result) else end)) for i, t in enumerate(result)
    ]


def due_now(
    thresholds: Sequence[Threshold], *, moment: dt.datetime, sent: Collection[str], armed_from: dt.datetime | None
) -> Threshold | None:
    """The threshold to send at ``moment``: the current one (passed, not yet expired), if it is
    not sent yet and did not pass before the task existed. Older unsent ones are skipped, not
    sent in a burst: after an outage an officer gets one reminder saying where things stand."""
    current = [t for t in thresholds if t.fire_at <= moment and (t.expires_at is None or moment < t.expires_at)]
    if not current:
        return None
    latest = current[-1]
    if latest.code in sent or (armed_from is not None and latest.fire_at <= armed_from):
        return None
    return latest


def next_after(
    thresholds: Sequence[Threshold], *, moment: dt.datetime, sent: Collection[str], armed_from: dt.datetime | None
) -> Threshold | None:
    """The first threshold still to come (after ``moment`` and ``armed_from``, not yet sent)."""
    floor = moment if armed_from is None else max(moment, armed_from)
    return next((t for t in thresholds if t.fire_at > floor and t.code not in sent), None)


def first_pending(
    thresholds: Sequence[Threshold], *, sent: Collection[str], armed_from: dt.datetime | None
) -> Threshold | None:
    """When a newly armed timer should first wake up: the first threshold after ``armed_from``
    not yet sent (it may already be due; the sweep then sends the latest passed one)."""
    return next(
        (t for t in thresholds if t.code not in sent and (armed_from is None or t.fire_at > armed_from)),
        None,
    )

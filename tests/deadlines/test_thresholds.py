"""The reminder thresholds of one deadline, as pure functions (no database)."""

import datetime as dt
import itertools

from django.test import override_settings

from deadlines import thresholds
from deadlines.workdays import WorkingCalendar
from tests.deadlines.conftest import at

D = dt.date


def schedule(day: dt.date) -> tuple[thresholds.Threshold, ...]:
    return thresholds.schedule(day, WorkingCalendar())


def test_the_thresholds_of_a_deadline_on_friday_28_august_2026():
    found = {t.code: t.day for t in schedule(D(2026, 8, 28))}
    assert list(found)[:6] == ["before-5", "before-2", "before-1", "due-0", "overdue-1", "overdue-3"]
    assert found["before-5"] == D(2026, 8, 22)  # the swapped working Saturday
    assert found["overdue-1"] == D(2026, 9, 3)
    assert len(found) == 3 + 1 + 10


def test_each_threshold_is_current_until_the_next_one_and_never_sent_stale():
    items = schedule(D(2026, 8, 28))
    assert items[0].fire_at == at(2026, 8, 22, 8)
    assert all(t.expires_at == n.fire_at for t, n in itertools.pairwise(items))
    assert thresholds.due_now(items, moment=at(2026, 8, 27, 7), sent=(), armed_from=None).code == "before-2"
    assert thresholds.due_now(items, moment=at(2026, 8, 27, 8), sent=(), armed_from=None).code == "before-1"
    assert thresholds.due_now(items, moment=at(2026, 8, 27, 8), sent={"before-1"}, armed_from=None) is None
    assert thresholds.due_now(items, moment=at(2026, 12, 31), sent=(), armed_from=None) is None


def test_thresholds_passed_before_the_task_existed_do_not_count():
    items = schedule(D(2026, 8, 28))
    created = at(2026, 8, 26, 10)
    assert thresholds.due_now(items, moment=at(2026, 8, 26, 11), sent=(), armed_from=created) is None
    assert thresholds.first_pending(items, sent=(), armed_from=created).code == "before-1"
    assert (
        thresholds.next_after(items, moment=at(2026, 8, 27, 9), sent={"before-1"}, armed_from=created).code == "due-0"
    )


@override_settings(
    DEADLINES_REMINDER_DAYS=(3,),
    DEADLINES_REMIND_ON_DUE_DAY=False,
    DEADLINES_OVERDUE_REMINDERS=2,
    DEADLINES_OVERDUE_EVERY_DAYS=5,
    DEADLINES_REMINDER_HOUR=7,
)
def test_thresholds_are_settings():
    items = schedule(D(2026, 8, 28))
    assert [t.code for t in items] == ["before-3", "overdue-1", "overdue-6"]
    assert items[0].fire_at == at(2026, 8, 25, 7)


def test_the_deadline_moment_is_the_last_second_of_the_day_in_vietnam():
    assert thresholds.end_of_day(D(2026, 8, 28)) == at(2026, 8, 28, 23, 59).replace(second=59)
    assert thresholds.due_day(thresholds.end_of_day(D(2026, 8, 28))) == D(2026, 8, 28)

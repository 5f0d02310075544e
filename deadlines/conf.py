"""The deadline settings, each with its default, read at call time (so ``override_settings``
works in tests and nothing is frozen at import).

The project's settings module may set any of these (``DEADLINES_…``); deploy/env.example
documents them. The defaults follow the domain brief and are configuration, never law.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Python weekday numbers (Monday = 0) of the weekly days off.
WEEKEND_DAYS: tuple[int, ...] = (5, 6)
# "trước ngày X" means strictly before X (the last day is X - 1); False reads it as "by X".
BEFORE_IS_STRICT = True
# Where a fixed-date deadline goes when its last day is a day off: "previous" working day (keeps
# "before X" true), "next" working day (the Civil Code's rule for periods), or "stay".
DAY_OFF_RULE = "previous"
DAY_OFF_RULES = ("previous", "next", "stay")
# Reminders, in working days before the due day, then one on the due day itself.
REMINDER_DAYS: tuple[int, ...] = (5, 2, 1)
REMIND_ON_DUE_DAY = True
# While overdue: a reminder every N working days, at most this many, then silence (the dashboard
# still shows the unit late); a task already overdue beyond that when it is created gets none.
OVERDUE_EVERY_DAYS = 2
OVERDUE_REMINDERS = 10
# Escalation with the first overdue reminder at least this many working days late.
ESCALATE_HEAD_AFTER_DAYS = 1
ESCALATE_PARENT_AFTER_DAYS = 3
# Local hour (Asia/Ho_Chi_Minh) at which a reminder day's reminders become due.
REMINDER_HOUR = 8
# Dashboard: not yet submitted with fewer working days left than this is "at risk".
AT_RISK_DAYS = 3
# A task created by someone else's late action (a review after a late submission, a plan
# returned for revision) gets at least this many working days from its creation.
MIN_DAYS_TO_ACT = 2
RETURN_GRACE_DAYS = 5
# Sweep: rows claimed per transaction, batches per run, back-off of a row whose firing failed.
# A batch costs about ten statements whatever its size; at 1,000 rows (about 0.2 s) it fired
# 10,000 reminders some 7 % faster than at 500 (bench/sweep.py), its locks held no longer than
# an officer would notice (only a deadline extension of the same task waits for them).
SWEEP_BATCH = 1000
SWEEP_MAX_BATCHES = 50
# Batches fired at once, each on a database connection of its own (outside a transaction, on
# PostgreSQL: SKIP LOCKED hands each its own timers). Two keep both halves of the work busy at
# once, the Python and the database's; more only contend for the interpreter's lock.
SWEEP_WORKERS = 2
RETRY_MINUTES = 10


def _get(name: str, default):
    return getattr(settings, f"DEADLINES_{name}", default)


def weekend_days() -> frozenset[int]:
    return frozenset(int(d) for d in _get("WEEKEND_DAYS", WEEKEND_DAYS))


def before_is_strict() -> bool:
    return bool(_get("BEFORE_IS_STRICT", BEFORE_IS_STRICT))


def day_off_rule() -> str:
    rule = _get("DAY_OFF_RULE", DAY_OFF_RULE)
    if rule not in DAY_OFF_RULES:
        raise ImproperlyConfigured(f"DEADLINES_DAY_OFF_RULE must be one of {DAY_OFF_RULES}, not {rule!r}")
    return rule


def reminder_days() -> tuple[int, ...]:
    return tuple(sorted({int(d) for d in _get("REMINDER_DAYS", REMINDER_DAYS) if int(d) > 0}, reverse=True))


def remind_on_due_day() -> bool:
    return bool(_get("REMIND_ON_DUE_DAY", REMIND_ON_DUE_DAY))


def overdue_every_days() -> int:
    return max(1, int(_get("OVERDUE_EVERY_DAYS", OVERDUE_EVERY_DAYS)))


def overdue_reminders() -> int:
    return max(0, int(_get("OVERDUE_REMINDERS", OVERDUE_REMINDERS)))


def escalate_head_after_days() -> int:
    return max(1, int(_get("ESCALATE_HEAD_AFTER_DAYS", ESCALATE_HEAD_AFTER_DAYS)))


def escalate_parent_after_days() -> int:
    return max(1, int(_get("ESCALATE_PARENT_AFTER_DAYS", ESCALATE_PARENT_AFTER_DAYS)))


def reminder_hour() -> int:
    hour = int(_get("REMINDER_HOUR", REMINDER_HOUR))
    if not 0 <= hour <= 23:
        raise ImproperlyConfigured("DEADLINES_REMINDER_HOUR must be 0-23")
    return hour


def at_risk_days() -> int:
    return max(0, int(_get("AT_RISK_DAYS", AT_RISK_DAYS)))


def min_days_to_act() -> int:
    return max(0, int(_get("MIN_DAYS_TO_ACT", MIN_DAYS_TO_ACT)))


def return_grace_days() -> int:
    return max(0, int(_get("RETURN_GRACE_DAYS", RETURN_GRACE_DAYS)))


def sweep_batch() -> int:
    return max(1, int(_get("SWEEP_BATCH", SWEEP_BATCH)))


def sweep_max_batches() -> int:
    return max(1, int(_get("SWEEP_MAX_BATCHES", SWEEP_MAX_BATCHES)))


def sweep_workers() -> int:
    return max(1, int(_get("SWEEP_WORKERS", SWEEP_WORKERS)))


def retry_minutes() -> int:
    return max(1, int(_get("RETRY_MINUTES", RETRY_MINUTES)))

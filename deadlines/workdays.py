"""Working days in Vietnam: which days count, and arithmetic over them.

A day is a working day unless it is a weekly day off (``DEADLINES_WEEKEND_DAYS``) or a public
holiday. Public holidays, including the lunar ones (Tết, Hùng Kings' day on lunar 10/3) and the
government's announced swaps (a day off moved next to a holiday, made up by a working
Saturday), come from the ``holidays`` package; an administrator adds what the package does not
know yet (``CalendarDay`` rows: extra days off, swapped working Saturdays), and those rows win.

``WorkingCalendar`` is built once per operation (one query for the administrator's rows) and is
pure Python afterwards, so a sweep or a dashboard computes hundreds of dates without queries.
``load()`` reads those rows when a day is first asked about, so a caller that reads other rows
first can bring them in the same statement (``deadlines.selectors.deadline_of``: a new task's
due date costs one query for the calendar, the extension and the province's milestones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import holidays

from deadlines import conf

# Far enough for any offset in the calendar data (a few months); a guard against a loop that
# never finds a working day because of a bad administrator row.
_MAX_SCAN_DAYS = 3660


@lru_cache(maxsize=64)
def _national_year(year: int) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    """(public holidays with their Vietnamese names, swapped working weekend days) of one year."""
    calendar = holidays.country_holidays("VN", years=year, language="vi")
    days_off = {day: str(name) for day, name in calendar.items() if day.year == year}
    working = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return days_off, working


@dataclass
class WorkingCalendar:
    """Vietnam's working days with the administrator's additions (``extra_*``: date → name)."""

    extra_days_off: dict[dt.date, str] = field(default_factory=dict)
    extra_working_days: dict[dt.date, str] = field(default_factory=dict)
    weekend: frozenset[int] = field(default_factory=conf.weekend_days)
    # Results derived from this calendar (reminder schedules per due day), kept for its lifetime:
    # a sweep's thousands of tasks share a handful of due days.
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    # From ``load()``: the ``CalendarDay`` rows are still to be read (``read_rows`` or ``add_rows``).
    unread: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def load(cls) -> WorkingCalendar:
        """The calendar with every ``CalendarDay`` row (a handful per year: one query, when a
        day is first asked about unless ``add_rows`` brought them first)."""
        return cls(unread=True)

    def read_rows(self) -> None:
        """Read the ``CalendarDay`` rows now, if they are still to be read."""
        if self.unread:
            from deadlines.models import CalendarDay

            self.add_rows(CalendarDay.objects.values_list("date", "kind", "name"))

    def add_rows(self, rows: Iterable[tuple[dt.date, str, str]]) -> None:
        """The ``CalendarDay`` rows (date, kind, name), every one of them, read by the caller."""
        from deadlines.models import CalendarDay

        for day, kind, name in rows:
            (self.extra_working_days if kind == CalendarDay.Kind.WORKING_DAY else self.extra_days_off)[day] = name
        self.unread = False

    # --- what a day is ---------------------------------------------------------------------

    def day_off_reason(self, day: dt.date) -> str | None:
        """Why ``day`` is not a working day (holiday name, "weekend"), or None if it is one."""
        self.read_rows()
        if day in self.extra_working_days:
            return None
        if day in self.extra_days_off:
            return self.extra_days_off[day] or "day off"
        holidays_of_year, swapped_working = _national_year(day.year)
        if day in holidays_of_year:
            return holidays_of_year[day]
        if day in swapped_working:
            return None
        if day.weekday() in self.weekend:
            return "weekend"
        return None

    def is_working_day(self, day: dt.date) -> bool:
        return self.day_off_reason(day) is None

    # --- arithmetic ------------------------------------------------------------------------

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (before it when n < 0), not counting ``day`` itself.

        n == 0 returns ``day`` unchanged, working day or not.
        """
        step = 1 if n > 0 else -1
        remaining = abs(n)
        current = day
        scanned = 0
        while remaining:
            current += dt.timedelta(days=step)
            scanned += 1
            if scanned > _MAX_SCAN_DAYS:
                raise ValueError(f"no {abs(n)} working days within ten years of {day}")
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``.

        "Days left" from today to a due day, and "days late" from a due day to today.
        """
        if end == start:
            return 0
        sign = 1 if end > start else -1
        low, high = (start, end) if sign > 0 else (end, start)
        count = sum(1 for day in _days(low + dt.timedelta(days=1), high) if self.is_working_day(day))
        return sign * count

    def previous_working_day(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the last one before it."""
        return day if self.is_working_day(day) else self.add_working_days(day, -1)

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the first one after it."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)

    def on_day_off(self, day: dt.date, rule: str | None = None) -> dt.date:
        """Apply the day-off rule (``DEADLINES_DAY_OFF_RULE`` unless given) to a last day."""
        rule = rule or conf.day_off_rule()
        if rule == "previous":
            return self.previous_working_day(day)
        if rule == "next":
            return self.next_working_day(day)
        return day

    def last_day(self, written: dt.date, *, rule: str = "before") -> dt.date:
        """The last day to act for a deadline written as "trước ngày X" (``before``) or "đến
        ngày X" (``by``): strictly before X when ``DEADLINES_BEFORE_IS_STRICT``, then moved off a
        day off by ``DEADLINES_DAY_OFF_RULE``."""
        if rule not in ("before", "by"):
            raise ValueError(f"unknown deadline rule {rule!r}")
        day = written - dt.timedelta(days=1) if rule == "before" and conf.before_is_strict() else written
        return self.on_day_off(day)

    def days_off_in(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """Every day off in [start, end] with its reason (for the calendar page)."""
        return [(day, reason) for day in _days(start, end) if (reason := self.day_off_reason(day)) is not None]


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)

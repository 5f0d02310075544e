"""Working days: weekends, lunar holidays, swapped days, the administrator's additions, and the
"trước ngày X" rule with a deadline falling on a day off."""

import datetime as dt

import pytest
from django.test import override_settings

from deadlines.models import CalendarDay
from deadlines.workdays import WorkingCalendar

D = dt.date


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_tet_2027_is_one_block_of_days_off(calendar):
    # Tết Đinh Mùi falls on Saturday 6 February 2027: Thursday 4/2 to Wednesday 10/2 are off.
    block = [D(2027, 2, day) for day in range(4, 11)]
    assert [calendar.is_working_day(day) for day in block] == [False] * 7
    assert calendar.is_working_day(D(2027, 2, 3))
    assert calendar.is_working_day(D(2027, 2, 11))
    assert calendar.day_off_reason(D(2027, 2, 6)) == "Tết Nguyên Đán"


def test_working_days_are_counted_across_the_tet_holiday_block(calendar):
    # Five working days after Thursday 28/1/2027: 29/1, 1/2, 2/2, 3/2, then Tết, then 11/2.
    assert calendar.add_working_days(D(2027, 1, 28), 5) == D(2027, 2, 11)
    assert calendar.add_working_days(D(2027, 2, 11), -1) == D(2027, 2, 3)
    assert calendar.working_days_between(D(2027, 2, 3), D(2027, 2, 11)) == 1
    assert calendar.working_days_between(D(2027, 2, 11), D(2027, 2, 3)) == -1
    assert calendar.working_days_between(D(2027, 1, 28), D(2027, 2, 11)) == 5


def test_hung_kings_day_follows_the_lunar_calendar(calendar):
    # Lunar 10/3: Sunday 26/4/2026 (made up on Monday 27/4), Friday 16/4/2027.
    assert not calendar.is_working_day(D(2026, 4, 26))
    assert not calendar.is_working_day(D(2026, 4, 27))
    assert not calendar.is_working_day(D(2027, 4, 16))
    assert calendar.is_working_day(D(2027, 4, 15))


def test_a_saturday_swapped_into_a_working_day_counts(calendar):
    # 2026: Monday 31/8 is off next to National Day (1-2/9), made up on Saturday 22/8.
    assert calendar.is_working_day(D(2026, 8, 22))
    assert not calendar.is_working_day(D(2026, 8, 31))
    assert not calendar.is_working_day(D(2026, 8, 29))  # an ordinary Saturday
    assert calendar.add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 3)
    assert calendar.add_working_days(D(2026, 8, 24), -1) == D(2026, 8, 22)


def test_days_an_administrator_enters_win_over_the_library(db, admin_user):
    CalendarDay.objects.create(date=D(2026, 12, 31), kind=CalendarDay.Kind.DAY_OFF, name="Nghỉ thêm")
    CalendarDay.objects.create(date=D(2026, 12, 26), kind=CalendarDay.Kind.WORKING_DAY, name="Làm bù")
    calendar = WorkingCalendar.load()
    assert not calendar.is_working_day(D(2026, 12, 31))
    assert calendar.day_off_reason(D(2026, 12, 31)) == "Nghỉ thêm"
    assert calendar.is_working_day(D(2026, 12, 26))  # a Saturday


@override_settings(DEADLINES_WEEKEND_DAYS=(6,))
def test_the_weekend_is_a_setting():
    calendar = WorkingCalendar()
    assert calendar.is_working_day(D(2026, 8, 29))  # Saturday
    assert not calendar.is_working_day(D(2026, 8, 30))  # Sunday


def test_before_a_day_means_strictly_before_it(calendar):
    # Seed 004 (2019): before 15/8 (Thursday) → Wednesday 14/8 is the last day.
    assert calendar.last_day(D(2019, 8, 15)) == D(2019, 8, 14)
    assert calendar.last_day(D(2019, 8, 15), rule="by") == D(2019, 8, 15)
    with override_settings(DEADLINES_BEFORE_IS_STRICT=False):
        assert calendar.last_day(D(2019, 8, 15)) == D(2019, 8, 15)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("previous", D(2026, 8, 28)),  # Friday: "before 30/8" stays true
        ("next", D(2026, 9, 3)),  # Monday 31/8 and 1-2/9 are off too
        ("stay", D(2026, 8, 29)),  # the Saturday itself
    ],
)
def test_a_last_day_on_a_weekend_moves_as_the_setting_says(rule, expected):
    # "Trước ngày 30/8/2026": the last day would be Saturday 29/8.
    with override_settings(DEADLINES_DAY_OFF_RULE=rule):
        assert WorkingCalendar().last_day(D(2026, 8, 30)) == expected


def test_an_unknown_day_off_rule_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(DEADLINES_DAY_OFF_RULE="sideways"), pytest.raises(ImproperlyConfigured):
        WorkingCalendar().last_day(D(2026, 8, 30))

"""The demo clock command and the demo loader of the 2026 household-review cycle."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from deadlines import clock, services
from deadlines import demo as deadlines_demo
from deadlines.models import ClockOffset, ReminderLedgerEntry
from planning.models import Plan, ProgrammePeriod
from tests.deadlines.conftest import at
from workflows.models import WorkItem


def run(*args: str) -> str:
    out = StringIO()
    call_command("cycle_clock", *args, stdout=out)
    return out.getvalue()


def test_cycle_clock_sets_shows_and_resets_the_applications_now(db, time_machine):
    time_machine.move_to(at(2026, 11, 23, 10), tick=False)
    output = run("set", "2026-08-28")
    assert "now: 2026-08-28 09:00" in output
    assert clock.today() == dt.date(2026, 8, 28)
    assert "now: 2026-08-28 14:30" in run("set", "28/08/2026", "--time", "14:30")
    assert "offset" in run("show")
    run("reset")
    assert clock.now() == at(2026, 11, 23, 10)
    assert not ClockOffset.objects.exists()


def test_cycle_clock_refuses_bad_dates(db):
    with pytest.raises(CommandError):
        run("set", "30/02/2026")


@override_settings(PRODUCTION=True)
def test_the_clock_cannot_move_under_production_settings(db):
    with pytest.raises(CommandError, match="production"):
        run("set", "2026-08-28")
    with pytest.raises(services.ClockRefused):
        services.clock_set(actor="test", when=at(2026, 8, 28))
    # Even a stray row is ignored in production.
    ClockOffset.objects.create(offset=dt.timedelta(days=-90))
    assert clock.offset() == dt.timedelta(0)


def test_the_demo_loader_creates_the_2026_cycle_once(demo, time_machine):
    time_machine.move_to(at(2026, 8, 10), tick=False)
    first = deadlines_demo.load()
    second = deadlines_demo.load()
    assert [p.pk for p in first] == [p.pk for p in second]
    assert ProgrammePeriod.objects.get(code="2026-2030").items.filter(budgetable=True).exists()
    plans = Plan.objects.filter(cycle__year=2026, plan_type="household_review")
    assert plans.count() == 7  # two-tier Lai Châu and its six staffed communes
    assert plans.filter(unit__tier="commune", parent__unit__tier="province").count() == 6
    assert WorkItem.objects.filter(plan__in=plans, is_open=True).count() == 7


def test_setting_the_demo_clock_to_28_august_makes_reminders_fire(demo):
    """What a person running the demo sees: plans loaded today (the real date, no time-machine),
    the scheduler's sweeps on the database clock, then the clock set back to 28/8/2026."""
    deadlines_demo.load()
    services.sweep()  # the scheduler's first run: these tasks are brand new
    assert not ReminderLedgerEntry.objects.exists()
    run("set", "2026-08-28", "--time", "12:00")
    counts = services.sweep()  # the database clock plus the offset
    assert counts["reminders"] == 7
    assert ReminderLedgerEntry.objects.filter(threshold="due-0").count() == 6
    assert ReminderLedgerEntry.objects.filter(threshold="escalate-parent").count() == 1

"""``manage.py cycle_clock set 2026-08-28 | reset | show``: the demo's clock for deadlines.

Moves the application's "now" (stored as an offset in the database, so the web server and the
scheduler share it). Refused under production settings.
"""

from __future__ import annotations

import datetime as dt
import getpass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from deadlines import clock, services
from deadlines.models import DeadlineTimer

# A day given without a time starts after the reminder hour, so that day's reminders are due.
DEFAULT_TIME = dt.time(9, 0)


class Command(BaseCommand):
    help = "Show or move the application's clock for deadlines and reminders (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        setter = sub.add_parser("set", help="Set now to DATE (YYYY-MM-DD or DD/MM/YYYY), at 09:00 unless --time.")
        setter.add_argument("date")
        setter.add_argument("--time", default="", help="HH:MM, local time (Asia/Ho_Chi_Minh).")
        sub.add_parser("reset", help="Back to the real time.")
        sub.add_parser("show", help="Print the application's now and the next reminders due.")

    def handle(self, *args, action: str, **options) -> None:
        if action != "show" and settings.PRODUCTION:
            raise CommandError("cycle_clock is refused under production settings (APP_MODE=production).")
        actor = f"{getpass.getuser()} (manage.py cycle_clock)"
        try:
            if action == "set":
                when = _parse(options["date"], options["time"])
                result = services.clock_set(actor=actor, when=when)
                self._report(result)
            elif action == "reset":
                self._report(services.clock_reset(actor=actor))
        except services.ClockRefused as exc:
            raise CommandError(str(exc)) from None
        self._show()

    def _report(self, result: dict[str, int]) -> None:
        if result.get("forgotten") or result.get("rearmed"):
            self.stdout.write(
                f"rewound: {result['forgotten']} reminder(s) after the new time forgotten, "
                f"{result['rearmed']} timer(s) re-armed"
            )

    def _show(self) -> None:
        now = timezone.localtime(clock.now())
        self.stdout.write(f"now: {now:%Y-%m-%d %H:%M} ({now:%d/%m/%Y})  offset: {clock.offset()}")
        self.stdout.write(f"real time: {timezone.localtime():%Y-%m-%d %H:%M}")
        due = DeadlineTimer.objects.filter(next_fire_at__lte=clock.now()).count()
        upcoming = (
            DeadlineTimer.objects.filter(next_fire_at__gt=clock.now())
            .order_by("next_fire_at")
            .values_list("next_fire_at", "next_threshold")[:5]
        )
        self.stdout.write(f"reminders due now: {due}")
        for fire_at, code in upcoming:
            self.stdout.write(f"  next: {timezone.localtime(fire_at):%Y-%m-%d %H:%M} {code}")


def _parse(date_text: str, time_text: str) -> dt.datetime:
    try:
        if "/" in date_text:
            day, month, year = (int(p) for p in date_text.split("/"))
            date = dt.date(year, month, day)
        else:
            date = dt.date.fromisoformat(date_text)
        time = dt.time.fromisoformat(time_text) if time_text else DEFAULT_TIME
    except ValueError as exc:
        raise CommandError(f"cannot read {date_text!r} {time_text!r}: {exc}") from None
    return timezone.make_aware(dt.datetime.combine(date, time), timezone.get_default_timezone())

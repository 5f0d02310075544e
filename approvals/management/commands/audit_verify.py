"""``manage.py audit_verify [--plan ID …]``: walk the audit chains and name the first broken link.

Reads every event of every plan (or of the plans given) in (plan, id) order, recomputes each
hash (``approvals.chain``) and checks each link. Prints one line per broken chain — the plan,
the first event that does not verify, and why — and exits with status 1 if any is broken, 0
otherwise. Read-only; safe to run on a live system (one streaming query).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from approvals import chain
from approvals.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the tamper-evident audit chains; exit 1 naming the first broken link of each broken chain."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--plan", type=int, action="append", dest="plans", help="only this plan (repeatable)")

    def handle(self, *args, plans: list[int] | None = None, **options) -> None:
        events = AuditEvent.objects.order_by("plan_id", "id")
        if plans:
            events = events.filter(plan_id__in=plans)
        counted = {"events": 0, "plans": 0}

        def rows():
            last_plan = None
            for row in events.values(*chain.VERIFY_FIELDS).iterator(chunk_size=5000):
                counted["events"] += 1
                if row["plan_id"] != last_plan:
                    counted["plans"] += 1
                    last_plan = row["plan_id"]
                yield row

        breaks = list(chain.first_breaks(rows()))
        for found in breaks:
            self.stderr.write(f"BROKEN {found}")
        summary = f"{counted['events']} audit events in {counted['plans']} plans checked"
        if breaks:
            raise CommandError(f"{summary}: {len(breaks)} broken chain(s), first at {breaks[0]}", returncode=1)
        self.stdout.write(f"{summary}: every chain verifies")

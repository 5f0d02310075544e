import time

from django.core.management.base import BaseCommand, CommandError

from directory import services, unitdata


class Command(BaseCommand):
    help = (
        "Move the two-tier units of an installation loaded from a superseded vietnam-provinces release "
        "(--from 2025.10.1, the July-2025 draft list) to the official codes, and their names to the official "
        "names. Same rows, new codes: plans, tasks, audit rows and permissions stay attached. Idempotent: "
        "prints every change, and 'codes changed: 0' when there is nothing left to do."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="release",
            required=True,
            choices=list(unitdata.OLD_TWO_TIER_RELEASES),
            help="The release the two-tier units were loaded from.",
        )

    def handle(self, *args, release, **options):
        started = time.monotonic()
        try:
            result = services.units_rekey(release=release)
        except services.UnitCodesOutdated as exc:
            raise CommandError(str(exc)) from exc
        for old, new, name in result.moved:
            self.stdout.write(f"code {old} -> {new}  {name}")
        for code, before, after in result.renamed:
            self.stdout.write(f"name {code}  {before!r} -> {after!r}")
        for code, name in result.unknown:
            self.stderr.write(f"left alone (in neither the {release} nor the official list): {code} {name}")
        if result.successions is not None:
            self.stderr.write(f"conversion links: {result.successions.counts}")
        self.stderr.write(f"in {time.monotonic() - started:.1f}s")
        self.stdout.write(
            f"codes changed: {len(result.moved)}, names changed: {len(result.renamed)}, "
            f"agency groups renamed: {result.groups_renamed}"
        )

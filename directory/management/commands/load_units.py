import time

from django.core.management.base import BaseCommand, CommandError

from directory import services, unitdata
from directory.models import AdministrativeUnit, Structure


class Command(BaseCommand):
    help = "Load Vietnam's administrative units: 'three-tier' (to 30/6/2025) or 'two-tier' (from 1/7/2025)."

    def add_arguments(self, parser):
        parser.add_argument("structure", choices=[Structure.THREE_TIER, Structure.TWO_TIER])
        parser.add_argument("--province", help="Load one province (official code, e.g. 12) with its units.")
        parser.add_argument(
            "--with-agencies",
            action="store_true",
            help="Also create each unit's standard agencies with their permission groups.",
        )

    def handle(self, *args, structure, province=None, with_agencies=False, **options):
        started = time.monotonic()
        source = unitdata.three_tier_records if structure == Structure.THREE_TIER else unitdata.two_tier_records
        records = list(source(province=province))
        if not records:
            raise CommandError(f"No province with code {province!r} in the {structure} structure.")
        result = services.units_load(structure=structure, records=records)
        if with_agencies:
            units = AdministrativeUnit.objects.filter(structure=structure, code__in=[r.code for r in records])
            created = services.agencies_ensure_standard(units=list(units))
            created += services.agencies_ensure_standard(units=[services.nation_ensure()])
            self.stderr.write(f"agencies created: {created}")
        self.stderr.write(
            f"units created: {result.created}, updated: {result.updated} in {time.monotonic() - started:.1f}s"
        )
        self.stdout.write(" ".join(f"{label}={count}" for label, count in result.counts.items()))

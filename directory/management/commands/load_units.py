import time

from django.core.management.base import BaseCommand, CommandError

from directory import services, unitdata
from directory.models import AdministrativeUnit, Structure

CONVERSION = "conversion"


class Command(BaseCommand):
    help = (
        "Load Vietnam's administrative units: 'three-tier' (to 30/6/2025) or 'two-tier' (from 1/7/2025, "
        "official codes of the installed vietnam-provinces). After either, when both structures have communes, "
        "the 1/7/2025 conversion (old commune -> new commune(s), old province -> new province) is linked too; "
        "'conversion' links only that. Prints the counts stored, e.g. 'provinces=34 communes=3321'."
    )

    def add_arguments(self, parser):
        parser.add_argument("structure", choices=[Structure.THREE_TIER, Structure.TWO_TIER, CONVERSION])
        parser.add_argument("--province", help="Load one province (official code, e.g. 12) with its units.")
        parser.add_argument(
            "--with-agencies",
            action="store_true",
            help="Also create each unit's standard agencies with their permission groups.",
        )
        parser.add_argument(
            "--codes",
            default=unitdata.OFFICIAL,
            choices=[unitdata.OFFICIAL, *unitdata.OLD_TWO_TIER_RELEASES],
            help=(
                "two-tier only: 'official' (default), or a superseded vietnam-provinces release whose draft codes "
                "an old installation holds (2025.10.1), to reproduce one for testing 'rekey_units'. The conversion "
                "is not linked to such codes."
            ),
        )

    def handle(self, *args, structure, province=None, with_agencies=False, codes=unitdata.OFFICIAL, **options):
        started = time.monotonic()
        if structure == CONVERSION:
            if province or with_agencies or codes != unitdata.OFFICIAL:
                raise CommandError("'conversion' takes no --province, --with-agencies or --codes.")
            result = self._link(required=True)
            self.stdout.write(" ".join(f"{label}={count}" for label, count in result.counts.items()))
            return
        if codes != unitdata.OFFICIAL and structure != Structure.TWO_TIER:
            raise CommandError("--codes applies to the two-tier structure only.")
        if structure == Structure.THREE_TIER:
            records = list(unitdata.three_tier_records(province=province))
        else:
            records = list(unitdata.two_tier_records(province=province, codes=codes))
            if codes == unitdata.OFFICIAL:
                self._refuse_outdated()
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
        if codes == unitdata.OFFICIAL:
            self._link(required=False)
        else:
            self.stderr.write(f"conversion not linked: two-tier units carry vietnam-provinces {codes} codes")
        self.stdout.write(" ".join(f"{label}={count}" for label, count in result.counts.items()))

    def _refuse_outdated(self) -> None:
        try:
            services.two_tier_codes_check()
        except services.UnitCodesOutdated as exc:
            raise CommandError(str(exc)) from exc

    def _link(self, *, required: bool) -> services.SuccessionLoadResult | None:
        if not services.unit_successions_loadable():
            if required:
                raise CommandError("Load the communes of both structures first (three-tier and two-tier).")
            return None
        started = time.monotonic()
        try:
            result = services.unit_successions_load()
        except services.UnitCodesOutdated as exc:
            if required:
                raise CommandError(str(exc)) from exc
            self.stderr.write(f"conversion not linked: {exc}")
            return None
        self.stderr.write(
            f"conversion links: {result.counts['communes']} commune and {result.counts['provinces']} province "
            f"(created {result.created}, updated {result.updated}, deleted {result.deleted}, "
            f"{result.skipped} pairs without both units loaded) in {time.monotonic() - started:.1f}s"
        )
        return result

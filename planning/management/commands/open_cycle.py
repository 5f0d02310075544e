from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from directory.models import Structure
from planning import services


class Command(BaseCommand):
    help = (
        "Open the planning cycle of a year (e.g. 2027) in a structure; refused when the year's "
        "programme period has no catalogue or funding sources loaded (run load_catalogue first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--structure", default=Structure.TWO_TIER, choices=[Structure.TWO_TIER, Structure.THREE_TIER]
        )

    def handle(self, *args, year, structure, **options):
        try:
            cycle = services.cycle_ensure(year=year, structure=structure)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"cycle={cycle.pk} year={cycle.year} period={cycle.period.code} structure={cycle.structure}")

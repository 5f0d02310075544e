from django.core.management.base import BaseCommand

from planning import services


class Command(BaseCommand):
    help = "Load every programme period's catalogue and the provinces' local labels from planning/data/."

    def handle(self, *args, **options):
        periods = services.catalogue_load_all()
        labels = services.local_labels_load_all()
        self.stdout.write(f"periods={len(periods)} local_labels={labels}")

from django.core.management.base import BaseCommand

from demo.loader import load_all
from directory import demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent). Refused unless APP_MODE=demo."

    def handle(self, *args, **options):
        accounts = load_all()
        # Issued documents: the demo CA (its signers' certificates come on first signing) and
        # demo exchange codes of the agencies.
        from documents import demo as documents_demo

        documents_demo.load(certificates=False)
        self.stdout.write(f"demo loaded: {len(accounts)} accounts; password: {demo.DEMO_PASSWORD}")

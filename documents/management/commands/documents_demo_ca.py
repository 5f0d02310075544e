from django.core.management.base import BaseCommand, CommandError

from documents import demo, pki


class Command(BaseCommand):
    help = (
        "Create the demo CA (var/demo-pki), a DEMO certificate for every signing head and demo "
        "exchange codes for the agencies (idempotent). Refused unless APP_MODE=demo."
    )

    def add_arguments(self, parser):
        parser.add_argument("--root-only", action="store_true", help="only the root and the exchange codes")

    def handle(self, *args, **options):
        try:
            counts = demo.load(certificates=not options["root_only"])
        except pki.ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"demo CA at {pki.pki_dir()}: {counts['signers']} signer certificates, {counts['codes']} new exchange codes"
        )

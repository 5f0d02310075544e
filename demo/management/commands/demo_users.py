import json as jsonlib

from django.core.management.base import BaseCommand

from directory import demo


class Command(BaseCommand):
    help = "List the demo accounts (username, password, role, agency, unit code)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print a JSON list.")

    def handle(self, *args, **options):
        rows = demo.accounts_as_dicts()
        if options["json"]:
            self.stdout.write(_dumps(rows))
            return
        width = max((len(r["username"]) for r in rows), default=10)
        for r in rows:
            self.stdout.write(f"{r['username']:<{width}}  {r['role']:<18} {r['unit_code']:<6} {r['agency']}")
        self.stdout.write(f"password (every account): {demo.DEMO_PASSWORD}")


def _dumps(rows) -> str:
    return jsonlib.dumps(rows, ensure_ascii=False, indent=2)

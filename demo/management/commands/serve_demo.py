import os
import threading

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.schedule import run_loop
from demo import cycle_2027
from directory import demo


class Command(BaseCommand):
    help = "Serve the app over ASGI (HTTP and websockets) with the in-process scheduler (demo mode)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-scheduler", action="store_true", help="Leave scheduled jobs to Celery beat.")

    def handle(self, *args, host, port, no_scheduler, **options):
        if not settings.DEMO:
            raise CommandError("serve_demo is for APP_MODE=demo; production runs uvicorn, celery worker and beat.")
        stop = threading.Event()
        if not no_scheduler:
            threading.Thread(target=run_loop, args=(stop,), name="scheduler", daemon=True).start()
        url = f"http://{host}:{port}/"
        if "SITE_URL" not in os.environ:
            # The links in the demo's e-mails lead to this server, whatever port it was given.
            settings.SITE_URL = url.rstrip("/")
        self.stdout.write(self.style.SUCCESS(f"\nCTMTQG giảm nghèo bền vững — demo at {url}"))
        self.stdout.write(f"Accounts ({demo.DEMO_PASSWORD} for all; full list: make demo-users):")
        successor = cycle_2027.sin_suoi_ho_successor()  # Sin Suối Hồ's two-tier commune (the 2027 cycle)
        for account in demo.accounts():
            if (
                account.unit_code in {"", demo.PROVINCE, demo.DISTRICT, "VN"}
                or account.username.endswith(("c03592-ubnd-drafter", "c03592-ubnd-head"))
                or (successor and account.structure == successor.structure and account.unit_code == successor.code)
            ):
                self.stdout.write(f"  {account.username:<34} {account.role:<18} {account.agency}")
        self.stdout.write(
            f"{cycle_2027.YEAR} cycle of two-tier Lai Châu, as on {cycle_2027.AS_OF:%d/%m/%Y} (illustrative figures): "
            "the province plan waits at the People's Council step."
        )
        self.stdout.write("Scheduler: " + ("off" if no_scheduler else f"every {settings.SCHEDULER_INTERVAL_SECONDS}s"))
        try:
            uvicorn.run("config.asgi:application", host=host, port=port, log_level="info", lifespan="off")
        finally:
            stop.set()

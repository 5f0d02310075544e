"""The Celery application. Beat's schedule is built from config.schedule, the same list the
demo server's scheduler loop runs, so both modes run the same jobs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ntp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **kwargs: object) -> None:
    from config.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()

"""One timed deadline sweep, in a process of its own on a copy of the bench database.

Run by ``bench.run`` as ``python -m bench.sweep DUE`` with ``BENCH_DATABASE_URL`` naming the
copy (``CREATE DATABASE … TEMPLATE``: the bench database itself is never changed). It prints
one JSON line: ``{"due", "seconds", "armed_before", "workers", "outcome"}``.

As production runs it: every statement commits (each batch is its own transaction, foreign
keys checked at commit), and with ``DEADLINES_SWEEP_WORKERS`` above 1 the batches are fired in
that many threads on their own connections, which only a committed database allows (they
cannot see another connection's uncommitted rows). Setting up (not timed): open items get a due
date 60 days ahead, except ``DUE`` of them which were due yesterday; a first sweep at a moment
30 days back arms every timer without firing any, as the minute sweeps of a live system would
have; the task page's URL is reversed once (a worker that has swept before has its URL table).
The after-commit hand-over to Celery goes to the bench's Redis, which the runner empties after.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

from bench.common import setup_django


def main(due: int) -> dict[str, object]:
    setup_django(redis=True)
    from django.conf import settings
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from deadlines import services as deadlines
    from workflows.models import WorkItem

    now = timezone.now()
    open_ids = list(WorkItem.objects.filter(is_open=True).order_by("pk").values_list("pk", flat=True))
    due = min(due, len(open_ids))
    chosen = open_ids[:: max(1, len(open_ids) // due)][:due] if due else []
    WorkItem.objects.filter(is_open=True).update(due_at=now + dt.timedelta(days=60))
    WorkItem.objects.filter(pk__in=chosen).update(due_at=now - dt.timedelta(days=1))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) workflows_workitem")  # after the UPDATE of every open item
    armed = 0
    while outcome := deadlines.sweep(now=now - dt.timedelta(days=30)):
        armed += outcome["armed"]
        if not outcome["armed"]:
            break
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) deadlines_deadlinetimer")
    reverse("workflows:plan-task", args=[1])
    started = time.perf_counter()
    outcome = deadlines.sweep(now=now)
    seconds = time.perf_counter() - started
    return {
        "due": due,
        "seconds": round(seconds, 3),
        "armed_before": armed,
        "workers": settings.DEADLINES_SWEEP_WORKERS,
        "outcome": outcome,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))), flush=True)

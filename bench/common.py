"""What the generator and the runner share: where the benchmark's data lives, its scales, and
how a benchmark process starts Django against the dedicated database.

The benchmark never touches the developer's database: everything goes to ``BENCH_DATABASE_URL``
(default ``ctmtqg_bench`` on the local PostgreSQL), which the generator drops and re-creates,
and to a dedicated Redis database (``BENCH_REDIS_URL``, default db 13) that the runner flushes.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ctmtqg_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
# Not deploy/env.example's 60: under ASGI Django runs each request in a thread of its own
# (asgiref's ThreadSensitiveContext), so a kept connection is never reused and lingers with its
# dead thread; at 60 the transitions section ran PostgreSQL out of connections ("too many
# clients"). 0 is the setting that works under uvicorn; run with BENCH_CONN_MAX_AGE=60 to see.
SERVER_CONN_MAX_AGE = os.environ.get("BENCH_CONN_MAX_AGE", "0")


@dataclass(frozen=True)
class Scale:
    """How much to generate and how hard to measure.

    ``years`` are the cycles of annual plans; ``extra`` adds other plan types per year, which is
    how the WorkItem table reaches the sweep's stored count (monitoring reports and household
    reviews are real plan types with their own routes). The last year is the current cycle: its
    plans are spread over every state; earlier cycles are closed history.
    """

    name: str
    provinces: tuple[str, ...] | None  # official codes; None: all 63
    years: tuple[int, ...]
    extra: dict[int, tuple[str, ...]] = field(default_factory=dict)
    lines_per_plan: int = 12
    notifications: int = 100_000
    ws_users: int = 500
    # Runner.
    samples: int = 100  # timed requests per page
    transitions: int = 1200
    transition_clients: int = 8
    ws_clients: int = 500
    ws_rounds: int = 3
    sweep_due: tuple[int, ...] = (1_000, 10_000)
    pgbench_seconds: int = 20
    rollup_repeats: int = 7

    @property
    def current_year(self) -> int:
        return max(self.years)


HISTORY = ("monitoring_6m", "monitoring_annual", "household_review")

SCALES: dict[str, Scale] = {
    # The whole country, five annual cycles, one extra type per year: fits in minutes.
    "quick": Scale(
        name="quick",
        provinces=None,
        years=(2019, 2020, 2021, 2022, 2023),
        extra={2022: ("monitoring_annual",), 2023: ("monitoring_6m",)},
        samples=60,
        transitions=600,
        ws_clients=500,
        ws_rounds=3,
        # The stored count is what five annual cycles and two report types make (~160,000, not
        # 480,000); about 15,000 of them are open, so 10,000 due is measured, not extrapolated.
        sweep_due=(500, 2_000, 10_000),
        pgbench_seconds=20,
        rollup_repeats=5,
    ),
    # Every plan type of five cycles (and the 2021-2025 five-year plans): about 480,000 work
    # items for the deadline sweep.
    "full": Scale(
        name="full",
        provinces=None,
        years=(2019, 2020, 2021, 2022, 2023),
        extra=dict.fromkeys((2019, 2020, 2022), HISTORY)
        | {2021: ("five_year", *HISTORY), 2023: ("monitoring_6m", *HISTORY[1:])},
        samples=300,
        transitions=2000,
        ws_clients=500,
        ws_rounds=5,
        pgbench_seconds=20,
        rollup_repeats=15,
    ),
    # The three smallest provinces (not Lai Châu, which the tests' demo data holds), two cycles.
    "tiny": Scale(
        name="tiny",
        provinces=("48", "58", "95"),
        years=(2022, 2023),
        extra={2023: ("monitoring_6m",)},
        notifications=500,
        ws_users=5,
        samples=5,
        transitions=20,
        ws_clients=5,
        ws_rounds=1,
        sweep_due=(10,),
        pgbench_seconds=2,
        rollup_repeats=2,
    ),
}


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def check_bench_name(name: str) -> None:
    """The generator drops the database it is given: refuse anything not named for the bench."""
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")


def recreate_database(url: str) -> None:
    """DROP and CREATE the database named in ``url`` (connecting to the maintenance database)."""
    import psycopg

    name = database_name(url)
    check_bench_name(name)
    admin = with_database(url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def bench_environment(*, redis: bool) -> dict[str, str]:
    """Environment of every benchmark process (generator, runner, servers).

    Demo mode (no production secrets needed), e-mail to the dummy backend (nothing is written
    under var/), quiet logs. With ``redis`` the channel layer and the Celery broker are the
    bench's Redis database: websocket pushes then cross processes, as in production.
    """
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "APP_MODE": "demo",
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url() if redis else "",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": SERVER_CONN_MAX_AGE,
        # As production: the runner's Celery worker pushes and mails each commit's notifications.
        "NOTIFICATIONS_VIA_WORKER": "true",
    }
    return env


def setup_django(*, redis: bool) -> None:
    """Point this process at the bench database and start Django."""
    os.environ.update(bench_environment(redis=redis))
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


class Progress:
    """One line per phase, with counts and the seconds it took (and the total so far)."""

    def __init__(self, out=None) -> None:
        self.out = out or (lambda line: print(line, flush=True))
        self.started = self.last = time.monotonic()

    def __call__(self, phase: str, **counts: object) -> None:
        now = time.monotonic()
        detail = " ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in counts.items())
        self.out(f"[{now - self.started:7.1f}s] {phase:<28} {detail}  (+{now - self.last:.1f}s)")
        self.last = now

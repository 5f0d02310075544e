"""The benchmark runner: ``python -m bench.run [--quick|--full] [--no-generate]``.

Generates the dataset (``bench.generate``, in a subprocess), then measures, prints a table of
each figure next to its target, and writes ``bench/results.json``. Targets are reported, never
asserted: a missed one is printed as MISSED with its ratio.

How each figure is taken (see bench/README.md for the reasoning):

* pages and API: a live ``uvicorn config.asgi:application --workers 2`` on 127.0.0.1 (demo mode,
  the bench database and Redis, ``DB_CONN_MAX_AGE=60`` as in deploy/env.example), one request at
  a time over a keep-alive HTTP/1.1 connection; the time is from sending the request to the last
  byte, i.e. server time plus loopback. Query counts come from the same pages requested
  in-process (Django's test client under ``CaptureQueriesContext``);
* viewflow's stock queue: in-process for the same reviewer, with the project's guard that
  keeps the stock lists closed to non-superusers lifted for this process only, so the stock
  view runs its stock permission filter (guardian concatenation) for that user;
* transitions: ``transition_clients`` threads POSTing accept/return (token auth) on distinct
  submitted commune plans against the two workers;
* roll-ups and the deadline sweep: in-process, on the database alone;
* websocket fan-out: ``bench.wsclient`` holds the sockets in another process; this process
  commits ``notify`` for all of them and the latency is commit → frame received (wall clocks
  of one machine);
* memory: VmHWM (peak resident set) of each uvicorn worker at the end of the HTTP sections.
"""

# ruff: noqa: S603, S607 — the benchmark starts its own tools (pgbench, psql, uvicorn) with fixed arguments

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.common import (
    BASE_DIR,
    BENCH_DIR,
    SCALES,
    Progress,
    Scale,
    bench_environment,
    check_bench_name,
    database_name,
    database_url,
    redis_url,
    setup_django,
    with_database,
)

RESULTS = BENCH_DIR / "results.json"
PGBENCH_DB = "ctmtqg_bench_pgbench"


# --- figures and targets ------------------------------------------------------------------


@dataclass
class Figure:
    """One line of the table: a measured value, its target (``<=`` or ``>=``) and the verdict."""

    name: str
    value: float | None
    unit: str
    target: float | None = None
    op: str = "<="
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.target:
            return None
        return self.value / self.target

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "n/a"
        if self.target is None:
            return ""
        met = self.value <= self.target if self.op == "<=" else self.value >= self.target
        return "met" if met else "MISSED"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": None if self.target is None else f"{self.op} {self.target:g}",
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "verdict": self.verdict,
            "note": self.note,
        }


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    head = ("figure", "value", "target", "ratio", "verdict")
    rows = [
        (
            f.name,
            f"{fmt(f.value)} {f.unit}".strip(),
            "" if f.target is None else f"{f.op} {fmt(f.target)} {f.unit}".strip(),
            "" if f.ratio is None else f"{f.ratio:.2f}×",
            f.verdict,
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*head), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in rows]
    notes = [f"  - {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(out + (["", "notes:", *notes] if notes else []))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# --- references ---------------------------------------------------------------------------


def pgbench(seconds: int, progress: Progress) -> dict[str, Any]:
    """TPC-B-like reference on the same PostgreSQL: scale 10, 8 clients, 2 threads."""
    if shutil.which("pgbench") is None:
        progress("pgbench", status="not available (apt-get install postgresql-contrib)")
        return {"tps": None}
    url = with_database(database_url(), PGBENCH_DB).replace("postgres://", "postgresql://", 1)
    admin = with_database(database_url(), "postgres").replace("postgres://", "postgresql://", 1)
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {PGBENCH_DB}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {PGBENCH_DB}"], check=True)
    try:
        subprocess.run(["pgbench", "-i", "-s", "10", "-q", url], check=True, capture_output=True)
        out = subprocess.run(
            ["pgbench", "-c", "8", "-j", "2", "-T", str(seconds), url], check=True, capture_output=True, text=True
        ).stdout
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {PGBENCH_DB}"], check=False)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out) or re.search(r"tps = ([\d.]+)", out)
    tps = float(match.group(1)) if match else None
    progress("pgbench TPC-B", tps=f"{tps:.0f}" if tps else "?", seconds=seconds)
    return {"tps": tps, "scale": 10, "clients": 8, "threads": 2, "seconds": seconds}


# --- the dataset as the runner needs it -----------------------------------------------------


@dataclass
class Personas:
    district: Any  # User
    province: Any
    district_plan: Any  # Plan (current annual)
    province_plan: Any
    sessions: dict[str, str]  # username -> session key


def make_session(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from config.sessions import SEEN_KEY

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # As a sign-in leaves it: last seen now (config/sessions.py stamps it at most once a minute).
    store[SEEN_KEY] = int(time.time())
    store.set_expiry(6 * 3600)
    store.create()
    return store.session_key


def personas(scale: Scale) -> Personas:
    from bench.generate import choose, load_units
    from directory.models import User
    from planning.models import Plan

    choice = choose(load_units(scale.provinces))
    names = choice.usernames()
    district = User.objects.get(username=names["district_reviewer"])
    province = User.objects.get(username=names["province_reviewer"])
    plans = Plan.objects.filter(cycle__year=scale.current_year, plan_type="annual")
    return Personas(
        district=district,
        province=province,
        district_plan=plans.get(unit=choice.persona_district.id),
        province_plan=plans.get(unit=choice.persona_province.id),
        sessions={u.username: make_session(u) for u in (district, province)},
    )


# --- in-process: query counts, stock viewflow, roll-ups ------------------------------------


def in_process_page(user, url: str, repeats: int) -> dict[str, Any]:
    """Query count and in-process time of one page (Django's test client, no HTTP)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.get(url)  # warm: templates, URL resolvers, connection
    times, counts = [], []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{url} as {user.username}: HTTP {response.status_code}")
        counts.append(len(ctx.captured_queries))
    return {
        "queries": max(counts),
        "queries_min": min(counts),
        "p50_ms": ms(percentile(times, 50)),
        "p95_ms": ms(percentile(times, 95)),
        "bytes": len(response.content),
        "sql": [q["sql"][:160] for q in ctx.captured_queries],
    }


def inbox_rows(user) -> dict[str, int]:
    from workflows import selectors

    ids = selectors.agency_ids_of(user)
    return {"open_items": selectors.inbox(user=user, agency_ids=ids).count()}


def stock_queue(user, repeats: int) -> dict[str, Any]:
    """viewflow's stock queue page and queryset for ``user``, in-process.

    The project closes viewflow's lists to non-superusers (the #505 fix), so the stock page
    would 403 for the reviewer; a superuser's queue skips the permission filter altogether and
    lists the whole nation's tasks, which would not be the same work. Lifting the guard for this
    process only runs the stock view with its stock per-object filter for the same reviewer:
    the same question our inbox answers, asked the stock way.
    """
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from workflows.flows import PlanFlow

    original = PlanFlow.has_view_permission
    PlanFlow.has_view_permission = lambda self, user, obj=None: True
    try:
        page = in_process_page(user, "/workflow/plan/queue/", repeats)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            rows = list(
                Task.objects.coerce_for([PlanFlow]).user_queue(user).filter(status=STATUS.NEW).order_by("-created")[:20]
            )
            times.append(time.perf_counter() - started)
        page["queryset_p50_ms"] = ms(percentile(times, 50))
        page["queryset_rows"] = len(rows)
    finally:
        PlanFlow.has_view_permission = original
    return page


def rollups(scale: Scale, people: Personas, progress: Progress) -> dict[str, Any]:
    from planning import selectors
    from planning.models import BudgetLine, LineAmount, Plan

    province_plan = people.province_plan
    cycle = province_plan.cycle
    sources = selectors.plan_sources(province_plan)  # the cycle's period: the same for every plan

    def timed(fn: Callable[[], Any]) -> tuple[list[float], Any]:
        times, result = [], None
        for _ in range(scale.rollup_repeats):
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
        return times, result

    p_times, p_result = timed(lambda: selectors.plan_totals(province_plan))
    national_plans_qs = Plan.objects.filter(cycle=cycle, plan_type="annual").values("pk")
    national = LineAmount.objects.filter(plan_id__in=national_plans_qs)
    n_times, n_result = timed(lambda: selectors.totals(national, sources))
    sub = BudgetLine.objects.filter(plan_id__in=selectors.subtree_plans(province_plan).values("pk"))
    # The same plans written out in SQL: the province plan and every plan below it.
    province_plans = (
        "(p.id = %s OR (p.province_id = %s AND p.cycle_id = %s AND p.plan_type = %s))",
        [province_plan.pk, province_plan.unit_id, cycle.pk, province_plan.plan_type],
    )
    national_plans = ("p.cycle_id = %s AND p.plan_type = 'annual'", [cycle.pk])
    out = {
        "province": {
            "unit": province_plan.unit.name,
            "cold_ms": ms(p_times[0]),
            "p50_ms": ms(percentile(p_times, 50)),
            "max_ms": ms(max(p_times)),
            "plans": sub.values("plan_id").distinct().count(),
            "lines": sub.count(),
            "total": str(p_result["total"]),
            "reference": sql_reference(sources, p_result, *province_plans),
        },
        "national": {
            "cycle": cycle.year,
            "cold_ms": ms(n_times[0]),
            "p50_ms": ms(percentile(n_times, 50)),
            "max_ms": ms(max(n_times)),
            "plans": Plan.objects.filter(cycle=cycle, plan_type="annual").count(),
            "lines": BudgetLine.objects.filter(plan_id__in=national_plans_qs).count(),
            "total": str(n_result["total"]),
            "reference": sql_reference(sources, n_result, *national_plans),
        },
    }
    progress(
        "roll-ups",
        province_ms=out["province"]["p50_ms"],
        national_ms=out["national"]["p50_ms"],
        province_sql_sum="matches" if out["province"]["reference"]["matches"] else "DIFFERS",
        national_sql_sum="matches" if out["national"]["reference"]["matches"] else "DIFFERS",
    )
    return out


def sql_reference(sources: list[Any], result: dict[str, Any], where: str, params: list[Any]) -> dict[str, Any]:
    """The roll-up checked against an independent sum: plain SQL over the line amounts joined to
    their lines and plans (not the selectors' queryset), per source row, then the central
    subtotal and the total."""
    from django.db import connection

    from planning.models import FundingSource

    # ``where`` is one of the two fixed fragments of ``rollups``; values go as parameters.
    sql = (
        "SELECT a.source_id, SUM(a.amount) FROM planning_lineamount a "  # noqa: S608
        "JOIN planning_budgetline l ON l.id = a.line_id "
        "JOIN planning_plan p ON p.id = l.plan_id "
        f"WHERE {where} GROUP BY a.source_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        sums = dict(cursor.fetchall())
    expected = {s.code: sums.pop(s.pk, 0) for s in sources}
    expected["central"] = sum(expected[s.code] for s in sources if s.group == FundingSource.Group.CENTRAL)
    expected["total"] = sum(expected[s.code] for s in sources)
    differs = {
        code: {"roll-up": str(result[code]), "sql": str(value)}
        for code, value in expected.items()
        if result[code] != value
    }
    # Money on a source outside the period's list (another period's) would escape the roll-up.
    differs.update({f"source {pk}": {"roll-up": None, "sql": str(value)} for pk, value in sums.items()})
    return {"matches": not differs, "sql_total": str(expected["total"]), "differs": differs}


# --- the live server ----------------------------------------------------------------------


def audit_chain_cost(people: Personas, repeats: int = 300) -> dict[str, Any]:
    """What the tamper-evident audit chain adds to one transition: the read of the plan's last
    chain hash (one indexed query) and the SHA-256 over the event, measured on the province
    plan's own events; and, for scale, one whole audit write (``audit_record``) in a rolled-back
    transaction."""
    from django.db import transaction

    from approvals import chain, services
    from approvals.models import AuditEvent

    plan = people.province_plan
    event = AuditEvent.objects.filter(plan_id=plan.pk).order_by("-id").first()
    read, digest, write = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        prev = (
            AuditEvent.objects.filter(plan_id=plan.pk).order_by("-id").values_list("chain_hash", flat=True).first()
            or ""
        )
        t1 = time.perf_counter()
        if event is not None:
            chain.digest({name: getattr(event, name) for name in chain.CONTENT_FIELDS}, prev)
        t2 = time.perf_counter()
        read.append(t1 - t0)
        digest.append(t2 - t1)
    for _ in range(max(20, repeats // 10)):
        with transaction.atomic():
            t0 = time.perf_counter()
            services.audit_record(actor=people.province, plan=plan, action="bench", step="", from_status=plan.status)
            write.append(time.perf_counter() - t0)
            transaction.set_rollback(True)
    return {
        "prev_read_p50_ms": ms(percentile(read, 50)),
        "digest_p50_ms": ms(percentile(digest, 50)),
        "chain_p50_ms": ms(percentile([a + b for a, b in zip(read, digest, strict=True)], 50)),
        "audit_write_p50_ms": ms(percentile(write, 50)),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``uvicorn config.asgi:application --workers 2`` started and stopped by its own pid."""

    def __init__(self, workers: int = 2, *, pool: bool = False, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        base = {**os.environ, **bench_environment(redis=True)}
        # The production configuration: psycopg's pool per worker (config.settings, DB_POOL).
        base["DB_POOL"] = "true" if pool else "false"
        env = {**base, **(env or {})}
        self.log, self.proc = _start(
            "bench-uvicorn-",
            [
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env,
        )
        self.wait_ready(workers)

    def wait_ready(self, workers: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited: see {self.log.name}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login/")
                if conn.getresponse().status == 200 and len(self.workers()) >= workers:
                    return
            time.sleep(0.3)
        raise RuntimeError("uvicorn did not become ready")

    def workers(self) -> list[int]:
        """Worker processes: the master's children, without multiprocessing's helpers."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        pids = []
        for pid in children:
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                if b"resource_tracker" not in cmdline:
                    pids.append(int(pid))
        return pids

    def peak_memory_mb(self) -> dict[int, float]:
        """VmHWM (the kernel's high-water mark of resident memory) of each worker, in MB."""
        out = {}
        for pid in self.workers():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        out[pid] = round(int(line.split()[1]) / 1024, 1)
        return out

    def stop(self) -> None:
        _stop(self.proc, self.log, timeout=15)


class Worker:
    """The Celery workers as production runs them, on the bench's Redis, one process each: one
    for the pushes (``-Q push``: a commit's push, notifications.tasks.deliver_task) and one for
    e-mail and the jobs (``-Q celery``: the commit's deliver_emails_task), so a burst of e-mail
    never delays a push."""

    # node name → queue; the names are how the ping tells the two apart.
    NODES = {"push": "push", "mail": "celery"}

    def __init__(self) -> None:
        from celery.utils.nodenames import host_format

        env = {**os.environ, **bench_environment(redis=True)}
        self.hostnames = [host_format(f"{name}@%h") for name in self.NODES]
        self.started: list[tuple[Any, subprocess.Popen[bytes]]] = []
        try:
            for name, queue in self.NODES.items():
                command = ["celery", "-A", "config", "worker", "--loglevel", "WARNING"]
                command += ["-Q", queue, "--concurrency", "1", "--hostname", f"{name}@%h"]
                self.started.append(_start(f"bench-celery-{name}-", command, env))
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float = 60) -> None:
        """Ping until every node has answered (one that has is up; the other may still start)."""
        from config.celery import app

        answered: set[str] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for log, proc in self.started:
                if proc.poll() is not None:
                    raise RuntimeError(f"celery worker exited: see {log.name}")
            for reply in app.control.ping(destination=self.hostnames, timeout=1):
                answered.update(reply)
            if answered >= set(self.hostnames):
                return
        raise RuntimeError(f"celery workers did not answer a ping: {sorted(set(self.hostnames) - answered)}")

    def stop(self) -> None:
        for log, proc in self.started:
            _stop(proc, log, timeout=30)


def _start(log_prefix: str, module_command: list[str], env: dict[str, str]) -> tuple[Any, subprocess.Popen[bytes]]:
    """``python -m <module_command>`` in its own session, its output in a temporary log."""
    log = tempfile.NamedTemporaryFile("w", prefix=log_prefix, suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", *module_command],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return log, proc


def _stop(proc: subprocess.Popen[bytes], log: Any, *, timeout: float) -> None:
    """Warm shutdown (SIGTERM to the main process, which stops its own workers); after
    ``timeout``, SIGKILL to its whole session."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    log.close()


def timed_gets(port: int, path: str, headers: dict[str, str], samples: int) -> dict[str, Any]:
    """``samples`` sequential GETs on one keep-alive connection (after a short warm-up)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for n in range(samples + 5):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status} {body[:200]!r}")
        if n >= 5:
            times.append(elapsed)
    conn.close()
    return {
        "p50_ms": ms(percentile(times, 50)),
        "p95_ms": ms(percentile(times, 95)),
        "max_ms": ms(max(times)),
        "samples": len(times),
    }


def transitions(
    port: int | list[int],
    scale: Scale,
    people: Personas,
    progress: Progress,
    *,
    label: str = "transitions",
    limit: int | None = None,
) -> dict[str, Any]:
    """accept (4 in 5) or return (1 in 5) on distinct submitted commune plans, concurrently;
    with several ports (web nodes), client ``i`` talks to ``ports[i % n]``."""
    ports = port if isinstance(port, list) else [port]
    from rest_framework.authtoken.models import Token

    from directory.models import Membership
    from workflows.models import WorkItem

    items = list(
        WorkItem.objects.filter(
            is_open=True,
            step="review",
            plan__plan_type="annual",
            plan__status="submitted",
            plan__cycle__year=scale.current_year,
            plan__unit__tier="commune",
        )
        .exclude(plan__district_id=people.district_plan.unit_id)
        .order_by("plan__district_id", "plan_id")
        .values_list("plan_id", "agency_id")[: limit or scale.transitions]
    )
    heads = dict(
        Membership.objects.filter(agency_id__in={a for _p, a in items}, role="head").values_list("agency_id", "user_id")
    )
    tokens = {}
    for user_id in set(heads.values()):
        tokens[user_id] = Token.objects.get_or_create(user_id=user_id)[0].key
    # Interleave districts so that concurrent clients work on different reviewers' plans.
    work = [
        (tokens[heads[agency]], plan, "return" if n % 5 == 4 else "accept") for n, (plan, agency) in enumerate(items)
    ]
    clients = scale.transition_clients
    shards = [work[i::clients] for i in range(clients)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start_gate = threading.Barrier(clients)

    def run(index: int, shard: list[tuple[str, int, str]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[index % len(ports)], timeout=60)
        start_gate.wait()
        for token, plan_id, action in shard:
            body = {"idempotency_key": uuid.uuid4().hex}
            if action == "return":
                body["comment"] = "Đề nghị bổ sung danh sách hộ thụ hưởng"
            started = time.perf_counter()
            conn.request(
                "POST",
                f"/api/v1/plans/{plan_id}/actions/{action}/",
                body=json.dumps(body),
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 200:
                    latencies.append(elapsed)
        conn.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients), shards))
    wall = time.perf_counter() - started
    ok = statuses.get(200, 0)
    result = {
        "clients": clients,
        "attempted": len(work),
        "ok": ok,
        "statuses": {str(k): v for k, v in statuses.items()},
        "seconds": round(wall, 2),
        "per_second": round(ok / wall, 1) if wall else None,
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
    }
    result["nodes"] = len(ports)
    progress(label, ok=ok, per_second=result["per_second"], p95_ms=result["p95_ms"], statuses=result["statuses"])
    return result


def websocket_fanout(
    port: int | list[int], scale: Scale, progress: Progress, *, label: str = "websocket fan-out"
) -> dict[str, Any]:
    """N sockets of N officers; ``notify`` to all of them, committed here; commit → receipt.
    With several ports (web nodes) the sockets are spread over them; the commit happens in this
    process, so every delivery to a node crosses the shared Redis."""
    ports = port if isinstance(port, list) else [port]
    try:
        from notifications import services as notifications
        from notifications.models import Notification  # noqa: F401
    except ImportError:
        progress("websocket fan-out", status="not available (no notifications app)")
        return {"available": False}
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from directory.models import User

    users = list(User.objects.filter(username__startswith="bench-ws-").order_by("username")[: scale.ws_clients])
    expiry = timezone.now() + dt.timedelta(hours=6)
    store = SessionStore()
    sessions = []
    for user in users:
        key = uuid.uuid4().hex
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expiry))
    Session.objects.bulk_create(sessions)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.wsclient",
            ",".join(f"ws://127.0.0.1:{p}/ws/notifications/" for p in ports),
            f"http://127.0.0.1:{ports[0]}",
        ],
        cwd=BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        connect_started = time.perf_counter()
        proc.stdin.write(json.dumps([s.session_key for s in sessions]) + "\n")
        proc.stdin.flush()
        ready = proc.stdout.readline().strip()
        connect_seconds = time.perf_counter() - connect_started
        if not ready.startswith("READY"):
            raise RuntimeError(f"websocket clients did not start: {ready!r}")
        connected = int(ready.split()[1])
        commits: dict[int, float] = {}
        for round_number in range(scale.ws_rounds):
            marks: list[float] = []
            with transaction.atomic():
                # Registered before notify's own hook, so it runs first: the commit's time.
                transaction.on_commit(lambda marks=marks: marks.append(time.time()))
                rows = notifications.notify(
                    recipients=users,
                    kind="info",
                    plan=None,
                    link="/inbox/",
                    text_vi=f"Thông báo chung số {round_number + 1}",
                    text_en=f"Announcement {round_number + 1}",
                )
            for row in rows:
                commits[row.pk] = marks[0]
            time.sleep(max(2.0, len(users) / 100))
        proc.stdin.write("STOP\n")
        proc.stdin.flush()
        report = json.loads(proc.stdout.readline())
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        proc.wait(timeout=30)
    latencies = [at - commits[nid] for _client, nid, at in report["received"] if nid in commits]
    expected = connected * scale.ws_rounds
    result = {
        "available": True,
        "clients": len(users),
        "connected": connected,
        "connect_seconds": round(connect_seconds, 2),
        "rounds": scale.ws_rounds,
        "received": len(latencies),
        "expected": expected,
        "p50_ms": ms(percentile(latencies, 50)) if latencies else None,
        "p95_ms": ms(percentile(latencies, 95)) if latencies else None,
        "max_ms": ms(max(latencies)) if latencies else None,
        "errors": report.get("errors", []),
        "nodes": len(ports),
        # Received per node (client i is on node i % n): a node's sockets hear a commit made elsewhere.
        "received_per_node": [
            sum(1 for client, nid, _at in report["received"] if nid in commits and client % len(ports) == n)
            for n in range(len(ports))
        ],
    }
    progress(label, clients=connected, received=f"{len(latencies)}/{expected}", p95_ms=result["p95_ms"])
    return result


# --- the deadline sweep -------------------------------------------------------------------


def sweep(scale: Scale, progress: Progress) -> dict[str, Any]:
    """One sweep at a fixed number of stored work items, for each number of due ones, each on a
    fresh copy of the bench database (``CREATE DATABASE … TEMPLATE``) in a process of its own
    (``bench.sweep``: set-up, then the timed sweep committing as production does, its batches
    in ``DEADLINES_SWEEP_WORKERS`` threads). The largest is timed once more with one worker, for
    the comparison. Nothing reaches the bench database; the Celery messages the sweeps' commits
    queued are dropped with the bench's Redis afterwards (``flush_redis``).
    """
    try:
        from deadlines import services as deadlines
    except ImportError as exc:
        progress("deadline sweep", status=f"not available ({exc})")
        return {"available": False}
    if not hasattr(deadlines, "sweep"):
        progress("deadline sweep", status="not available (no deadlines.services.sweep)")
        return {"available": False}
    from django.db import connection
    from django.db.models import Count, Q

    from workflows.models import WorkItem

    counts = WorkItem.objects.aggregate(stored=Count("pk"), open=Count("pk", filter=Q(is_open=True)))
    largest = max(scale.sweep_due)
    plan = [(due, {}) for due in scale.sweep_due] + [(largest, {"DEADLINES_SWEEP_WORKERS": "1"})]
    runs, single = [], None
    for due, extra in plan:
        connection.close()  # a template database must have no other session
        result = _sweep_on_a_copy(due, extra)
        if extra:
            single = result
        else:
            runs.append(result)
        outcome = result["outcome"]
        progress(f"deadline sweep due={due:,}", seconds=result["seconds"], workers=result["workers"], **outcome)
    flush_redis()
    return {"available": True, "stored": counts["stored"], "open": counts["open"], "runs": runs, "one_worker": single}


def _sweep_on_a_copy(due: int, extra_env: dict[str, str]) -> dict[str, Any]:
    import psycopg

    source = database_url()
    name = f"{database_name(source)}_sweep"
    check_bench_name(name)
    admin = with_database(source, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{database_name(source)}"')
    try:
        env = {**os.environ, **extra_env, "BENCH_DATABASE_URL": with_database(source, name)}
        done = subprocess.run(
            [sys.executable, "-m", "bench.sweep", str(due)],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"bench.sweep {due} failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- orchestration ------------------------------------------------------------------------


# --- scale-out: PgBouncer, a second web node, the read replica ------------------------------


DEPLOY = BASE_DIR / "deploy"


def _deploy_script(name: str, command: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(DEPLOY / name), command], env={**os.environ, **env}, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} {command}: {done.stdout}{done.stderr}")
    return done.stdout.strip()


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = netloc[-1].rsplit(":", 1)[0]
    return urlunsplit(parts._replace(netloc=(f"{netloc[0]}@" if len(netloc) == 2 else "") + f"{host}:{port}"))


def scale_out(scale: Scale, people: Personas, progress: Progress, *, db_pool: bool) -> dict[str, Any]:
    """The same figures with PgBouncer, with a second web node, and the roll-ups on a replica.
    The transitions of each variant take a third of the main run's count (each uses up submitted
    plans: a quick dataset then holds two whole runs without regenerating).
    Each part reports ``{"available": False, "reason": …}`` instead of failing the run."""
    out: dict[str, Any] = {}

    # PgBouncer (transaction mode) in front of the primary; the workers without their own pool.
    port = free_port()
    env = {"PGBOUNCER_PORT": str(port)}  # its files under /var/run/ctmtqg-pgbouncer-PORT
    try:
        _deploy_script("pgbouncer.sh", "up", env)
    except (RuntimeError, OSError) as exc:
        out["pgbouncer"] = {"available": False, "reason": str(exc)[-300:]}
        progress("pgbouncer", status="not available")
    else:
        try:
            server = Server(
                workers=2,
                pool=False,
                env={"DATABASE_URL": _with_port(database_url(), port), "DB_BEHIND_PGBOUNCER": "true"},
            )
            try:
                out["pgbouncer"] = {
                    "available": True,
                    "transitions": transitions(
                        server.port,
                        scale,
                        people,
                        progress,
                        label="transitions, pgbouncer",
                        limit=scale.transitions // 3,
                    ),
                }
            finally:
                server.stop()
        finally:
            _deploy_script("pgbouncer.sh", "down", env)
    flush_channel_layer()

    # A second web node: another uvicorn process group, same database and Redis.
    nodes = [Server(workers=2, pool=db_pool), Server(workers=2, pool=db_pool)]
    try:
        ports = [n.port for n in nodes]
        out["two_nodes"] = {
            "available": True,
            "websocket": websocket_fanout(ports, scale, progress, label="websocket fan-out, 2 nodes"),
            "transitions": transitions(
                ports, scale, people, progress, label="transitions, 2 nodes", limit=scale.transitions // 3
            ),
        }
    finally:
        for n in nodes:
            n.stop()
        flush_channel_layer()

    # The streaming replica: the benchmark's read figures (the roll-ups) through read_replica().
    port = free_port()
    env = {"REPLICA_PORT": str(port), "REPLICA_DIR": f"/var/lib/postgresql/bench-replica-{port}"}
    try:
        started = time.monotonic()
        _deploy_script("replica.sh", "up", env)
        made_seconds = round(time.monotonic() - started, 1)
    except (RuntimeError, OSError) as exc:
        out["replica"] = {"available": False, "reason": str(exc)[-300:]}
        progress("replica", status="not available")
        with contextlib.suppress(RuntimeError, OSError):
            _deploy_script("replica.sh", "remove", env)
        return out
    try:
        from django.conf import settings
        from django.db import connections

        from config import db_router

        replica = {**connections["default"].settings_dict, "PORT": port, "CONN_MAX_AGE": 0}
        replica["OPTIONS"] = {k: v for k, v in replica.get("OPTIONS", {}).items() if k != "pool"}
        connections.settings[db_router.REPLICA] = replica
        settings.DATABASES[db_router.REPLICA] = replica
        db_router.health.reset()
        try:
            with db_router.read_replica():
                in_use = db_router.replica_in_use()
                figures = rollups(scale, people, progress)
            out["replica"] = {
                "available": True,
                "used": in_use,
                "lag_seconds": db_router.health.lag,
                "basebackup_seconds": made_seconds,
                "rollups": figures,
            }
        finally:
            connections[db_router.REPLICA].close()
            # settings.DATABASES and connections.settings are one dict; pop from both in case not.
            settings.DATABASES.pop(db_router.REPLICA, None)
            connections.settings.pop(db_router.REPLICA, None)
    finally:
        _deploy_script("replica.sh", "remove", env)
    return out


def scale_out_table(r: dict[str, Any]) -> str:
    """The figures each scale-out step moves, side by side with the plain run's."""
    so = r.get("scale_out") or {}

    def cell(part: str, *path: str) -> str:
        value: Any = so.get(part) if part else r
        if part and not (value or {}).get("available"):
            return "n/a"
        for key in path:
            value = (value or {}).get(key)
        return "n/a" if value is None else (f"{value:,}" if isinstance(value, int) else str(value))

    ws = r.get("websocket") or {}
    ws2 = (so.get("two_nodes") or {}).get("websocket") or {}
    rows = [
        ("figure", "1 node, direct", "PgBouncer", "2 nodes", "replica"),
        (
            "transitions/s, 8 clients",
            cell("", "transitions", "per_second"),
            cell("pgbouncer", "transitions", "per_second"),
            cell("two_nodes", "transitions", "per_second"),
            "-",
        ),
        (
            "transition p95 ms",
            cell("", "transitions", "p95_ms"),
            cell("pgbouncer", "transitions", "p95_ms"),
            cell("two_nodes", "transitions", "p95_ms"),
            "-",
        ),
        (
            "websocket p95 ms",
            cell("", "websocket", "p95_ms"),
            "-",
            cell("two_nodes", "websocket", "p95_ms"),
            "-",
        ),
        (
            "websocket received",
            f"{ws.get('received', 'n/a')}/{ws.get('expected', 'n/a')}",
            "-",
            f"{ws2.get('received', 'n/a')}/{ws2.get('expected', 'n/a')} (per node {ws2.get('received_per_node', '-')})",
            "-",
        ),
        (
            "roll-up national p50 ms",
            cell("", "rollups", "national", "p50_ms"),
            "-",
            "-",
            cell("replica", "rollups", "national", "p50_ms"),
        ),
        (
            "roll-up province p50 ms",
            cell("", "rollups", "province", "p50_ms"),
            "-",
            "-",
            cell("replica", "rollups", "province", "p50_ms"),
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)


def busy(load: list[float], cpus: int | None) -> bool:
    """A run taken on a busy machine: a load average above twice the cores at start or end."""
    return bool(cpus) and max(load) > 2 * cpus


# The services the benchmark drives: their CPU is the run's own, not other work's.
SERVICE_COMMANDS = frozenset({"postgres", "redis-server", "pgbouncer"})


@dataclass(frozen=True)
class CpuSample:
    """CPU time (seconds) at one moment: the whole machine's busy time, the runner's own with
    every child it has reaped (web servers, their workers, the Celery worker, the websocket
    clients, pgbench), and the services' (PostgreSQL, Redis, PgBouncer, with their reaped
    children: finished backends)."""

    at: float
    machine: float
    ours: float
    services: float

    @classmethod
    def take(cls) -> CpuSample:
        tick = os.sysconf("SC_CLK_TCK")
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        machine = (user + nice + system + irq + softirq + steal) / tick
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        ours = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        services = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                text = stat.read_text()
                command = text[text.index("(") + 1 : text.rindex(")")]
                if command in SERVICE_COMMANDS:
                    after = text[text.rindex(")") + 2 :].split()
                    services += sum(int(x) for x in after[11:15]) / tick  # utime stime cutime cstime
        return cls(at=time.monotonic(), machine=machine, ours=ours, services=services)


def other_work_cores(start: CpuSample, end: CpuSample) -> float:
    """The average number of cores other work used while the benchmark ran: the machine's busy
    time less the runner's and the services' (a service another program also uses counts as
    ours: the figure can only understate other work)."""
    wall = end.at - start.at
    if wall <= 0:
        return 0.0
    other = (end.machine - start.machine) - (end.ours - start.ours) - (end.services - start.services)
    return round(max(0.0, other) / wall, 2)


# Other work using more than this many cores on average marks the run busy.
OTHER_WORK_LIMIT = 0.5


def flush_redis() -> None:
    """Empty the bench's own Redis database (channel layer groups, unconsumed e-mail tasks)."""
    import redis

    redis.Redis.from_url(redis_url()).flushdb()


def flush_channel_layer() -> None:
    """Drop the channel layer's groups and queues between sections, keeping the Celery worker's
    queue bindings (flushing them while it runs would make kombu drop the next messages)."""
    import redis

    client = redis.Redis.from_url(redis_url())
    for key in client.scan_iter(match="asgi*", count=1000):
        client.delete(key)


def machine() -> dict[str, Any]:
    mem = next(
        (int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line),
        None,
    )
    return {
        "cpus": os.cpu_count(),
        "memory_mb": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
        # Other work on the machine skews every figure: recorded so that runs can be compared.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Run the benchmark (see bench/README.md).")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", const="quick", dest="scale")
    mode.add_argument("--full", action="store_const", const="full", dest="scale")
    parser.add_argument("--no-generate", action="store_true", help="measure the existing bench database")
    parser.add_argument(
        "--no-db-pool",
        dest="db_pool",
        action="store_false",
        help="run the web workers without the connection pool production uses (a new connection per request)",
    )
    parser.add_argument(
        "--no-scale-out",
        dest="scale_out",
        action="store_false",
        help="skip the runs with PgBouncer, a second web node and the read replica",
    )
    args = parser.parse_args(argv)
    scale = SCALES[args.scale or "quick"]
    progress = Progress()
    started = time.monotonic()
    host = machine()  # before anything of ours runs: the load average is then other work's
    cpu_at_start = CpuSample.take()

    if not args.no_generate:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--scale", scale.name], cwd=BASE_DIR, env=env, check=True
        )
        progress("dataset generated")
    generate_seconds = time.monotonic() - started

    results: dict[str, Any] = {
        "scale": scale.name,
        "machine": host,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    results["pgbench"] = pgbench(scale.pgbench_seconds, progress)

    setup_django(redis=True)
    flush_redis()
    from bench.generate import dataset_counts

    results["dataset"] = dataset_counts()
    people = personas(scale)
    results["personas"] = {"district": people.district.username, "province": people.province.username}

    pages = {
        "district_inbox": (people.district, "/inbox/"),
        "district_api": (people.district, "/api/v1/tasks/"),
        "province_inbox": (people.province, "/inbox/"),
        "province_api": (people.province, "/api/v1/tasks/"),
        "province_workbench": (people.province, f"/plans/{people.province_plan.pk}/workbench/"),
    }
    in_process = {name: in_process_page(user, url, 5) for name, (user, url) in pages.items()}
    for name, (user, _url) in pages.items():
        in_process[name].update(inbox_rows(user) if "workbench" not in name else {})
    in_process["stock_queue_district"] = stock_queue(people.district, 5)
    in_process["stock_queue_province"] = stock_queue(people.province, 5)
    results["in_process"] = in_process
    progress(
        "query counts",
        inbox=in_process["district_inbox"]["queries"],
        api=in_process["district_api"]["queries"],
        stock=in_process["stock_queue_district"]["queries"],
    )
    results["rollups"] = rollups(scale, people, progress)
    results["audit_chain"] = audit_chain_cost(people)
    progress("audit chain per transition", **results["audit_chain"])
    # On the database alone, like the roll-ups: before the servers start, not in the wake of the
    # write sections (their autovacuum and checkpoints would be timed with it).
    results["sweep"] = sweep(scale, progress)

    worker = Worker()
    server = Server(workers=2, pool=args.db_pool)
    results["server"] = {
        "workers": 2,
        "db_pool": args.db_pool,
        "conn_max_age": bench_environment(redis=True)["DB_CONN_MAX_AGE"],
    }
    try:
        progress("uvicorn", port=server.port, workers=len(server.workers()))
        http_results = {}
        for name, (user, url) in pages.items():
            cookie = {"Cookie": f"sessionid={people.sessions[user.username]}"}
            # The workbench is the slow page: fewer samples keep quick mode within minutes.
            samples = max(10, scale.samples // 3) if "workbench" in name else scale.samples
            http_results[name] = timed_gets(server.port, url, cookie, samples)
        results["http"] = http_results
        progress("pages over HTTP", **{k: v["p95_ms"] for k, v in http_results.items()})
        results["websocket"] = websocket_fanout(server.port, scale, progress)
        results["transitions"] = transitions(server.port, scale, people, progress)
        results["memory_mb"] = server.peak_memory_mb()
        progress("peak memory", **{str(k): v for k, v in results["memory_mb"].items()})
    finally:
        server.stop()
    try:
        if args.scale_out:
            results["scale_out"] = scale_out(scale, people, progress, db_pool=args.db_pool)
    finally:
        worker.stop()
        flush_redis()
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    # Busy: other work before the run (load average at start) or during it (CPU the machine
    # spent outside the runner, its children and the services). The load at the end is the
    # run's own (its last sections keep both cores busy): printed, not judged.
    other = other_work_cores(cpu_at_start, CpuSample.take())
    results["machine"]["other_work_cores"] = other
    results["machine"]["busy"] = busy([results["machine"]["load_average_at_start"][0]], results["machine"]["cpus"]) or (
        other > OTHER_WORK_LIMIT
    )
    results["generate_seconds"] = round(generate_seconds, 1)
    results["total_seconds"] = round(time.monotonic() - started, 1)

    figures = build_figures(results)
    results["table"] = [f.as_dict() for f in figures]
    data = results["dataset"]
    print()
    print(
        f"Benchmark ({scale.name}{', db pool' if args.db_pool else ''}) — {data['plans']:,} plans, "
        f"{data['tasks']:,} viewflow tasks, "
        f"{data['work_items']:,} work items; {results['total_seconds']:.0f} s in all; "
        f"load average {results['machine']['load_average_at_start'][0]} at start, "
        f"{results['machine']['load_average_at_end'][0]} at end (the run's own); other work used "
        f"{results['machine']['other_work_cores']} cores on average"
    )
    if results["machine"]["busy"]:
        print(
            f"BUSY MACHINE: a load average above 2 × {results['machine']['cpus']} cores at start, or other work "
            f"above {OTHER_WORK_LIMIT} cores during the run; the figures below are not a clean run (other work "
            "competed for the CPU): compare with a run on an idle machine"
        )
    print(table(figures))
    if "scale_out" in results:
        print("\nScale-out, same run (deploy/README.md says which figure each one moves):")
        print(scale_out_table(results))
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"\nwritten: {RESULTS.relative_to(BASE_DIR)}")
    return results


def rollup_note(r: dict[str, Any]) -> str:
    reference = r.get("reference") or {}
    check = (
        "sums match an independent SQL SUM"
        if reference.get("matches")
        else f"SUMS DIFFER from the SQL SUM: {reference.get('differs')}"
    )
    return f"{r['plans']:,} plans, {r['lines']:,} lines; first (cold) run {r['cold_ms']} ms; {check}"


def build_figures_audit_chain(r: dict[str, Any]) -> list[Figure]:
    """The audit chain's cost per transition, and its share of a transition's p50."""
    if "audit_chain" not in r:
        return []
    ac, t = r["audit_chain"], r.get("transitions", {})
    share = 100 * ac["chain_p50_ms"] / t["p50_ms"] if t.get("p50_ms") else None
    return [
        Figure(
            "audit chain per transition (previous hash + SHA-256)",
            ac["chain_p50_ms"],
            "ms",
            note=f"read {ac['prev_read_p50_ms']} ms + hash {ac['digest_p50_ms']} ms; whole audit row "
            f"{ac['audit_write_p50_ms']} ms" + (f"; {share:.1f} % of a transition's p50" if share is not None else ""),
        )
    ]


def _one_worker_note(s: dict[str, Any], run: dict[str, Any]) -> str:
    single = s.get("one_worker")
    if not single or single.get("due") != run["due"]:
        return ""
    return f" (with 1 worker: {single['seconds']} s)"


def build_figures(r: dict[str, Any]) -> list[Figure]:
    f: list[Figure] = []
    ip, h = r["in_process"], r["http"]
    for who in ("district", "province"):
        f.append(
            Figure(
                f"{who} inbox /inbox/ p95 (HTTP)",
                h[f"{who}_inbox"]["p95_ms"],
                "ms",
                50,
                note=f"p50 {h[f'{who}_inbox']['p50_ms']} ms; {ip[f'{who}_inbox']['open_items']} open items",
            )
        )
        f.append(
            Figure(
                f"{who} inbox /api/v1/tasks/ p95 (HTTP)",
                h[f"{who}_api"]["p95_ms"],
                "ms",
                50,
                note=f"p50 {h[f'{who}_api']['p50_ms']} ms",
            )
        )
    counts = {ip[k]["queries"] for k in ("district_inbox", "province_inbox")}
    f.append(
        Figure(
            "inbox page SQL queries",
            ip["district_inbox"]["queries"],
            "q",
            note="constant across personas" if len(counts) == 1 else f"varies: {sorted(counts)}",
        )
    )
    f.append(
        Figure(
            "inbox API SQL queries",
            ip["district_api"]["queries"],
            "q",
            note=f"province persona: {ip['province_api']['queries']}",
        )
    )
    for who in ("district", "province"):
        stock = ip[f"stock_queue_{who}"]
        f.append(
            Figure(
                f"stock queue / our inbox queries ({who})",
                stock["queries"] / ip[f"{who}_inbox"]["queries"],
                "×",
                5,
                op=">=",
                note=f"stock {stock['queries']} q, {stock['p50_ms']} ms in-process vs ours "
                f"{ip[f'{who}_inbox']['queries']} q, {ip[f'{who}_inbox']['p50_ms']} ms",
            )
        )
    f.append(
        Figure(
            "province workbench p95 (HTTP)",
            h["province_workbench"]["p95_ms"],
            "ms",
            50,
            note=f"{ip['province_workbench']['queries']} queries",
        )
    )
    t = r["transitions"]
    f.append(
        Figure(
            "transitions per second (HTTP, 8 clients)",
            t["per_second"],
            "/s",
            150,
            op=">=",
            note=f"{t['ok']}/{t['attempted']} ok, p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms",
        )
    )
    f.extend(build_figures_audit_chain(r))
    tps = r["pgbench"].get("tps")
    f.append(Figure("pgbench TPC-B (reference)", tps, "tps"))
    if tps and t["per_second"]:
        f.append(Figure("transitions / pgbench TPC-B", 100 * t["per_second"] / tps, "%", 8, op=">="))
    ru = r["rollups"]
    f.append(
        Figure(
            "national roll-up (one cycle)",
            ru["national"]["p50_ms"],
            "ms",
            200,
            note=rollup_note(ru["national"]),
        )
    )
    f.append(
        Figure(
            "province roll-up (plan_totals)",
            ru["province"]["p50_ms"],
            "ms",
            50,
            note=rollup_note(ru["province"]),
        )
    )
    s = r["sweep"]
    if s.get("available"):
        for run in s["runs"]:
            f.append(
                Figure(
                    f"deadline sweep, {run['due']:,} due",
                    run.get("seconds"),
                    "s",
                    2 * run["due"] / 10_000,
                    note=f"{s['stored']:,} work items stored, {s['open']:,} open; target pro rata of 2 s per 10,000; "
                    f"{run.get('workers')} workers{_one_worker_note(s, run)}; {run.get('outcome')}",
                )
            )
        largest = max(s["runs"], key=lambda run: run["due"])
        each_ms = 1000 * largest["seconds"] / max(1, largest["due"])
        if largest["due"] < 10_000 and largest["due"]:
            f.append(
                Figure(
                    "deadline sweep, 10,000 due (extrapolated)",
                    round(largest["seconds"] * 10_000 / largest["due"], 1),
                    "s",
                    2,
                    note=f"linear from {largest['due']:,} due: {each_ms:.1f} ms each",
                )
            )
    else:
        f.append(Figure("deadline sweep", None, "s", 2, note="not available"))
    w = r["websocket"]
    if w.get("available"):
        f.append(
            Figure(
                f"websocket commit→receipt p95 ({w['connected']} clients)",
                w["p95_ms"],
                "ms",
                500,
                note=f"p50 {w['p50_ms']} ms, max {w['max_ms']} ms, {w['received']}/{w['expected']} received",
            )
        )
    else:
        f.append(Figure("websocket fan-out", None, "ms", 500, note="not available"))
    memory = r.get("memory_mb") or {}
    f.append(
        Figure(
            "peak memory per web worker (VmHWM)",
            max(memory.values()) if memory else None,
            "MB",
            250,
            note=", ".join(f"pid {k}: {v} MB" for k, v in memory.items()),
        )
    )
    return f


if __name__ == "__main__":
    main()

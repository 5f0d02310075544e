"""The streaming replica, really running (deploy/replica.sh), behind config/db_router.py.

A session fixture copies the test database (``CREATE DATABASE … TEMPLATE``, so the writes below
never reach the other tests' data), makes a replica of the primary with ``pg_basebackup -R`` on a
free port, and removes it at the end. The application runs in a subprocess with
``DATABASE_REPLICA_URL`` set, as a web process would (tests/ops/replica_app.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "replica.sh"
# The demo's draft plan with money: district 109's 2023 annual plan (three-tier).
DRAFTER = "t3-d109-labour-drafter"
OTHER = "t3-d109-labour-head"

# django_db: pytest-django sets up the test database only for tests that ask for one.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Replica:
    port: int
    primary: dict
    database: str
    env: dict

    def script(self, command: str) -> str:
        done = subprocess.run(
            [str(SCRIPT), command], env=self.env, capture_output=True, text=True, timeout=180, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def url(self, port: int) -> str:
        return f"postgres://{self.primary['USER']}@{self.primary['HOST'] or '127.0.0.1'}:{port}/{self.database}"

    def sql(self, query: str, *, on_replica: bool = False) -> tuple | None:
        port = self.port if on_replica else int(self.primary["PORT"] or 5432)
        with psycopg.connect(self.url(port), autocommit=True) as conn:
            return conn.execute(query).fetchone()

    def app(self, *args: str, **settings: str) -> dict:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": self.url(int(self.primary["PORT"] or 5432)),
            "DATABASE_REPLICA_URL": self.url(self.port),
            "REDIS_URL": "",
            **settings,
        }
        done = subprocess.run(
            [sys.executable, "-m", "tests.ops.replica_app", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def plan_id(self) -> int:
        row = self.sql(
            "SELECT p.id FROM planning_plan p JOIN directory_administrativeunit u ON u.id = p.unit_id "
            "JOIN planning_cycle c ON c.id = p.cycle_id WHERE u.code = '109' AND u.structure = 'three-tier' "
            "AND p.plan_type = 'annual' AND p.status = 'draft' AND c.year = 2023"
        )
        assert row, "the demo's draft plan of district 109"
        return row[0]

    def caught_up(self) -> None:
        for _ in range(100):
            if self.sql("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()", on_replica=True)[0]:
                return
            time.sleep(0.1)
        raise AssertionError("the replica did not catch up")


def copy_with_pg_dump(primary: dict, copy: str) -> None:
    where = ["-h", primary["HOST"] or "127.0.0.1", "-p", str(primary["PORT"] or 5432), "-U", primary["USER"]]
    dump = subprocess.run(
        ["pg_dump", *where, "--no-owner", "--no-privileges", primary["NAME"]],
        capture_output=True,
        check=True,
        timeout=300,
    )
    subprocess.run(
        ["psql", *where, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", copy],
        input=dump.stdout,
        capture_output=True,
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def replica(django_db_setup, django_db_blocker) -> Iterator[Replica]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")  # conftest fails instead under REQUIRE_POSTGRES=1
    primary = dict(connection.settings_dict)
    copy = f"{primary['NAME']}_replica"
    admin = {**primary, "NAME": "postgres"}
    with django_db_blocker.unblock():
        connections.close_all()  # a template database must have no other session
        with psycopg.connect(
            host=admin["HOST"] or "127.0.0.1",
            port=admin["PORT"] or 5432,
            user=admin["USER"],
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            try:
                conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{primary["NAME"]}"')
            except psycopg.errors.ObjectInUse:
                # Another thread of this run (a channels database thread) still holds a
                # connection to the test database: copy it with pg_dump instead.
                conn.execute(f'CREATE DATABASE "{copy}"')
                copy_with_pg_dump(primary, copy)
    port = free_port()
    env = {
        **os.environ,
        "PRIMARY_HOST": primary["HOST"] or "127.0.0.1",
        "PRIMARY_PORT": str(primary["PORT"] or 5432),
        "PRIMARY_USER": primary["USER"] or "postgres",
        "REPLICA_PORT": str(port),
    }
    replica = Replica(port=port, primary=primary, database=copy, env=env)
    try:
        replica.script("up")
        replica.caught_up()
        yield replica
    finally:
        replica.script("remove")
        with psycopg.connect(
            host=admin["HOST"] or "127.0.0.1",
            port=admin["PORT"] or 5432,
            user=admin["USER"],
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')


def test_the_script_reports_a_streaming_replica(replica):
    assert "in recovery=true" in replica.script("status")
    assert replica.sql("SELECT pg_is_in_recovery()", on_replica=True) == (True,)


def test_a_report_reads_from_the_replica(replica):
    out = replica.app("report", DRAFTER, str(replica.plan_id()))
    assert out["replica_in_recovery"] is True
    assert out["report"]["status"] == 200
    assert out["report"]["replica_queries"] > 0
    # Only the token lookup before the view reads the primary; the report's own reads do not.
    assert out["report"]["primary_queries"] <= 2


def test_a_writer_reads_their_own_change_while_the_replica_lags(replica):
    replica.sql("SELECT pg_wal_replay_pause()", on_replica=True)  # the replica stops applying the primary's WAL
    try:
        # Lag allowed, so the only thing keeping the writer off the stale replica is read-your-writes.
        out = replica.app("write-then-read", DRAFTER, OTHER, str(replica.plan_id()), REPLICA_MAX_LAG_SECONDS="86400")
    finally:
        replica.sql("SELECT pg_wal_replay_resume()", on_replica=True)
        replica.caught_up()
    before = Decimal(out["before"]["total"])
    assert out["write"]["status"] == 200, out
    assert out["writer_reads"]["replica_queries"] == 0
    assert Decimal(out["writer_reads"]["total"]) == before + 1
    # Someone else, who wrote nothing, reads the (paused) replica: the change is not there yet.
    assert out["other_reads"]["replica_queries"] > 0
    assert Decimal(out["other_reads"]["total"]) == before


def test_a_lagging_replica_is_not_read(replica):
    plan_id = str(replica.plan_id())
    replica.sql("SELECT pg_wal_replay_pause()", on_replica=True)
    try:
        replica.sql("SELECT pg_current_xact_id()")  # a commit on the primary the replica does not apply
        for _ in range(50):
            if not replica.sql("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()", on_replica=True)[0]:
                break
            time.sleep(0.1)
        out = replica.app("report", DRAFTER, plan_id, REPLICA_MAX_LAG_SECONDS="0.2")
    finally:
        replica.sql("SELECT pg_wal_replay_resume()", on_replica=True)
        replica.caught_up()
    assert out["report"]["status"] == 200
    assert out["report"]["replica_queries"] == 0
    assert out["report"]["primary_queries"] > 2


def test_reads_fall_back_to_the_primary_when_the_replica_is_stopped(replica):
    plan_id = str(replica.plan_id())
    served = replica.app("report", DRAFTER, plan_id)["report"]
    replica.script("down")
    try:
        out = replica.app("report", DRAFTER, plan_id)
    finally:
        replica.script("up")
        replica.caught_up()
    assert out["replica_in_recovery"] is None  # it was down
    assert out["report"]["status"] == 200
    assert out["report"]["replica_queries"] == 0
    assert out["report"]["total"] == served["total"]

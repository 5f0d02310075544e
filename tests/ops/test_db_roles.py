"""The two database roles on a real PostgreSQL (deploy/roles.sql, deploy/grants.sql and the
owner-aware ``manage.py migrate``).

A scratch database gets two new, uniquely named roles from roles.sql, is migrated by
``manage.py migrate`` connected through DATABASE_OWNER_URL (which then grants the application
role), and the demo is loaded through DATABASE_URL as the application role. Then, connected as
the application role: everything that would erase or rewrite the audit trail, or change the
schema, is refused; reading and writing plans, and appending to the audit trail, work. And an
edit the owner makes with the trigger disabled is found by ``audit_verify``.

The test database's user is a superuser (it creates the roles and the database, and drops them
afterwards); the roles and the scratch database live only for this module.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
postgres = pytest.mark.postgres

COMMUNE, YEAR, STRUCTURE = "03388", "2025", "two-tier"  # a demo commune plan
COMMUNE_HEAD = "t2-c03388-ubnd-head"
# The demo's 2027 province plan waits at the People's Council step; its secretary may return it.
PROVINCE, PROVINCE_YEAR, COUNCIL_SECRETARY = "12", "2027", "t2-p12-hdnd-council_secretary"
INSUFFICIENT_PRIVILEGE = "42501"


@dataclass
class Scratch:
    name: str
    owner: str
    app: str
    passwords: dict[str, str]

    def url(self, role: str) -> str:
        s = connection.settings_dict
        auth = f"{quote(role)}:{quote(self.passwords[role])}"
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{self.name}"

    def connect(self, role: str) -> psycopg.Connection:
        return psycopg.connect(self.url(role), autocommit=True)


def superuser(database: str) -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"] or "postgres",
        password=s["PASSWORD"] or None,
        dbname=database,
        autocommit=True,
    )


def superuser_url(database: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{database}"


def app_env(scratch: Scratch, *, owner: bool = False) -> dict[str, str]:
    """The application's environment: DATABASE_URL is the application role; DATABASE_OWNER_URL
    only where the documented commands give it (migrate)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DATABASE_OWNER_URL"))}
    env.update(DATABASE_URL=scratch.url(scratch.app), DJANGO_SETTINGS_MODULE="config.settings_test", APP_MODE="demo")
    if owner:
        env["DATABASE_OWNER_URL"] = scratch.url(scratch.owner)
    return env


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def manage(scratch: Scratch, *args: str, owner: bool = False) -> subprocess.CompletedProcess:
    return run(sys.executable, "manage.py", *args, env=app_env(scratch, owner=owner))


def roles_sql(scratch: Scratch) -> subprocess.CompletedProcess:
    return run(
        "psql", "-X", "-q", "-d", superuser_url(scratch.name),
        "-v", f"owner={scratch.owner}", "-v", f"app={scratch.app}",
        "-v", f"owner_password={scratch.passwords[scratch.owner]}",
        "-v", f"app_password={scratch.passwords[scratch.app]}",
        "-f", str(ROOT / "deploy" / "roles.sql"),
        env=dict(os.environ),
    )  # fmt: skip


@pytest.fixture(scope="module")
def scratch() -> Iterator[Scratch]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    tag = secrets.token_hex(4)
    owner, app = f"ctmtqg_t{tag}_owner", f"ctmtqg_t{tag}_app"
    db = Scratch(
        name=f"{connection.settings_dict['NAME']}_roles_{tag}",
        owner=owner,
        app=app,
        passwords={owner: secrets.token_urlsafe(16), app: secrets.token_urlsafe(16)},
    )
    with superuser("postgres") as su:
        su.execute(f'CREATE DATABASE "{db.name}"')
    try:
        result = roles_sql(db)
        assert result.returncode == 0, result.stderr
        migrated = manage(db, "migrate", "--noinput", owner=True)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert f"Connected as the owner role {owner}" in migrated.stdout
        assert f"Granted the application role {app}" in migrated.stdout
        loaded = manage(db, "load_demo")  # as the application role
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        yield db
    finally:
        with superuser("postgres") as su:
            su.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
            for role in (app, owner):
                su.execute(f'DROP ROLE IF EXISTS "{role}"')


REFUSED = [
    ("UPDATE approvals_auditevent SET comment = 'rewritten'", "permission denied for table approvals_auditevent"),
    ("DELETE FROM approvals_auditevent", "permission denied for table approvals_auditevent"),
    ("TRUNCATE approvals_auditevent", "permission denied for table approvals_auditevent"),
    ("TRUNCATE planning_plan CASCADE", "permission denied for table planning_plan"),
    (
        "ALTER TABLE approvals_auditevent DISABLE TRIGGER approvals_audit_append_only",
        "must be owner of table approvals_auditevent",
    ),
    ("ALTER TABLE approvals_auditevent DISABLE TRIGGER ALL", "must be owner of table approvals_auditevent"),
    ("SET session_replication_role = replica", 'permission denied to set parameter "session_replication_role"'),
    ("CREATE TABLE ctmtqg_intruder (id integer)", "permission denied for schema public"),
    ("CREATE TEMPORARY TABLE ctmtqg_intruder (id integer)", "permission denied to create temporary tables"),
    ("CREATE SCHEMA ctmtqg_intruder", "permission denied for database"),
    ("DROP TABLE approvals_auditevent", "must be owner of table approvals_auditevent"),
    ("DROP FUNCTION approvals_audit_append_only() CASCADE", "must be owner of function approvals_audit_append_only"),
    ("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())", "permission denied for table"),
]


@postgres
@pytest.mark.parametrize(("statement", "message"), REFUSED, ids=[s.split(" (")[0][:48] for s, _ in REFUSED])
def test_the_application_role_is_refused(scratch, statement, message):
    with scratch.connect(scratch.owner) as owner:
        before = owner.execute("SELECT count(*), max(id) FROM approvals_auditevent").fetchone()
    assert before[0] > 0
    with scratch.connect(scratch.app) as app, pytest.raises(psycopg.Error) as refused:
        app.execute(statement)
    assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE, refused.value
    assert message in str(refused.value)
    with scratch.connect(scratch.owner) as owner:
        assert owner.execute("SELECT count(*), max(id) FROM approvals_auditevent").fetchone() == before
        assert owner.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'ctmtqg_intruder'").fetchone() == (0,)


@postgres
def test_the_application_role_is_no_superuser_owns_nothing_and_cannot_become_the_owner(scratch):
    with scratch.connect(scratch.app) as app:
        attributes = app.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles"
            " WHERE rolname = current_user"
        ).fetchone()
        assert attributes == (False, False, False, False, False)
        owned = app.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user"
        ).fetchone()
        assert owned == (0,)
        with pytest.raises(psycopg.Error) as refused:
            app.execute(f'SET ROLE "{scratch.owner}"')
        assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE
        privileges = app.execute(
            "SELECT p, has_table_privilege('approvals_auditevent', p) FROM unnest(ARRAY"
            "['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p"
        ).fetchall()
        assert dict(privileges) == {
            "SELECT": True,
            "INSERT": True,
            "UPDATE": False,
            "DELETE": False,
            "TRUNCATE": False,
            "REFERENCES": False,
            "TRIGGER": False,
        }
    with scratch.connect(scratch.owner) as owner:
        (not_owned,) = owner.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        ).fetchone()
        assert not_owned == 0


@postgres
def test_the_application_role_serves_and_moves_a_plan_and_appends_to_the_audit_trail(scratch):
    served = run(sys.executable, "-m", "tests.ops.as_app", "serve-plan", COMMUNE, YEAR, STRUCTURE, COMMUNE_HEAD,
                 env=app_env(scratch))  # fmt: skip
    assert served.returncode == 0, served.stderr
    page = json.loads(served.stdout)
    assert (page["role"], page["superuser"]) == (scratch.app, False)
    assert (page["api_status"], page["page_status"], page["page_names_unit"]) == (200, 200, True)
    assert page["plan"]["id"] == page["plan_id"]

    with scratch.connect(scratch.owner) as owner:
        (province_plan, events_before) = owner.execute(
            "SELECT p.id, (SELECT count(*) FROM approvals_auditevent e WHERE e.plan_id = p.id) FROM planning_plan p"
            " JOIN directory_administrativeunit u ON u.id = p.unit_id JOIN planning_cycle c ON c.id = p.cycle_id"
            " WHERE u.code = %s AND u.structure = %s AND c.year = %s AND p.plan_type = 'annual'",
            [PROVINCE, STRUCTURE, int(PROVINCE_YEAR)],
        ).fetchone()
    moved = run(sys.executable, "-m", "tests.ops.as_app", "act", PROVINCE, PROVINCE_YEAR, STRUCTURE, COUNCIL_SECRETARY,
                "return", env=app_env(scratch))  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    answer = json.loads(moved.stdout)
    assert answer["status"] == 200, answer
    assert answer["plan_id"] == province_plan
    assert answer["answer"]["status"] != "council"
    assert [e["action"] for e in answer["history"]][-1] == "return"
    with scratch.connect(scratch.owner) as owner:
        (events_after,) = owner.execute(
            "SELECT count(*) FROM approvals_auditevent WHERE plan_id = %s", [province_plan]
        ).fetchone()
    assert events_after == events_before + 1

    verified = manage(scratch, "audit_verify", "--plan", str(province_plan))  # as the application role
    assert verified.returncode == 0, verified.stderr
    assert "every chain verifies" in verified.stdout


@postgres
def test_tables_created_by_later_migrations_are_granted_to_the_application_role(scratch):
    with scratch.connect(scratch.owner) as owner:
        owner.execute("CREATE TABLE ops_later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)")
    try:
        with scratch.connect(scratch.app) as app:
            app.execute("INSERT INTO ops_later (note) VALUES ('a'), ('b')")
            app.execute("UPDATE ops_later SET note = 'c' WHERE note = 'b'")
            app.execute("DELETE FROM ops_later WHERE note = 'a'")
            assert app.execute("SELECT note FROM ops_later").fetchall() == [("c",)]
            with pytest.raises(psycopg.Error) as refused:
                app.execute("TRUNCATE ops_later")
            assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE
    finally:
        with scratch.connect(scratch.owner) as owner:
            owner.execute("DROP TABLE ops_later")


@postgres
def test_roles_sql_and_migrate_run_again_change_nothing(scratch):
    def acl() -> list[tuple]:
        with scratch.connect(scratch.owner) as owner:
            return owner.execute(
                "SELECT c.relname, pg_get_userbyid(c.relowner), c.relacl::text FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')"
                " ORDER BY 1"
            ).fetchall()

    before = acl()
    assert roles_sql(scratch).returncode == 0
    again = manage(scratch, "migrate", "--noinput", owner=True)
    assert again.returncode == 0, again.stderr
    assert "No migrations to apply" in again.stdout
    assert acl() == before
    checked = manage(scratch, "migrate", "--check", owner=True)
    assert checked.returncode == 0, checked.stderr


@postgres
def test_audit_verify_finds_a_row_the_owner_edited_with_the_trigger_disabled(scratch):
    assert manage(scratch, "audit_verify").returncode == 0
    with scratch.connect(scratch.owner) as owner:
        # Even the owner's plain TRUNCATE and UPDATE meet the triggers.
        for statement in ("TRUNCATE approvals_auditevent CASCADE", "UPDATE approvals_auditevent SET comment = 'x'"):
            with pytest.raises(psycopg.Error, match="append-only"):
                owner.execute(statement)
        plan_id, event_id = owner.execute(
            "SELECT plan_id, max(id) FROM approvals_auditevent GROUP BY plan_id ORDER BY count(*) DESC, plan_id LIMIT 1"
        ).fetchone()
        # The owner may disable the trigger (it owns the table): the edit then goes through...
        with owner.transaction():
            owner.execute("ALTER TABLE approvals_auditevent DISABLE TRIGGER approvals_audit_append_only")
            owner.execute("UPDATE approvals_auditevent SET comment = 'nothing to see' WHERE id = %s", [event_id])
            owner.execute("ALTER TABLE approvals_auditevent ENABLE TRIGGER approvals_audit_append_only")
    # ...and the chain names it, read by the application role.
    verified = manage(scratch, "audit_verify")
    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert f"plan {plan_id}, event {event_id}: its content does not match its hash" in verified.stderr
    assert verified.stderr.count("BROKEN") == 1


def test_the_owner_url_must_name_the_same_database():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DATABASE_OWNER_URL"))}
    env.update(
        DATABASE_URL="postgres://ctmtqg_app@127.0.0.1:5432/ctmtqg",
        DATABASE_OWNER_URL="postgres://ctmtqg_owner@127.0.0.1:5432/elsewhere",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = run(sys.executable, "-c", "import django; django.setup()", env=env)
    assert result.returncode != 0
    assert "DATABASE_OWNER_URL must name the same PostgreSQL database as DATABASE_URL" in result.stderr

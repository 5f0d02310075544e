"""deploy/backup.sh and deploy/restore.sh on a real PostgreSQL: a dump of the demo data restores
into an empty database and passes the check; the check catches a difference (control); and the
restored database belongs to the two roles again, so the application, connected as its own
restricted role, serves and moves a plan while the owner's ``migrate --check`` passes.

Each test gets its own, uniquely named owner and application roles (dropped afterwards), passed
to restore.sh as DB_OWNER_ROLE / DB_APP_ROLE."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from django.db.models import Count, Sum

from directory.models import AdministrativeUnit
from planning.models import BudgetLine, FundingSource, LineAmount, Plan

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _url(database: str, role: str = "", password: str = "") -> str:
    s = connection.settings_dict
    if role:
        auth = quote(role) + (f":{quote(password)}" if password else "")
    else:
        auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{database}"


@pytest.fixture
def roles(transactional_db):
    """A new owner and application role with passwords, as an operator creates them before a
    restore (restore.sh keeps existing roles and their passwords); dropped afterwards."""
    tag = secrets.token_hex(4)
    made = {"owner": f"ctmtqg_r{tag}_owner", "app": f"ctmtqg_r{tag}_app"}
    passwords = {role: secrets.token_urlsafe(16) for role in made.values()}
    with connection.cursor() as cursor:
        for role in made.values():
            cursor.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD %s', [passwords[role]])
    made["passwords"] = passwords
    yield made
    with connection.cursor() as cursor:
        for role in (made["app"], made["owner"]):
            cursor.execute(f'DROP ROLE IF EXISTS "{role}"')


def _run(*args: str, roles: dict | None = None, **env: str) -> subprocess.CompletedProcess:
    if roles:
        env = {"DB_OWNER_ROLE": roles["owner"], "DB_APP_ROLE": roles["app"], **env}
    return subprocess.run(
        ["bash", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=300, check=False
    )


@pytest.fixture
def empty_database(transactional_db, roles):
    name = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield _url(name)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def backup(demo, transactional_db, tmp_path) -> Path:
    result = _run(
        str(DEPLOY / "backup.sh"), DATABASE_URL=_url(connection.settings_dict["NAME"]), BACKUP_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    (dump,) = tmp_path.glob("ctmtqg-*.dump")
    assert dump.with_suffix(".check.json").exists()
    return dump


def test_a_backup_restores_into_an_empty_database_and_passes_the_check(backup, empty_database, roles):
    result = _run(str(DEPLOY / "restore.sh"), str(backup), empty_database, roles=roles)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore check passed" in result.stdout

    restored = json.loads(next(ln for ln in result.stdout.splitlines() if ln.startswith("restored: "))[10:])
    assert restored["units"] == AdministrativeUnit.objects.count() > 0
    assert restored["plans"] == Plan.objects.count() > 0
    assert restored["lines"] == BudgetLine.objects.count() > 0
    assert restored["line_amounts"] == LineAmount.objects.count() > 0
    # The check's plan is the one with the most lines (lowest id first), as the database has it.
    expected = Plan.objects.annotate(n=Count("lines")).order_by("-n", "pk").first()
    assert (restored["plan"]["id"], restored["plan"]["lines"]) == (expected.pk, expected.n)
    assert restored["plan"]["unit"] == expected.unit.code
    # Its money per funding source code of its period (the sources that carry money), as restored.
    sums = dict(
        LineAmount.objects.filter(line__plan=expected)
        .values("source__code")
        .annotate(sum=Sum("amount"))
        .values_list("source__code", "sum")
        .order_by()
    )
    assert len(sums) > 1
    assert {code: Decimal(str(value)) for code, value in restored["plan"]["amounts"].items()} == sums
    assert list(restored["plan"]["amounts"]) == [  # in the period's column order
        s.code for s in FundingSource.objects.filter(period=expected.cycle.period, code__in=sums).order_by("position")
    ]


def test_the_check_catches_a_restore_that_differs_from_the_backup(backup, empty_database, roles):
    recorded = backup.with_suffix(".check.json")
    check = json.loads(recorded.read_text())
    check["lines"] += 1
    recorded.write_text(json.dumps(check) + "\n")
    result = _run(str(DEPLOY / "restore.sh"), str(backup), empty_database, roles=roles)
    assert result.returncode == 1
    assert "RESTORE CHECK FAILED" in result.stderr


def test_restore_refuses_a_database_that_has_tables(backup, roles):
    result = _run(str(DEPLOY / "restore.sh"), str(backup), _url(connection.settings_dict["NAME"]), roles=roles)
    assert result.returncode == 1
    assert "refusing" in result.stderr


def _app_env(database: str, roles: dict, *, owner: bool = False) -> dict[str, str]:
    """The restored system's environment: the application role's DATABASE_URL, and the owner's
    DATABASE_OWNER_URL only for migrate, as deploy/README.md sets them up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DATABASE_OWNER_URL"))}
    password = roles["passwords"]
    env.update(
        DATABASE_URL=_url(database, roles["app"], password[roles["app"]]),
        DJANGO_SETTINGS_MODULE="config.settings_test",
        APP_MODE="demo",
    )
    if owner:
        env["DATABASE_OWNER_URL"] = _url(database, roles["owner"], password[roles["owner"]])
    return env


def _python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_after_a_restore_the_application_serves_a_plan_as_its_own_role(backup, empty_database, roles):
    result = _run(str(DEPLOY / "restore.sh"), str(backup), empty_database, roles=roles)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"owner {roles['owner']}, application role {roles['app']}" in result.stdout
    database = empty_database.rsplit("/", 1)[1]

    # The schema matches the code: as the owner (what an upgrade's migrate connects as) and as the
    # application role (what /readyz checks).
    for owner in (True, False):
        checked = _python("manage.py", "migrate", "--check", env=_app_env(database, roles, owner=owner))
        assert checked.returncode == 0, checked.stdout + checked.stderr

    # The application, as its own role: a session, the API and the plan page.
    served = _python("-m", "tests.ops.as_app", "serve-plan", "03388", "2025", "two-tier", "t2-c03388-ubnd-head",
                     env=_app_env(database, roles))  # fmt: skip
    assert served.returncode == 0, served.stderr
    page = json.loads(served.stdout)
    assert (page["role"], page["superuser"]) == (roles["app"], False)
    assert (page["api_status"], page["page_status"], page["page_names_unit"]) == (200, 200, True)
    assert page["plan"]["id"] == Plan.objects.get(pk=page["plan_id"]).pk

    # It can move a plan (the audit trail gets its row) and the restored chains verify.
    moved = _python("-m", "tests.ops.as_app", "act", "12", "2027", "two-tier", "t2-p12-hdnd-council_secretary",
                    "return", env=_app_env(database, roles))  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["status"] == 200, moved.stdout
    verified = _python("manage.py", "audit_verify", env=_app_env(database, roles))
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # The restored grants are the application's, not ownership: the audit trail stays append-only.
    password = roles["passwords"][roles["app"]]
    with psycopg.connect(_url(database, roles["app"], password), autocommit=True) as app:
        for statement in ("TRUNCATE approvals_auditevent", "DELETE FROM approvals_auditevent"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
        owners = app.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public'"
        ).fetchall()
    assert owners == [(roles["owner"],)]

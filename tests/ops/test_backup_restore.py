"""deploy/backup.sh and deploy/restore.sh on a real PostgreSQL: a dump of the demo data restores
into an empty database and passes the check; the check catches a difference (control)."""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.db.models import Count, Sum

from directory.models import AdministrativeUnit
from planning.models import BudgetLine, FundingSource, LineAmount, Plan

pytestmark = pytest.mark.postgres

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _url(database: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{database}"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=300, check=False
    )


@pytest.fixture
def empty_database(transactional_db):
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


def test_a_backup_restores_into_an_empty_database_and_passes_the_check(backup, empty_database):
    result = _run(str(DEPLOY / "restore.sh"), str(backup), empty_database)
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


def test_the_check_catches_a_restore_that_differs_from_the_backup(backup, empty_database):
    recorded = backup.with_suffix(".check.json")
    check = json.loads(recorded.read_text())
    check["lines"] += 1
    recorded.write_text(json.dumps(check) + "\n")
    result = _run(str(DEPLOY / "restore.sh"), str(backup), empty_database)
    assert result.returncode == 1
    assert "RESTORE CHECK FAILED" in result.stderr


def test_restore_refuses_a_database_that_has_tables(backup):
    result = _run(str(DEPLOY / "restore.sh"), str(backup), _url(connection.settings_dict["NAME"]))
    assert result.returncode == 1
    assert "refusing" in result.stderr

"""/healthz and /readyz: what a load balancer and a deploy gate see."""

from __future__ import annotations

import pytest
from django.db.migrations.executor import MigrationExecutor

from ops import readiness


@pytest.fixture(autouse=True)
def _fresh_migration_cache(monkeypatch):
    monkeypatch.setattr(readiness, "_migrations_ok_until", 0.0)


def test_healthz_answers_ok_without_touching_the_database(client, wired):
    # No db fixture: pytest-django fails the test if the view reaches the database.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_is_ok_when_database_and_migrations_are(client, wired, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "redis": "ok"},
        "failing": [],
    }


def test_readyz_names_the_database_when_it_fails(client, wired, db, monkeypatch):
    def refuse():
        raise ConnectionError("could not connect to postgres://secret@db")

    monkeypatch.setitem(readiness.CHECKS, "database", (refuse, True))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "fail: ConnectionError"
    assert body["checks"]["migrations"] == "skipped"
    assert body["failing"] == ["database"]
    assert "secret" not in response.content.decode()  # exception messages never leave the log


def test_readyz_names_pending_migrations(client, wired, db, monkeypatch):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("app", False)] * 3)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "fail: 3 unapplied"


def test_a_redis_outage_degrades_but_keeps_the_node_in_the_pool(client, wired, db, monkeypatch):
    def refuse():
        raise OSError("connection refused")

    monkeypatch.setitem(readiness.CHECKS, "redis", (refuse, False))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["failing"] == ["redis"]
    # A deploy gate asks for everything.
    strict = client.get("/readyz?strict=1")
    assert strict.status_code == 503
    assert strict.json()["checks"]["redis"] == "fail: OSError"


def test_probes_are_exempt_from_the_https_redirect(client, wired, db):
    wired.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/login/").status_code == 301

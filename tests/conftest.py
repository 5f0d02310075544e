"""Shared fixtures: named personas on the demo directory, an API client per persona."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient


def pytest_runtest_setup(item: pytest.Item) -> None:
    """PostgreSQL/Redis-only tests skip on a laptop without them, and fail in CI."""
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _unavailable("needs PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis") and not getattr(settings, "TEST_REDIS_URL", ""):
        _unavailable("needs Redis (set REDIS_URL)")


def _unavailable(reason: str) -> None:
    if settings.REQUIRE_POSTGRES:
        pytest.fail(f"{reason}; REQUIRE_POSTGRES=1 forbids skipping")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo once into the test database: every test runs in a transaction that is
    rolled back, so each starts from the same demo. (Transactional tests, which pytest-django
    runs last, flush the tables; the ``demo`` fixture then loads it again.)"""
    from demo.loader import load_all

    with django_db_blocker.unblock():
        load_all()


@pytest.fixture
def demo(db):
    """The demo (Lai Châu in both structures, the ministry, every role, the demo plans)."""
    from demo.loader import load_all
    from directory import demo as directory_demo
    from directory.models import User

    if not User.objects.filter(username="admin").exists():
        return load_all()
    return directory_demo.accounts()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def login_api(api):
    """Return a function that authenticates the API client as a given username (token auth)."""
    from rest_framework.authtoken.models import Token

    from directory.models import User

    def _login(username: str) -> APIClient:
        user = User.objects.get(username=username)
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        client.user = user
        return client

    return _login

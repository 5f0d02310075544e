"""Personas and helpers for the notification tests.

* ``reviewer``: head of the district labour office of Phong Thổ (three-tier), reviews communes;
* ``commune_head``: chairman of Sin Suối Hồ commune, in that district;
* ``outsider``: a drafter of a two-tier commune: shares no agency with either.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from channels.layers import channel_layers

from directory.models import User
from notifications import services

REVIEWER = "t3-d109-labour-head"
COMMUNE_HEAD = "t3-c03592-ubnd-head"
OUTSIDER = "t2-c03388-ubnd-drafter"

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_delivery_state():
    """Each test gets new channel layers (their queues bind to one event loop) and closed circuits."""
    channel_layers.backends = {}
    services.push_circuit.reset()
    services.broker_circuit.reset()
    yield
    channel_layers.backends = {}
    services.push_circuit.reset()
    services.broker_circuit.reset()


@pytest.fixture
def reviewer(demo) -> User:
    return _with_email(User.objects.get(username=REVIEWER))


@pytest.fixture
def commune_head(demo) -> User:
    return _with_email(User.objects.get(username=COMMUNE_HEAD))


@pytest.fixture
def outsider(demo) -> User:
    return _with_email(User.objects.get(username=OUTSIDER))


def _with_email(user: User) -> User:
    if not user.email:
        user.email = f"{user.username}@example.gov.vn"
        user.save(update_fields=["email"])
    return user


@pytest.fixture
def officer(db) -> Callable[..., User]:
    """A bare officer (no demo directory): fast, for tests that only need a recipient."""

    def _make(language: str = "vi", email: str | None = "auto", **extra) -> User:
        number = next(_counter)
        username = f"officer-{number}"
        address = f"{username}@example.gov.vn" if email == "auto" else (email or "")
        return User.objects.create_user(
            username=username, password="x", email=address, language=language, full_name=f"Cán bộ {number}", **extra
        )

    return _make

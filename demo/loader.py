"""Loads the whole demo, app by app, in dependency order. Idempotent."""

from __future__ import annotations

from django.db import transaction

from deadlines import demo as deadlines_demo
from demo import cycle_2027
from directory import demo as directory_demo
from directory.demo import DemoAccount
from planning import demo as planning_demo
from workflows import demo as workflows_demo


@transaction.atomic
def load_all() -> list[DemoAccount]:
    accounts = directory_demo.load()
    planning_demo.load()
    workflows_demo.load()
    deadlines_demo.load()
    cycle_2027.load()
    return accounts

"""The ``unaccent`` extension for searching without diacritics (planning/search.py).

A trusted extension since PostgreSQL 13: the database's owner, which runs migrations
(ops/management/commands/migrate.py, deploy/roles.sql), may create it without being a superuser.
A no-op on other databases (SQLite folds in Python)."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("planning", "0006_plan_no_money_statement")]

    operations = [UnaccentExtension()]

"""Django's ``flush``, which on PostgreSQL must get past the audit trail's TRUNCATE trigger.

``flush`` empties every table with one TRUNCATE, which the append-only audit table refuses
(migration 0006). Erasing the audit trail is a superuser's decision only: on PostgreSQL this
command sets ``session_replication_role = replica`` for its own transaction (which skips
ordinary triggers and needs superuser rights) and refuses to run otherwise. The test runner's
flush between transactional tests goes through here (the test database user is a superuser).
"""

from __future__ import annotations

from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import DatabaseError, connections, transaction


class Command(flush.Command):
    help = flush.Command.help + " On PostgreSQL only a superuser may: it erases the append-only audit trail."

    def handle(self, **options) -> None:
        database = options["database"]
        connection = connections[database]
        if connection.vendor != "postgresql":
            return super().handle(**options)
        with transaction.atomic(using=database):
            try:
                with transaction.atomic(using=database), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            except DatabaseError as exc:
                raise CommandError(f"flush erases the append-only audit trail: only a superuser may ({exc})") from exc
            return super().handle(**options)

"""Django's ``migrate``, run as the role that owns the tables when ``DATABASE_OWNER_URL`` is set.

Production has two database roles (deploy/roles.sql): ``DATABASE_URL`` is the application's
restricted role, which may not create or alter tables, and ``DATABASE_OWNER_URL`` the owner,
which migrations need. This command connects the ``default`` database as the owner for the
whole run — the migrations, their data steps (which query through ``default``) and the
post-migrate handlers — so the documented ``python manage.py migrate`` needs no extra option.
Afterwards (not for ``--check`` or ``--plan``) it re-applies deploy/grants.sql for the role of
``DATABASE_URL``: SELECT/INSERT/UPDATE/DELETE on every table, INSERT and SELECT only on the audit
table, SELECT only on django_migrations, USAGE on sequences, and the owner's default privileges
for tables created later.

Without ``DATABASE_OWNER_URL``, or with ``--database`` naming another alias, it is Django's
``migrate`` unchanged (the demo, the tests, a single-role installation).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

GRANTS_SQL = settings.BASE_DIR / "deploy" / "grants.sql"


def connect_as_owner(alias: str, owner: dict[str, Any]) -> None:
    """Point the (not yet used) connection ``alias`` at the owner's credentials and address; the
    database name stays (settings check it is the same one; under the test runner it is the test
    database). Drops the connection pool: a one-shot command needs none, and a pool created
    earlier would hand out the application role's connections."""
    connection = connections[alias]
    connection.close()
    if alias in connection._connection_pools:
        connection.close_pool()
    options = {k: v for k, v in (connection.settings_dict.get("OPTIONS") or {}).items() if k != "pool"}
    connection.settings_dict.update(
        USER=owner["USER"],
        PASSWORD=owner["PASSWORD"],
        HOST=owner["HOST"],
        PORT=owner["PORT"],
        OPTIONS={**options, **(owner.get("OPTIONS") or {})},
    )


def grant_app_role(alias: str, app_role: str) -> None:
    """deploy/grants.sql for ``app_role``, on ``alias`` (connected as the owner)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT set_config('ctmtqg.app_role', %s, false), set_config('ctmtqg.owner_role', current_user, false)",
            [app_role],
        )
        cursor.execute(GRANTS_SQL.read_text())


class Command(migrate.Command):
    help = migrate.Command.help + " As DATABASE_OWNER_URL's role when set, then re-grants DATABASE_URL's role."

    def handle(self, *args: Any, **options: Any) -> None:
        owner = getattr(settings, "DATABASE_OWNER", None)
        alias = options["database"]
        if not owner or alias != DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        app_role = connections[alias].settings_dict.get("USER") or ""
        connect_as_owner(alias, owner)
        if options["verbosity"] >= 1 and not options["check_unapplied"]:
            self.stdout.write(f"Connected as the owner role {owner['USER'] or '(default user)'} (DATABASE_OWNER_URL).")
        super().handle(*args, **options)
        if options["check_unapplied"] or options["plan"]:
            return
        if not app_role or app_role == owner["USER"]:
            self.stderr.write(
                f"DATABASE_URL's role {app_role or '(none named)'} is not a separate application role: "
                "grants not re-applied (deploy/roles.sql)."
            )
            return
        grant_app_role(alias, app_role)
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Granted the application role {app_role}: tables read/write, the audit table INSERT and SELECT only."
            )

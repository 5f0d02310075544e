"""What the application does with a plan, run in a subprocess as whatever role DATABASE_URL names.

The PostgreSQL role tests (test_db_roles, test_backup_restore) start this with DATABASE_URL set
to the restricted application role, so every query below — the session, the officer's lookup,
the middleware, the views, the services, the audit row — goes through the application's own
settings and code with that role's privileges, as a web process would. Prints one JSON object.

    python -m tests.ops.as_app serve-plan UNIT_CODE YEAR STRUCTURE USERNAME
    python -m tests.ops.as_app act UNIT_CODE YEAR STRUCTURE USERNAME ACTION   # with a comment
"""

from __future__ import annotations

import json
import os
import sys
import uuid


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from directory.models import User
    from planning.models import Plan

    command, unit, year, structure, username, *action = sys.argv[1:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
        role, superuser = cursor.fetchone()
    plan = Plan.objects.get(unit__code=unit, unit__structure=structure, cycle__year=int(year), plan_type="annual")
    client = Client()
    client.force_login(User.objects.get(username=username))  # a session row: INSERT
    out: dict = {"role": role, "superuser": superuser, "plan_id": plan.pk}
    if command == "serve-plan":
        api = client.get(f"/api/v1/plans/{plan.pk}/")
        page = client.get(f"/plans/{plan.pk}/")
        out.update(api_status=api.status_code, plan=api.json(), page_status=page.status_code)
        out["page_names_unit"] = plan.unit.name in page.content.decode()
    elif command == "act":
        answer = client.post(
            f"/api/v1/plans/{plan.pk}/actions/{action[0]}/",
            {"comment": "as the application role", "idempotency_key": uuid.uuid4().hex},
            content_type="application/json",
        )
        history = client.get(f"/api/v1/plans/{plan.pk}/history/")
        out.update(status=answer.status_code, answer=answer.json(), history=history.json())
    else:
        raise SystemExit(f"unknown command {command}")
    client.logout()  # the session row: DELETE
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()

"""Requests to the application in a subprocess whose settings name a replica (tests/ops/test_replica.py).

Run with DATABASE_URL (the primary) and DATABASE_REPLICA_URL (the streaming replica) set, as a web
process would be; prints one JSON object: per request, the status, the plan's total and how many
queries each database answered.

    python -m tests.ops.replica_app report USERNAME PLAN_ID
    python -m tests.ops.replica_app write-then-read WRITER OTHER PLAN_ID
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.db import DatabaseError, connections
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from config.db_router import LAG_SQL
    from directory.models import User

    def client_for(username: str) -> APIClient:
        token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    def measured(client: APIClient, method: str, path: str, **kwargs) -> dict:
        counts = {"default": 0, "replica": 0}

        def counter(alias: str):
            def wrapper(execute, sql, params, many, context):
                if sql != LAG_SQL:  # the router's health check is not a read of the report
                    counts[alias] += 1
                return execute(sql, params, many, context)

            return wrapper

        # execute_wrapper, not CaptureQueriesContext: that one connects, and the replica may be down.
        with (
            connections["default"].execute_wrapper(counter("default")),
            connections["replica"].execute_wrapper(counter("replica")),
        ):
            answer = getattr(client, method)(path, format="json", **kwargs)
        out = {"status": answer.status_code, "primary_queries": counts["default"], "replica_queries": counts["replica"]}
        if method == "get" and answer.status_code == 200:
            out["total"] = answer.json()["total"]
        return out

    command, *args = sys.argv[1:]
    out: dict = {}
    if command == "report":
        username, plan_id = args
        out["report"] = measured(client_for(username), "get", f"/api/v1/plans/{plan_id}/totals/")
    elif command == "write-then-read":
        writer_name, other_name, plan_id = args
        writer, other = client_for(writer_name), client_for(other_name)
        lines = writer.get(f"/api/v1/plans/{plan_id}/lines/").json()
        line = next(row for row in lines if Decimal(row["total"]))
        source = next(code for code, amount in line["amounts"].items() if Decimal(amount))
        line["amounts"][source] = str(Decimal(line["amounts"][source]) + 1)
        out["before"] = measured(other, "get", f"/api/v1/plans/{plan_id}/totals/")
        out["write"] = measured(writer, "put", f"/api/v1/plans/{plan_id}/lines/", data={"lines": lines})
        out["writer_reads"] = measured(writer, "get", f"/api/v1/plans/{plan_id}/totals/")
        out["other_reads"] = measured(other, "get", f"/api/v1/plans/{plan_id}/totals/")
    try:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            out["replica_in_recovery"] = cursor.fetchone()[0]
    except DatabaseError:
        out["replica_in_recovery"] = None  # down
    print(json.dumps(out))


if __name__ == "__main__":
    main()

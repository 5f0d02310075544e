"""The request id: accepted or made, echoed, logged, and stored in the audit trail."""

from __future__ import annotations

import logging
import re

from asgiref.sync import async_to_sync
from django.test import AsyncClient

from approvals.models import AuditEvent
from ops.context import current_request_id
from ops.logs import RequestIDFilter
from tests.complete import complete
from tests.workflows.conftest import plan_of

T2_COMMUNE_HEAD = "t2-c03388-ubnd-head"


def test_a_request_without_an_id_gets_a_new_one(client, wired):
    response = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.get("/healthz")["X-Request-ID"] != response["X-Request-ID"]


def test_a_well_formed_incoming_id_is_kept(client, wired):
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-4f1c2a9e77d0"})
    assert response["X-Request-ID"] == "nginx-4f1c2a9e77d0"


def test_a_malformed_incoming_id_is_replaced(client, wired):
    for bad in ("short", "has space 123456", "x" * 65, "<script>alert(1)</script>", "ổn-định-12345678"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad})["X-Request-ID"]
        assert echoed != bad
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_the_async_middleware_chain_sets_and_echoes_the_id(wired):
    response = async_to_sync(AsyncClient().get)("/healthz", headers={"X-Request-ID": "async-check-0001"})
    assert response.status_code == 200
    assert response["X-Request-ID"] == "async-check-0001"
    assert current_request_id() == ""  # reset once the request is over


def test_log_records_of_a_request_carry_its_id(client, wired, caplog):
    caplog.handler.addFilter(RequestIDFilter())
    with caplog.at_level(logging.INFO, logger="ops.access"):
        client.get("/login/", headers={"X-Request-ID": "trace-login-0001"})
    access = [r for r in caplog.records if r.name == "ops.access"]
    assert len(access) == 1
    assert access[0].request_id == "trace-login-0001"
    assert (access[0].method, access[0].path, access[0].status) == ("GET", "/login/", 200)


def test_probes_are_logged_at_debug_only(client, wired, caplog):
    with caplog.at_level(logging.INFO, logger="ops.access"):
        client.get("/healthz")
    assert not [r for r in caplog.records if r.name == "ops.access"]


def test_the_audit_event_of_an_api_action_stores_the_request_id(demo, login_api, wired):
    commune = complete(plan_of("03388", year=2025, structure="two-tier"))
    head = login_api(T2_COMMUNE_HEAD)
    response = head.post(
        f"/api/v1/plans/{commune.pk}/actions/submit/",
        {"idempotency_key": "rid-1"},
        format="json",
        headers={"X-Request-ID": "client-submit-0001"},
    )
    assert response.status_code == 200, response.json()
    assert response["X-Request-ID"] == "client-submit-0001"
    event = AuditEvent.objects.get(plan=commune, action="submit")
    assert event.request_id == "client-submit-0001"

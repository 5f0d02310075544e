"""The request id stored anywhere is the one the middleware validated, never the raw header."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from approvals import services as approvals
from approvals.models import AuditEvent
from directory.models import User
from ops.context import request_id_var
from planning.models import Plan
from tests.complete import complete
from tests.deadlines.conftest import P_HEAD, at
from workflows import services

COMMUNE = "03394"
T2_COMMUNE_HEAD = "t2-c03388-ubnd-head"


@pytest.mark.parametrize(
    "header",
    [
        "x" * 100,  # longer than the column (64): answered 500 before
        "<script>alert(1)</script>-00000",
        "ổn-định-12345678",
    ],
)
def test_the_extension_form_stores_the_validated_id_not_the_header(household_2026, client, time_machine, header):
    time_machine.move_to(at(2026, 8, 27), tick=False)
    plan = household_2026[COMMUNE]
    client.force_login(User.objects.get(username=P_HEAD))
    response = client.post(
        reverse("deadlines:extend", args=[plan.pk]),
        {"due_on": "04/09/2026", "reason": "Mưa lũ"},
        headers={"X-Request-ID": header},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(plan=plan, action="extend_deadline")
    assert event.request_id == response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", event.request_id)


def test_a_well_formed_header_is_stored_as_echoed(household_2026, client, time_machine):
    time_machine.move_to(at(2026, 8, 27), tick=False)
    plan = household_2026[COMMUNE]
    client.force_login(User.objects.get(username=P_HEAD))
    response = client.post(
        reverse("deadlines:extend", args=[plan.pk]),
        {"due_on": "04/09/2026", "reason": "Mưa lũ"},
        headers={"X-Request-ID": "nginx-5be1c0de77aa"},
    )
    assert response["X-Request-ID"] == "nginx-5be1c0de77aa"
    assert AuditEvent.objects.get(plan=plan, action="extend_deadline").request_id == "nginx-5be1c0de77aa"


def _commune_plan() -> Plan:
    return Plan.objects.get(unit__structure="two-tier", unit__code="03388", cycle__year=2025, plan_type="annual")


def test_an_action_without_an_explicit_id_stores_the_current_one(demo):
    """Web forms, tasks and commands: the audit row takes the id of the work in progress."""
    complete(_commune_plan())
    token = request_id_var.set("task-run-0001abcd")
    try:
        services.plan_act(actor=User.objects.get(username=T2_COMMUNE_HEAD), plan_id=_commune_plan().pk, action="submit")
    finally:
        request_id_var.reset(token)
    assert AuditEvent.objects.get(plan=_commune_plan(), action="submit").request_id == "task-run-0001abcd"


def test_a_malformed_id_handed_to_the_audit_helper_is_never_stored(demo):
    plan = _commune_plan()
    token = request_id_var.set("validated-0000001")
    try:
        event = approvals.audit_record(
            plan=plan,
            actor=User.objects.get(username=T2_COMMUNE_HEAD),
            action="note",
            from_status=plan.status,
            request_id="<b>" + "x" * 100,
        )
    finally:
        request_id_var.reset(token)
    assert event.request_id == "validated-0000001"

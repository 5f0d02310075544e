"""Two officers act on the same task at once: exactly one wins, the other gets 409.

The control test switches the plan's row lock off and shows the race is real: both requests
then pass the state check together, and the loser fails with a server error instead of a
clean 409 (or, worse, both report success)."""

import contextlib
import threading

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals.models import AuditEvent
from directory.models import User
from tests.complete import complete
from tests.workflows.conftest import C_HEAD, D_HEAD, plan_of
from workflows import services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def client_for(username: str) -> APIClient:
    token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def race(monkeypatch, plan_id: int, attempts: int = 2) -> list[int]:
    """Send ``attempts`` accepts at once; both are held at the state check until both arrive
    (or 2 s pass, which is what happens when the row lock makes one wait)."""
    barrier = threading.Barrier(attempts, timeout=2)
    real_check = services._check_requirements

    def meet_then_check(plan, spec):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return real_check(plan, spec)

    monkeypatch.setattr(services, "_check_requirements", meet_then_check)
    clients = [client_for(D_HEAD) for _ in range(attempts)]
    codes: list[int] = []

    def send(client):
        try:
            response = client.post(f"/api/v1/plans/{plan_id}/actions/accept/", {}, format="json")
            codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(codes)


@pytest.fixture
def submitted(demo):
    plan = complete(plan_of("03592"))
    services.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=plan.pk, action="submit")
    return plan


def test_parallel_accepts_have_one_winner_and_one_409(submitted, monkeypatch):
    assert race(monkeypatch, submitted.pk) == [200, 409]
    assert AuditEvent.objects.filter(plan=submitted, action="accept").count() == 1


def test_control_without_the_row_lock_the_race_happens(submitted, monkeypatch):
    monkeypatch.setattr(services, "_ROW_LOCK", False)
    codes = race(monkeypatch, submitted.pk)
    print("control race status codes:", codes)
    assert codes != [200, 409]  # both got past the check: a 500, or two "successes"
    assert 500 in codes or codes == [200, 200]


def test_a_retried_call_with_the_same_idempotency_key_has_one_effect(submitted):
    client = client_for(D_HEAD)
    body = {"idempotency_key": "accept-once", "comment": ""}
    first = client.post(f"/api/v1/plans/{submitted.pk}/actions/accept/", body, format="json")
    again = client.post(f"/api/v1/plans/{submitted.pk}/actions/accept/", body, format="json")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["replayed"] is True
    assert AuditEvent.objects.filter(plan=submitted, action="accept").count() == 1


def test_the_audit_table_refuses_update_and_delete(submitted):
    from django.db import DatabaseError, transaction

    event = AuditEvent.objects.filter(plan=submitted).first()
    for sql in (
        "UPDATE approvals_auditevent SET comment = 'x' WHERE id = %s",
        "DELETE FROM approvals_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, comment="").exists()

"""The audit trail: a hash chain per plan that ``audit_verify`` checks, and (on PostgreSQL) a
table that refuses UPDATE, DELETE and TRUNCATE even from the application's own code."""

from __future__ import annotations

import importlib
import itertools
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from approvals import chain
from approvals.models import AuditEvent
from directory.models import User
from planning.models import Plan
from tests.complete import complete
from workflows import services

T2_COMMUNE_HEAD = "t2-c03388-ubnd-head"  # phường Đoàn Kết, two-tier Lai Châu
T2_P_HEAD = "t2-p12-agri-head"  # the province's standing agency: reviews the commune


@pytest.fixture
def walked(demo) -> Plan:
    """The commune's 2025 plan through submit → return → submit → accept: four chained events."""
    plan = Plan.objects.get(unit__structure="two-tier", unit__code="03388", cycle__year=2025, plan_type="annual")
    plan = complete(plan)
    head, reviewer = User.objects.get(username=T2_COMMUNE_HEAD), User.objects.get(username=T2_P_HEAD)
    services.plan_act(actor=head, plan_id=plan.pk, action="submit")
    services.plan_act(actor=reviewer, plan_id=plan.pk, action="return", comment="Bổ sung danh sách hộ")
    services.plan_act(actor=head, plan_id=plan.pk, action="submit")
    services.plan_act(actor=reviewer, plan_id=plan.pk, action="accept")
    return plan


def verify(*plans: Plan) -> tuple[int, str, str]:
    """Run audit_verify; (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    args = [f"--plan={plan.pk}" for plan in plans]
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def events_of(plan: Plan) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(plan=plan).order_by("id"))


def test_each_event_is_chained_to_the_plans_previous_one(walked):
    events = events_of(walked)
    assert [e.action for e in events] == ["submit", "return", "submit", "accept"]
    assert events[0].prev_hash == ""
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.chain_hash
    assert len({e.chain_hash for e in events}) == 4
    assert all(len(e.chain_hash) == 64 for e in events)


def test_the_chain_of_a_real_plan_verifies(walked):
    code, out, err = verify(walked)
    assert code == 0, err
    assert "4 audit events in 1 plans checked: every chain verifies" in out


def test_every_chain_of_the_demo_verifies(walked):
    code, out, err = verify()
    assert code == 0, err
    assert "every chain verifies" in out


def test_the_hash_survives_the_database_round_trip(walked):
    # What the service hashed before the insert is what verification recomputes from the row.
    for row in AuditEvent.objects.filter(plan=walked).values(*chain.VERIFY_FIELDS):
        assert chain.digest(row, row["prev_hash"]) == row["chain_hash"]


def test_a_chain_cannot_fork(walked):
    last = events_of(walked)[-1]
    twin = AuditEvent(
        plan=walked,
        actor=last.actor,
        action="accept",
        from_status="submitted",
        to_status="accepted",
        prev_hash=last.prev_hash,  # a second successor of the same event
        chain_hash="f" * 64,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save(force_insert=True)


# --- what audit_verify finds (the chain logic, on any database) --------------------------------


def _rows(plan: Plan) -> list[dict]:
    return list(AuditEvent.objects.filter(plan=plan).order_by("id").values(*chain.VERIFY_FIELDS))


def test_an_edited_event_is_named(walked):
    rows = _rows(walked)
    rows[1]["comment"] = "Không có ý kiến"
    (found,) = chain.first_breaks(rows)
    assert (found.plan_id, found.event_id) == (walked.pk, rows[1]["id"])
    assert "edited" in found.reason


def test_a_removed_event_breaks_the_next_link(walked):
    rows = _rows(walked)
    del rows[1]
    (found,) = chain.first_breaks(rows)
    assert found.event_id == rows[1]["id"]  # the event after the removed one
    assert "removed" in found.reason


def test_an_edited_and_rehashed_event_breaks_the_next_link(walked):
    rows = _rows(walked)
    rows[1]["comment"] = "Không có ý kiến"
    rows[1]["chain_hash"] = chain.digest(rows[1], rows[1]["prev_hash"])
    (found,) = chain.first_breaks(rows)
    assert found.event_id == rows[2]["id"]


def test_only_the_first_break_of_each_plan_is_named(walked, demo):
    other = Plan.objects.exclude(pk=walked.pk).filter(events__isnull=False).first()
    rows = _rows(walked) + (_rows(other) if other else [])
    rows[0]["action"] = "accept"
    rows[2]["action"] = "accept"
    rows.sort(key=lambda r: (r["plan_id"], r["id"]))
    assert [b.event_id for b in chain.first_breaks(rows)] == [_rows(walked)[0]["id"]]


def test_the_migration_chains_events_written_before_the_chain(walked):
    """0005 fills rows without a hash, per plan in id order, continuing a chain already there."""
    last = events_of(walked)[-1]
    AuditEvent.objects.bulk_create(
        AuditEvent(plan=walked, actor=last.actor, action=f"legacy-{n}", from_status="a", to_status="b")
        for n in range(3)
    )
    assert verify(walked)[0] == 1  # unchained rows are a break
    fill = importlib.import_module("approvals.migrations.0005_audit_chain_fill").fill
    from django.apps import apps

    fill(apps, SimpleNamespace(connection=connection))
    code, out, err = verify(walked)
    assert code == 0, err
    assert "7 audit events" in out
    assert events_of(walked)[4].prev_hash == last.chain_hash


# --- PostgreSQL: the table itself --------------------------------------------------------------


@pytest.mark.postgres
def test_truncate_of_the_audit_table_is_refused(walked):
    for sql in (
        # The conversation's comments reference the audit table (the return they answer), so the
        # table alone is refused by that foreign key first; with them, the trigger must refuse.
        "TRUNCATE approvals_auditevent, dossier_comment",
        "TRUNCATE approvals_auditevent CASCADE",
        "TRUNCATE planning_plan CASCADE",  # would reach the audit table through its foreign key
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql)
    assert AuditEvent.objects.filter(plan=walked).count() == 4


@pytest.mark.postgres
def test_update_and_delete_are_refused(walked):
    event = events_of(walked)[1]
    for sql in (
        "UPDATE approvals_auditevent SET comment = 'x' WHERE id = %s",
        "DELETE FROM approvals_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])


@pytest.mark.postgres
def test_audit_verify_names_a_row_the_owner_edited_with_the_trigger_disabled(walked):
    event = events_of(walked)[1]
    with connection.cursor() as cursor:
        # The deferred foreign-key checks of this test's inserts must run before the ALTER.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE approvals_auditevent DISABLE TRIGGER approvals_audit_append_only")
        cursor.execute("UPDATE approvals_auditevent SET comment = 'Không có ý kiến' WHERE id = %s", [event.pk])
        cursor.execute("ALTER TABLE approvals_auditevent ENABLE TRIGGER approvals_audit_append_only")

    code, _out, err = verify()
    assert code == 1
    assert f"BROKEN plan {walked.pk}, event {event.pk}: its content does not match its hash" in err
    assert err.count("BROKEN") == 1  # the demo's other chains still verify


@pytest.mark.postgres
def test_flush_as_a_role_that_is_not_superuser_is_refused(walked):
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE audit_test_owner NOSUPERUSER")
        cursor.execute("GRANT audit_test_owner TO CURRENT_USER")
        cursor.execute("SET ROLE audit_test_owner")
    try:
        with pytest.raises(CommandError, match="only a superuser"):
            call_command("flush", interactive=False, verbosity=0)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(plan=walked).count() == 4

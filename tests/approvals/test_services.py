"""The decisions' services (``approvals.services``): the plan's state moves only by a legal
transition, the audit trail is appended (chained, with the validated request id) and never
rewritten, the council's resolution is recorded with its round, an idempotency key answers once,
and each decision tells the right officers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from approvals import selectors as decisions
from approvals import services as approvals
from approvals.models import AuditEvent, IdempotencyRecord, Resolution
from config.errors import Conflict
from directory.models import User
from notifications.models import Notification
from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_DRAFTER, D_HEAD, plan_of
from workflows import selectors as flow_selectors
from workflows import services as workflows

T2_COUNCIL = "t2-p12-hdnd-council_secretary"


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def commune(demo) -> Plan:
    return complete(plan_of("03592"))


def submitted(plan: Plan) -> Plan:
    workflows.plan_act(actor=user(C_HEAD), plan_id=plan.pk, action="submit")
    return Plan.objects.get(pk=plan.pk)


# --- transitions -------------------------------------------------------------------------------


def test_an_illegal_transition_is_a_conflict_and_stores_nothing(commune):
    plan = Plan.objects.get(pk=commune.pk)
    with pytest.raises(Conflict):
        approvals.plan_transition(plan=plan, target="accepted")  # a draft is not accepted before review
    assert Plan.objects.get(pk=commune.pk).status == "draft"


def test_a_legal_transition_is_saved(commune):
    plan = Plan.objects.get(pk=commune.pk)
    approvals.plan_transition(plan=plan, target="submitted")
    assert Plan.objects.get(pk=commune.pk).status == "submitted"


# --- the audit trail ---------------------------------------------------------------------------


def test_each_audit_row_is_chained_to_the_plans_previous_one(commune):
    plan = Plan.objects.get(pk=commune.pk)
    first = approvals.audit_record(plan=plan, actor=user(C_HEAD), action="submit", from_status="draft")
    second = approvals.audit_record(
        plan=plan, actor=user(D_HEAD), action="return", from_status="submitted", data={"on": dt.date(2026, 12, 1)}
    )
    previous = AuditEvent.objects.filter(plan=plan).exclude(pk__in=[first.pk, second.pk]).order_by("-id").first()
    assert first.prev_hash == (previous.chain_hash if previous else "")
    assert second.prev_hash == first.chain_hash
    assert AuditEvent.objects.get(pk=second.pk).data == {"on": "2026-12-01"}  # as the JSON column keeps it


def test_a_malformed_request_id_is_never_stored(commune):
    plan = Plan.objects.get(pk=commune.pk)
    event = approvals.audit_record(
        plan=plan, actor=user(C_HEAD), action="submit", from_status="draft", request_id="<script>x</script>" * 5
    )
    assert AuditEvent.objects.get(pk=event.pk).request_id == ""  # outside a request: none, never the raw value


def test_an_audit_row_cannot_be_rewritten_or_deleted_through_the_model(commune):
    submitted(commune)
    event = AuditEvent.objects.filter(plan=commune).latest("id")
    event.comment = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).comment == ""


def test_a_refused_action_writes_no_audit_row_and_no_notification(commune):
    plan = submitted(commune)
    events, notices = AuditEvent.objects.count(), Notification.objects.count()
    with pytest.raises(PermissionDenied):
        workflows.plan_act(actor=user(D_DRAFTER), plan_id=plan.pk, action="accept")
    with pytest.raises(Conflict):
        workflows.plan_act(actor=user(C_HEAD), plan_id=plan.pk, action="submit")
    assert (AuditEvent.objects.count(), Notification.objects.count()) == (events, notices)


def test_history_lists_the_plans_decisions_in_order(commune):
    plan = submitted(commune)
    workflows.plan_act(actor=user(D_HEAD), plan_id=plan.pk, action="return", comment="Bổ sung")
    actions = [event.action for event in decisions.history(plan)]
    assert actions[-2:] == ["submit", "return"]


# --- resolutions -------------------------------------------------------------------------------


def test_the_council_approval_records_its_resolution_with_the_plans_round(demo):
    plan = Plan.objects.get(unit__structure="two-tier", unit__code="12", cycle__year=2027, plan_type="annual")
    today = timezone.localdate()
    approved_round = plan.round_number  # the round the council approved (approving then freezes a new one)
    workflows.plan_act(
        actor=user(T2_COUNCIL),
        plan_id=plan.pk,
        action="approve",
        fields={"resolution_number": "15/NQ-HĐND", "resolution_date": today.strftime("%d/%m/%Y")},
    )
    plan.refresh_from_db()
    resolution = Resolution.objects.get(plan=plan)
    assert (resolution.number, resolution.date, resolution.recorded_by.username) == ("15/NQ-HĐND", today, T2_COUNCIL)
    assert resolution.round_number == approved_round
    assert flow_selectors.plan_resolution(plan) == resolution
    event = AuditEvent.objects.filter(plan=plan).latest("id")
    assert (event.action, event.data["resolution_number"], event.data["resolution_date"]) == (
        "approve",
        "15/NQ-HĐND",
        today.isoformat(),
    )


def test_the_resolution_of_the_latest_round_is_the_plans(demo):
    plan = Plan.objects.get(unit__structure="two-tier", unit__code="12", cycle__year=2027, plan_type="annual")
    council = user(T2_COUNCIL)
    approvals.resolution_record(actor=council, plan=plan, number="10/NQ-HĐND", date=dt.date(2026, 12, 1))
    plan.round_number += 1  # an amended plan approved again
    approvals.resolution_record(actor=council, plan=plan, number="22/NQ-HĐND", date=dt.date(2026, 11, 1))
    assert flow_selectors.plan_resolution(plan).number == "22/NQ-HĐND"


# --- idempotency -------------------------------------------------------------------------------


def test_an_idempotency_key_answers_once_and_only_for_its_action(commune):
    head = user(C_HEAD)
    first = workflows.plan_act(actor=head, plan_id=commune.pk, action="submit", idempotency_key="k-1")
    events = AuditEvent.objects.filter(plan=commune).count()
    assert approvals.idempotent_replay(actor=head, key="k-1", plan_id=commune.pk, action="submit") == {
        **first,
        "replayed": True,
    }
    assert workflows.plan_act(actor=head, plan_id=commune.pk, action="submit", idempotency_key="k-1")["replayed"]
    with pytest.raises(Conflict):
        approvals.idempotent_replay(actor=head, key="k-1", plan_id=commune.pk, action="return")
    with pytest.raises(Conflict):
        approvals.idempotent_replay(actor=head, key="k-1", plan_id=commune.pk + 1, action="submit")
    # Keys are the officer's own: another officer's "k-1" is a new request.
    assert approvals.idempotent_replay(actor=user(C_DRAFTER), key="k-1", plan_id=commune.pk, action="submit") is None
    assert AuditEvent.objects.filter(plan=commune).count() == events
    assert IdempotencyRecord.objects.filter(actor=head, key="k-1").count() == 1


# --- who is told -------------------------------------------------------------------------------


def test_a_submission_tells_the_reviewing_agency_of_its_new_task(commune):
    last = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    plan = submitted(commune)
    (item,) = flow_selectors.open_items_of(plan)
    new = Notification.objects.filter(plan=plan, kind="task", id__gt=last)
    told = set(new.values_list("recipient__username", flat=True))
    assert D_HEAD in told  # the district's standing agency head decides the review
    assert C_HEAD not in told and item.agency.unit_id == plan.unit.parent_id


def test_a_return_tells_the_commune_with_the_reason_but_not_the_officer_who_returned(commune):
    plan = submitted(commune)
    last = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    workflows.plan_act(actor=user(D_HEAD), plan_id=plan.pk, action="return", comment="Thiếu danh sách hộ")
    returned = Notification.objects.filter(plan=plan, kind="returned", id__gt=last)
    told = set(returned.values_list("recipient__username", flat=True))
    assert {C_DRAFTER, C_HEAD} <= told
    assert D_HEAD not in told
    assert all("Thiếu danh sách hộ" in n.text_vi for n in returned)

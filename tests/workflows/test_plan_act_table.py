"""``plan_act`` as tables: route options (on a task) and side actions (without one) as two
types, each action's effects declared once, one idempotency wrapper, labels through gettext."""

import pytest
from django.utils import translation

from approvals.models import AuditEvent
from config.errors import Conflict
from directory.models import User
from planning.models import Plan, PlanRound, PlanStatus
from tests.complete import complete
from tests.workflows.conftest import D_HEAD, plan_of
from workflows import services


@pytest.fixture
def two_submitted(demo):
    """Two communes of Phong Thổ submitted to the district."""
    plans = []
    drafts = Plan.objects.filter(parent=plan_of("109"), status="draft").select_related("unit").order_by("unit__code")
    for plan in drafts[:2]:
        head = User.objects.get(username=f"t3-c{plan.unit.code}-ubnd-head")
        services.plan_act(actor=head, plan_id=complete(plan).pk, action="submit")
        plans.append(plan)
    return plans


def test_route_options_carry_their_task_and_side_actions_none(two_submitted):
    reviewer = User.objects.get(username=D_HEAD)
    options = {o.action: o for o in services.plan_options(user=reviewer, plan=two_submitted[0])}
    assert isinstance(options["accept"], services.RouteOption)
    assert options["accept"].item.step == options["accept"].step == "review"
    assert isinstance(options["waive"], services.SideOption)
    assert options["waive"].as_dict() == {
        "action": "waive",
        "label": "Miễn (không chờ)",
        "step": "",
        "fields": ["comment"],
        "required": ["comment"],
        "acting_for": None,
    }
    assert options["return"].required == ("comment",)
    assert not any(o.action == "reopen" for o in options.values())  # not accepted yet


def test_asking_for_one_action_builds_only_that_one(two_submitted):
    reviewer = User.objects.get(username=D_HEAD)
    assert [o.action for o in services.plan_options(user=reviewer, plan=two_submitted[0], action="waive")] == ["waive"]
    assert [o.action for o in services.plan_options(user=reviewer, plan=two_submitted[0], action="accept")] == [
        "accept"
    ]


def test_the_effects_of_submit_and_approve_are_declared_once():
    assert services.ROUTE_EFFECTS["submit"].before == (services._freeze_submitted,)
    assert services.ROUTE_EFFECTS["approve"].before == (services._record_resolution,)
    assert services.ROUTE_EFFECTS["approve"].after == (services._freeze_approved,)
    assert set(services.SIDE_ACTIONS) == {"waive", "reopen", "amend"}
    assert services.SIDE_ACTIONS["reopen"].returned and not services.SIDE_ACTIONS["amend"].returned


def test_a_submission_freezes_its_round(two_submitted):
    assert PlanRound.objects.filter(plan=two_submitted[0], kind=PlanRound.Kind.SUBMISSION).exists()


def test_a_key_raced_onto_another_plan_is_answered_from_the_winners_record(two_submitted, monkeypatch):
    """Two requests with one key on two plans both pass the check (forced here): the loser's
    transaction meets the record's unique key, is rolled back whole and, tried again, finds
    the key used for another plan (409), its plan untouched."""
    first, second = two_submitted
    reviewer = User.objects.get(username=D_HEAD)
    services.plan_act(actor=reviewer, plan_id=first.pk, action="accept", idempotency_key="one-key")
    real_replay = services.approvals.idempotent_replay
    calls = []

    def blind_once(**kwargs):
        calls.append(kwargs["plan_id"])
        return None if len(calls) == 1 else real_replay(**kwargs)

    monkeypatch.setattr(services.approvals, "idempotent_replay", blind_once)
    with pytest.raises(Conflict, match="idempotency"):
        services.plan_act(actor=reviewer, plan_id=second.pk, action="accept", idempotency_key="one-key")
    assert calls == [second.pk, second.pk]
    second.refresh_from_db()
    assert second.status == PlanStatus.SUBMITTED
    assert not AuditEvent.objects.filter(plan=second, action="accept").exists()


def test_a_replay_gets_the_first_answer_and_changes_nothing(two_submitted):
    reviewer = User.objects.get(username=D_HEAD)
    first = services.plan_act(actor=reviewer, plan_id=two_submitted[0].pk, action="accept", idempotency_key="again")
    again = services.plan_act(actor=reviewer, plan_id=two_submitted[0].pk, action="accept", idempotency_key="again")
    assert again == {**first, "replayed": True}
    assert AuditEvent.objects.filter(plan=two_submitted[0], action="accept").count() == 1


def test_labels_come_from_the_catalogue():
    assert services.action_label("accept") == "Chấp nhận"
    with translation.override("en"):
        assert services.action_label("accept") == "Accept"  # the catalogue's existing entry

"""A stateful property test of the routes: random actors and random actions, through
``workflows.services.plan_act`` (the one entry point), against a small reference model.

For every plan type of ``workflows/data/routes.json`` at every level of both structures, a
hypothesis ``RuleBasedStateMachine`` drives one plan with officers who may act and officers who
may not (wrong role, wrong agency, the level above, the ministry, outsiders), every action
(the route's, return, waive, reopen, amend), with and without the fields they need, and replays
of an answered idempotency key. After each step:

* the plan's status and its open steps are the model's;
* a refused action changed nothing (status, audit rows, open tasks);
* an active plan has exactly one open task per open step (lane), held by the step's agency;
  a member of that agency finds it in the inbox, an officer who cannot see the plan never does;
* the plan's audit chain verifies (``approvals.chain``, what ``audit_verify`` runs).

The model is written from the documented semantics (README "How a plan moves" and the routes
data read as plain JSON), not from ``workflows.routes``: who acts at a step is the step's actor
unit (own, parent, nation) and agency (standing/drafting: the unit's programme setting, else
the usual department; else the agency of that kind), with the action's roles, held directly or
under a delegation in force today; ``next``/``previous``/``end``/a step name say where it leads;
entering a step sets its status (draft: "returned" when the plan comes back to it). Side
actions: ``waive`` and ``reopen`` by the head of the parent's standing agency on a bottom-up plan
whose parent is still being drafted; ``amend`` by the plan's own standing head once its route
ended (approved, closed, accepted, guidance issued).

Deterministic (``derandomize=True``, no example database) and bounded for CI.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from approvals import chain
from approvals.models import AuditEvent
from config.errors import Conflict
from directory.models import (
    AdministrativeUnit,
    Agency,
    Delegation,
    Membership,
    ProgrammeSetting,
    Role,
    Structure,
    Tier,
    UnitSuccession,
    User,
)
from planning.models import Cycle, Plan, PlanType
from tests.complete import complete
from workflows import selectors, services
from workflows.models import WorkItem

ROUTES = json.loads((Path(__file__).resolve().parents[2] / "workflows" / "data" / "routes.json").read_text("utf-8"))
ACTIONS = (
    "submit",
    "accept",
    "return",
    "approve",
    "report",
    "acknowledge",
    "issue_guidance",
    "waive",
    "reopen",
    "amend",
)
SIDE = ("waive", "reopen", "amend")
NEEDS_COMMENT = ("return", "waive", "reopen", "amend")
ENTRY = {
    "review": "submitted",
    "appraisal": "appraisal",
    "council": "council",
    "report": "approved",
    "ministry": "reported",
}
END_STATUS = {"accept": "accepted", "acknowledge": "closed", "issue_guidance": "guidance_issued"}
AMENDABLE = ("approved", "closed", "accepted", "guidance_issued")
EDITABLE = ("draft", "returned")
END = "end"

# The plan's unit per (structure, tier), and the cycle each structure's demo plans are in.
UNITS = {
    (Structure.TWO_TIER, Tier.PROVINCE): "12",
    (Structure.TWO_TIER, Tier.COMMUNE): "03388",
    (Structure.THREE_TIER, Tier.PROVINCE): "12",
    (Structure.THREE_TIER, Tier.DISTRICT): "109",
    (Structure.THREE_TIER, Tier.COMMUNE): "03592",
}
YEAR = {Structure.TWO_TIER: 2025, Structure.THREE_TIER: 2023}
STANDING_PREFERENCE = {
    Structure.TWO_TIER: ["agriculture", "labour", "people_committee"],
    Structure.THREE_TIER: ["labour", "agriculture", "people_committee"],
}
_keys = itertools.count()


# --- the reference model -----------------------------------------------------------------------


@dataclass(frozen=True)
class Officer:
    pk: int
    username: str
    roles: frozenset[tuple[int, str]]  # (agency id, role), own or under a delegation in force today
    units: frozenset[int]  # the units of the agencies the officer belongs to


@dataclass
class World:
    """What the model knows of the directory and the plan's surroundings (read once, at the start)."""

    plan_id: int
    plan_type: str
    tier: str
    unit: AdministrativeUnit
    nation: AdministrativeUnit
    steps: list[str]
    direction: str
    period: str
    parent_editable: bool  # a parent plan exists and is still being drafted
    officers: list[Officer]
    visible: dict[int, bool] = field(default_factory=dict)  # officer pk → may see the plan
    users: dict[int, User] = field(default_factory=dict)
    agency_ids: dict[int, list[int]] = field(default_factory=dict)  # officer pk → inbox agencies
    _agencies: dict = field(default_factory=dict)

    def standing(self, unit: AdministrativeUnit) -> int | None:
        key = ("standing", unit.pk)
        if key not in self._agencies:
            self._agencies[key] = self._standing(unit)
        return self._agencies[key]

    def _standing(self, unit: AdministrativeUnit) -> int | None:
        setting = ProgrammeSetting.objects.filter(unit=unit, period=self.period).first()
        if setting:
            return setting.standing_agency_id
        kinds = ["people_committee"] if unit.tier == Tier.COMMUNE else STANDING_PREFERENCE[unit.structure]
        agencies = dict(Agency.objects.filter(unit=unit).values_list("kind", "pk"))
        return next((agencies[k] for k in kinds if k in agencies), None)

    def agency(self, step: str, lane: str = "") -> int | None:
        key = (step, lane)
        if key not in self._agencies:
            self._agencies[key] = self._agency(step, lane)
        return self._agencies[key]

    def _agency(self, step: str, lane: str) -> int | None:
        spec = ROUTES["steps"][step]
        unit = {"self": self.unit, "parent": self.unit.parent, "nation": self.nation}[spec["actor"]]
        kind = spec["lanes"][lane]["agency"] if lane else spec["agency"]
        if kind in ("standing", "drafting"):
            return self.standing(unit)
        return Agency.objects.filter(unit=unit, kind=kind).values_list("pk", flat=True).first()

    def lanes(self, step: str) -> list[str]:
        return list(ROUTES["steps"][step].get("lanes", {}))

    def goto(self, step: str, goto: str) -> str:
        index = self.steps.index(step)
        if goto == "next":
            return self.steps[index + 1] if index + 1 < len(self.steps) else END
        if goto == "previous":
            return self.steps[index - 1]
        return goto

    def entered(self, step: str) -> dict[tuple[str, str], int | None]:
        """The open tasks of a step just entered: one, or one per lane of a parallel step."""
        lanes = self.lanes(step)
        if lanes:
            return {(step, lane): self.agency(step, lane) for lane in lanes}
        return {(step, ""): self.agency(step)}


@dataclass
class Model:
    status: str
    open: dict[tuple[str, str], int | None]  # (step, lane) → the agency holding its task

    def expect(self, world: World, officer: Officer, action: str, comment: str, fields: dict) -> tuple[str, Model]:
        """The outcome the documented rules give (``ok``, ``404``, ``409``, ``403``, ``400``) and
        the model after it."""
        if not world.visible[officer.pk]:
            return "404", self
        candidates = self._candidates(world, action)  # [(agency, roles, (step, lane) or None)]
        if not candidates:
            return "409", self
        permitted = [c for c in candidates if any((c[0], role) in officer.roles for role in c[1])]
        if not permitted:
            return "403", self
        if action in NEEDS_COMMENT and not comment.strip():
            return "400", self
        if action == "approve" and not (fields.get("resolution_number") and fields.get("resolution_date")):
            return "400", self
        return "ok", self._after(world, action, permitted[0][2])

    def _candidates(self, world: World, action: str) -> list[tuple[int | None, list[str], tuple[str, str] | None]]:
        if action not in SIDE:
            out = []
            for (step, lane), agency in sorted(self.open.items(), key=lambda kv: _lane_order(world, kv[0])):
                spec = ROUTES["steps"][step]["actions"].get(action)
                if spec:
                    out.append((agency, spec["roles"], (step, lane)))
            return out
        parent_agency = world.standing(world.unit.parent) if world.unit.parent.tier != Tier.NATION else None
        if action in ("waive", "reopen"):
            allowed_from = ("draft", "returned", "submitted") if action == "waive" else ("accepted", "waived")
            if (
                world.direction == "bottom-up"
                and world.parent_editable
                and parent_agency
                and self.status in allowed_from
            ):
                return [(parent_agency, [Role.HEAD], None)]
            return []
        own = world.standing(world.unit)
        if self.status in AMENDABLE and not self.open and own:
            return [(own, [Role.HEAD], None)]
        return []

    def _after(self, world: World, action: str, where: tuple[str, str] | None) -> Model:
        if action == "waive":
            return Model("waived", {})
        if action == "reopen":
            return Model("returned", {("draft", ""): world.agency("draft")})
        if action == "amend":
            return Model("draft", world.entered(world.steps[0]))
        step, lane = where
        goto = world.goto(step, ROUTES["steps"][step]["actions"][action]["goto"])
        if lane and action == "accept" and len(self.open) > 1:
            rest = dict(self.open)
            del rest[(step, lane)]
            return Model(self.status, rest)  # waits for the other lane
        if goto == END:
            return Model(END_STATUS[action], {})
        status = "returned" if goto == "draft" else ENTRY[goto]
        return Model(status, world.entered(goto))


def _lane_order(world: World, key: tuple[str, str]) -> int:
    step, lane = key
    return world.lanes(step).index(lane) if lane else 0


# --- the world of one plan ---------------------------------------------------------------------


def _officer(user: User, today: dt.date) -> Officer:
    roles = set(Membership.objects.filter(user=user).values_list("agency_id", "role"))
    for delegation in Delegation.objects.filter(deputy=user, starts_on__lte=today, ends_on__gte=today):
        principal_roles = Membership.objects.filter(user_id=delegation.principal_id, agency_id=delegation.agency_id)
        roles |= {(delegation.agency_id, role) for role in principal_roles.values_list("role", flat=True)}
    units = set(Agency.objects.filter(memberships__user=user).values_list("unit_id", flat=True))
    return Officer(user.pk, user.username, frozenset(roles), frozenset(units))


def _sees(officer: Officer, plan: Plan) -> bool:
    """README: a unit's officers see its plans and everything below; the ministry the provinces';
    a two-tier unit also the three-tier plans of the units it succeeded (and below an old province)."""
    for unit in AdministrativeUnit.objects.filter(pk__in=officer.units):
        if unit.tier == Tier.NATION and plan.unit.tier == Tier.PROVINCE:
            return True
        if unit.pk in (plan.unit_id, plan.province_id, plan.district_id):
            return True
        old = UnitSuccession.objects.filter(new=unit)
        if (
            old.filter(old_id=plan.unit_id).exists()
            or old.filter(old_id=plan.province_id, old__tier=Tier.PROVINCE).exists()
        ):
            return True
    return False


def _member(agency_id: int, role: str) -> User:
    return (
        User.objects.filter(memberships__agency_id=agency_id, memberships__role=role, is_active=True)
        .order_by("username")
        .first()
    )


def _drive_to_end(plan: Plan) -> None:
    """Issue the guidance of a top-down plan above (its route is one step)."""
    for _ in range(5):
        item = WorkItem.objects.filter(plan=plan, is_open=True).first()
        if item is None:
            return
        services.plan_act(actor=_member(item.agency_id, Role.HEAD), plan_id=plan.pk, action="issue_guidance")


def _plan(cycle: Cycle, unit: AdministrativeUnit, plan_type: str) -> Plan:
    plan = Plan.objects.filter(cycle=cycle, unit=unit, plan_type=plan_type).first()
    if plan is None:
        opener = User.objects.filter(
            memberships__agency__unit=unit, memberships__role__in=[Role.DRAFTER, Role.HEAD]
        ).order_by("username")[0]
        plan = services.plan_open(actor=opener, cycle=cycle, unit=unit, plan_type=plan_type)
    return Plan.objects.select_related("unit__parent", "cycle__period", "parent").get(pk=plan.pk)


def world_of(structure: str, tier: str, plan_type: str) -> World:
    """The plan of the case, ready to move: the levels above issued their guidance (top-down),
    the parent plan is open (bottom-up: the level above may waive and reopen), the plans below
    are waived (so it may be submitted), and its content is complete."""
    cycle = Cycle.objects.get(year=YEAR[structure], structure=structure)
    unit = AdministrativeUnit.objects.select_related("parent").get(structure=structure, code=UNITS[structure, tier])
    direction = ROUTES["plan_types"][plan_type]["direction"]
    above = [u for u in reversed(unit.ancestors()) if u.tier != Tier.NATION]
    for ancestor in above:
        parent_plan = _plan(cycle, ancestor, plan_type)
        if direction == "top-down":
            _drive_to_end(parent_plan)
    plan = _plan(cycle, unit, plan_type)
    if direction == "bottom-up":
        head = None
        for child in plan.children.exclude(status__in=["accepted", "waived"]):
            head = head or _member(services.routes.standing_agency(unit, cycle.period.code).pk, Role.HEAD)
            services.plan_act(actor=head, plan_id=child.pk, action="waive", comment="Không chờ")
    complete(plan)
    plan = Plan.objects.select_related("unit__parent", "cycle__period", "parent").get(pk=plan.pk)
    nation = AdministrativeUnit.objects.get(structure=Structure.NATIONAL, tier=Tier.NATION)
    today = timezone.localdate()
    around = {unit.pk, nation.pk, *(u.pk for u in above)}
    insiders = User.objects.filter(memberships__agency__unit_id__in=around).distinct().order_by("username")
    outsiders = (
        User.objects.filter(memberships__isnull=False)
        .exclude(pk__in=insiders.values("pk"))
        .distinct()
        .order_by("username")
    )
    users = [*insiders, *outsiders[:4]]
    officers = [_officer(user, today) for user in users]
    world = World(
        plan_id=plan.pk,
        plan_type=plan_type,
        tier=tier,
        unit=unit,
        nation=nation,
        steps=list(ROUTES["plan_types"][plan_type]["levels"][tier]),
        direction=direction,
        period=cycle.period.code,
        parent_editable=plan.parent is not None and plan.parent.status in EDITABLE,
        officers=officers,
    )
    world.visible = {officer.pk: _sees(officer, plan) for officer in officers}
    world.users = {user.pk: user for user in users}
    world.agency_ids = {user.pk: selectors.agency_ids_of(user) for user in users}
    assert any(not seen for seen in world.visible.values()), "the pool needs officers who cannot see the plan"
    return world


def observed(world: World) -> Model:
    plan = Plan.objects.get(pk=world.plan_id)
    items = WorkItem.objects.filter(plan_id=world.plan_id, is_open=True)
    return Model(plan.status, {(i.step, i.lane): i.agency_id for i in items})


# --- the machine -------------------------------------------------------------------------------


class RouteMachine(RuleBasedStateMachine):
    world: World  # set per case by ``_machine``

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.model = observed(self.world)
        self.answered: list[tuple[Officer, str, str, dict]] = []  # (officer, key, action, answer)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # the plan as it stands

    def _snapshot(self) -> tuple:
        plan = Plan.objects.get(pk=self.world.plan_id)
        open_ids = sorted(WorkItem.objects.filter(plan=plan, is_open=True).values_list("pk", flat=True))
        return plan.status, AuditEvent.objects.filter(plan=plan).count(), open_ids

    def _act(self, officer: Officer, action: str, comment: str, fields: dict, key: str) -> str:
        user = self.world.users[officer.pk]
        before = self._snapshot()
        expected, after = self.model.expect(self.world, officer, action, comment, fields)
        try:
            answer = services.plan_act(
                actor=user,
                plan_id=self.world.plan_id,
                action=action,
                comment=comment,
                fields=fields,
                idempotency_key=key,
            )
            outcome = "ok"
        except Http404:
            outcome = "404"
        except PermissionDenied:
            outcome = "403"
        except ValidationError:
            outcome = "400"
        except Conflict:
            outcome = "409"
        assert outcome == expected, (officer.username, action, self.model, outcome, expected)
        if outcome != "ok":
            assert self._snapshot() == before, "a refused action changed the plan"
            return outcome
        self.model = after
        assert AuditEvent.objects.filter(plan_id=self.world.plan_id).count() == before[1] + 1
        assert (answer["status"], answer["action"]) == (after.status, action)
        if key:
            self.answered.append((officer, key, action, answer))
        return outcome

    # rules

    @rule(data=st.data(), keyed=st.booleans())
    def a_permitted_officer_takes_an_open_action(self, data, keyed: bool) -> None:
        """Mostly forward: an action the model says is open, by an officer it says may take it."""
        pairs = [
            (officer, action)
            for action in ACTIONS
            for officer in self.world.officers
            if self.model.expect(self.world, officer, action, "Ý kiến", _good_fields(action))[0] == "ok"
        ]
        if not pairs:
            return
        officer, action = data.draw(st.sampled_from(pairs), label="officer, action")
        self._act(officer, action, "Ý kiến", _good_fields(action), f"k{next(_keys)}" if keyed else "")

    @rule(
        data=st.data(),
        action=st.sampled_from(ACTIONS),
        comment=st.sampled_from(["", "  ", "Đề nghị bổ sung"]),
        with_fields=st.booleans(),
    )
    def anyone_tries_anything(self, data, action: str, comment: str, with_fields: bool) -> None:
        officer = data.draw(st.sampled_from(self.world.officers), label="officer")
        fields = _good_fields(action) if with_fields else {}
        self._act(officer, action, comment, fields, f"k{next(_keys)}")

    @precondition(lambda self: self.answered)
    @rule(data=st.data())
    def a_retry_with_the_same_key_gets_the_first_answer(self, data) -> None:
        officer, key, action, answer = data.draw(st.sampled_from(self.answered), label="answered")
        before = self._snapshot()
        replay = services.plan_act(
            actor=self.world.users[officer.pk], plan_id=self.world.plan_id, action=action, idempotency_key=key
        )
        assert replay == {**answer, "replayed": True}
        assert self._snapshot() == before

    @precondition(lambda self: self.answered)
    @rule(data=st.data(), other=st.sampled_from(ACTIONS))
    def the_same_key_for_another_action_is_refused(self, data, other: str) -> None:
        officer, key, action, _answer = data.draw(st.sampled_from(self.answered), label="answered")
        if other == action:
            return
        before = self._snapshot()
        with pytest.raises(Conflict):
            services.plan_act(
                actor=self.world.users[officer.pk],
                plan_id=self.world.plan_id,
                action=other,
                comment="x",
                idempotency_key=key,
            )
        assert self._snapshot() == before

    # invariants

    @invariant()
    def the_plan_is_where_the_model_says(self) -> None:
        now = observed(self.world)
        assert (now.status, now.open) == (self.model.status, self.model.open)

    @invariant()
    def an_active_plan_has_one_open_task_per_open_step_in_its_agencys_inbox(self) -> None:
        items = list(WorkItem.objects.filter(plan_id=self.world.plan_id, is_open=True))
        assert len(items) == len({(i.step, i.lane) for i in items}) == len(self.model.open)
        for item in items:
            holder = next(o for o in self.world.officers if any(agency == item.agency_id for agency, _role in o.roles))
            inbox = selectors.inbox(user=self.world.users[holder.pk], agency_ids=self.world.agency_ids[holder.pk])
            assert inbox.filter(plan_id=self.world.plan_id).exists(), (holder.username, item.step)

    @invariant()
    def no_one_who_cannot_see_the_plan_has_it_in_the_inbox(self) -> None:
        for officer in self.world.officers:
            if not self.world.visible[officer.pk]:
                inbox = selectors.inbox(user=self.world.users[officer.pk], agency_ids=self.world.agency_ids[officer.pk])
                assert not inbox.filter(plan_id=self.world.plan_id).exists(), officer.username

    @invariant()
    def the_audit_chain_verifies(self) -> None:
        events = AuditEvent.objects.filter(plan_id=self.world.plan_id).order_by("id").values(*chain.VERIFY_FIELDS)
        assert list(chain.first_breaks(events)) == []


def _good_fields(action: str) -> dict:
    if action == "approve":
        return {"resolution_number": "15/NQ-HĐND", "resolution_date": timezone.localdate().isoformat()}
    return {}


CASES = [
    pytest.param(structure, tier, plan_type, id=f"{structure}-{tier}-{plan_type}")
    for (structure, tier) in UNITS
    for plan_type in PlanType.values
    if tier in ROUTES["plan_types"][plan_type]["levels"]
]
MACHINE_SETTINGS = settings(
    max_examples=2,
    stateful_step_count=10,
    phases=[Phase.generate, Phase.shrink],
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_every_plan_type_at_every_level_of_both_structures_is_covered():
    covered = {(tier, plan_type) for _structure, tier, plan_type in (c.values for c in CASES)}
    wanted = {(tier, t) for t, spec in ROUTES["plan_types"].items() for tier in spec["levels"]}
    assert covered == wanted
    assert {c.values[0] for c in CASES} == {Structure.TWO_TIER, Structure.THREE_TIER}


@pytest.mark.parametrize(("structure", "tier", "plan_type"), CASES)
def test_the_route_follows_the_reference_model(demo, structure, tier, plan_type):
    world = world_of(structure, tier, plan_type)
    machine = type(f"RouteMachine_{structure}_{tier}_{plan_type}", (RouteMachine,), {"world": world})
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)

"""Routes from data: which steps a plan goes through and who acts at each.

``workflows/data/routes.json`` holds, per plan type, the steps of each level and, per step, the
acting unit (the plan's own, its parent, or the nation), the acting agency and the actions with
the roles that may take them. The unit tree supplies the levels, so a two-tier commune's
"parent" is its province and the district steps simply do not occur.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Value
from django.utils.translation import get_language

from directory.models import AdministrativeUnit, Agency, AgencyKind, ProgrammeSetting, Structure, Tier
from planning.models import Plan, PlanStatus

ROUTES_PATH = Path(__file__).resolve().parent / "data" / "routes.json"
END = "end"
NEXT = "next"
# The step before this one in the level's list: where the ministry's return sends a report back
# to (the province's "report" step after a council, its "draft" for a monitoring report).
PREVIOUS = "previous"

# Status a plan takes when it enters a step (draft: "returned" when it comes back to it).
ENTRY_STATUS = {
    "review": PlanStatus.SUBMITTED,
    "appraisal": PlanStatus.APPRAISAL,
    "council": PlanStatus.COUNCIL,
    "report": PlanStatus.APPROVED,
    "ministry": PlanStatus.REPORTED,
}
# Status a plan takes when an action ends its route.
END_STATUS = {
    "accept": PlanStatus.ACCEPTED,
    "acknowledge": PlanStatus.CLOSED,
    "issue_guidance": PlanStatus.GUIDANCE_ISSUED,
}


@dataclass(frozen=True)
class ActionSpec:
    name: str
    roles: tuple[str, ...]
    goto: str
    fields: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.rstrip("!") for f in self.fields if f.endswith("!"))

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.rstrip("!") for f in self.fields)


@dataclass(frozen=True)
class Lane:
    name: str
    agency: str
    title_vi: str
    title_en: str


@dataclass(frozen=True)
class StepSpec:
    name: str
    title_vi: str
    title_en: str
    actor: str
    agency: str
    actions: dict[str, ActionSpec]
    lanes: tuple[Lane, ...] = field(default=())
    writers: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "vi").startswith("en") else self.title_vi

    @property
    def is_parallel(self) -> bool:
        return bool(self.lanes)


@cache
def _data() -> dict[str, Any]:
    data = json.loads(ROUTES_PATH.read_text(encoding="utf-8"))
    problems = route_problems(data)
    if problems:
        raise ImproperlyConfigured(f"{ROUTES_PATH}: " + "; ".join(problems))
    return data


def route_problems(data: dict[str, Any]) -> list[str]:
    """What is wrong with a routes document: an unknown step in a level, or an action of a step
    that would lead off the route of a level that has the step (every return must land on a
    step of its own route)."""
    problems = []
    steps = data["steps"]
    for plan_type, spec in data["plan_types"].items():
        for tier, names in spec["levels"].items():
            for index, name in enumerate(names):
                if name not in steps:
                    problems.append(f"{plan_type}/{tier}: unknown step {name!r}")
                    continue
                for action, action_spec in steps[name]["actions"].items():
                    goto = action_spec["goto"]
                    if goto in (NEXT, END) or (goto == PREVIOUS and index > 0) or goto in names[:index]:
                        continue
                    problems.append(
                        f"{plan_type}/{tier}: {name}.{action} leads to {goto!r}, not an earlier step of {names}"
                    )
    return problems


@cache
def step_spec(name: str) -> StepSpec:
    raw = _data()["steps"][name]
    actions = {
        action: ActionSpec(
            name=action,
            roles=tuple(spec["roles"]),
            goto=spec["goto"],
            fields=tuple(spec.get("fields", ())),
            requires=tuple(spec.get("requires", ())),
        )
        for action, spec in raw["actions"].items()
    }
    lanes = tuple(Lane(name=n, **lane) for n, lane in raw.get("lanes", {}).items())
    return StepSpec(
        name=name,
        title_vi=raw["title_vi"],
        title_en=raw["title_en"],
        actor=raw["actor"],
        agency=raw.get("agency", ""),
        actions=actions,
        lanes=lanes,
        writers=tuple(raw.get("writers", ())),
    )


@cache
def step_roles(name: str) -> tuple[str, ...]:
    """The roles whose officers a task at this step is for (its notice, its reminders): those
    its actions allow, plus its writers (the drafters of a draft: they write it, though only
    the head may submit it)."""
    spec = step_spec(name)
    roles = {role for action in spec.actions.values() for role in action.roles} | set(spec.writers)
    return tuple(sorted(roles))


def direction(plan_type: str) -> str:
    return _data()["plan_types"][plan_type]["direction"]


def steps_at(plan_type: str, tier: str) -> list[str]:
    """The steps a plan type's route has at a level (empty when the level has none)."""
    return list(_data()["plan_types"].get(plan_type, {}).get("levels", {}).get(tier, []))


def steps_for(plan: Plan) -> list[str]:
    """The steps of this plan's level (its unit's tier) for its type."""
    return steps_at(plan.plan_type, plan.unit.tier)


def first_step(plan: Plan) -> str:
    return steps_for(plan)[0]


def resolve_goto(plan: Plan, step: str, goto: str) -> str:
    """Where an action leads: ``next`` → the following step (or the end), ``previous`` → the
    step before, else a step name (always an earlier step of the same route: route_problems)."""
    return goto_at(plan.plan_type, plan.unit.tier, step, goto)


def goto_at(plan_type: str, tier: str, step: str, goto: str) -> str:
    """resolve_goto for a plan type's route at a level."""
    if goto not in (NEXT, PREVIOUS):
        return goto
    steps = steps_at(plan_type, tier)
    index = steps.index(step)
    if goto == PREVIOUS:
        return steps[index - 1]
    return steps[index + 1] if index + 1 < len(steps) else END


def acting_unit(plan: Plan, step: StepSpec) -> AdministrativeUnit:
    if step.actor == "parent":
        return plan.unit.parent
    if step.actor == "nation":
        return AdministrativeUnit.objects.get(structure=Structure.NATIONAL, tier=Tier.NATION)
    return plan.unit


def standing_kinds(unit: AdministrativeUnit) -> list[str]:
    """Without a setting, which agency kinds stand for the programme, in order of preference."""
    if unit.tier == Tier.COMMUNE:
        return [AgencyKind.PEOPLE_COMMITTEE]
    if unit.structure == Structure.TWO_TIER:
        return [AgencyKind.AGRICULTURE, AgencyKind.LABOUR, AgencyKind.PEOPLE_COMMITTEE]
    return [AgencyKind.LABOUR, AgencyKind.AGRICULTURE, AgencyKind.PEOPLE_COMMITTEE]


def standing_agency(unit: AdministrativeUnit, period: str) -> Agency | None:
    """The programme's standing agency of a unit: the province's setting for the period, else
    the usual department for the tier and structure."""
    kinds = standing_kinds(unit)
    # One statement for both: the setting's agency (set=True), then the unit's usual ones.
    setting = ProgrammeSetting.objects.filter(unit=unit, period=period).values("standing_agency_id")
    chosen = Agency.objects.filter(pk__in=setting).annotate(set=Value(True)).order_by()
    usual = Agency.objects.filter(unit=unit, kind__in=kinds).annotate(set=Value(False)).order_by()
    agencies = list(chosen.union(usual, all=True))
    if found := next((a for a in agencies if a.set), None):
        return found
    by_kind = {a.kind: a for a in agencies}
    return next((by_kind[k] for k in kinds if k in by_kind), None)


def acting_agency(plan: Plan, step: StepSpec, lane: Lane | None = None) -> Agency | None:
    unit = acting_unit(plan, step)
    kind = lane.agency if lane else step.agency
    period = plan.cycle.period.code
    if kind in ("standing", "drafting"):
        # Communes draft in their People's Committee; upper levels in the standing agency.
        return standing_agency(unit, period)
    return Agency.objects.filter(unit=unit, kind=kind).first()


def all_steps() -> list[str]:
    return list(_data()["steps"])

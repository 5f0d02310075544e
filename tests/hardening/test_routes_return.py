"""Every return of every route lands on a step of that route, and the plan can go on from there.

The data check covers every plan type at every level of routes.json; the walk drives a real plan
of each type at each level of both structures through ``plan_act`` — forward to each step that
can return, return it, check where it landed, and go on — to the end of its route.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from directory.models import AdministrativeUnit, Membership, Role, Structure, User
from planning.models import Cycle, Plan, PlanStatus, PlanType
from tests.complete import complete
from workflows import routes, services
from workflows.models import WorkItem

FORWARD = {
    "draft": "submit",
    "review": "accept",
    "appraisal": "accept",
    "council": "approve",
    "report": "report",
    "ministry": "acknowledge",
    "issue": "issue_guidance",
}
END_OF_ROUTE = {PlanStatus.ACCEPTED, PlanStatus.CLOSED, PlanStatus.GUIDANCE_ISSUED}


# --- the data ----------------------------------------------------------------------------------


def test_routes_json_has_no_action_leading_off_its_route():
    assert routes.route_problems(routes._data()) == []


def test_every_action_of_every_level_lands_on_that_levels_route():
    data = routes._data()
    for plan_type, spec in data["plan_types"].items():
        for tier, steps in spec["levels"].items():
            for step in steps:
                for action in routes.step_spec(step).actions.values():
                    target = routes.goto_at(plan_type, tier, step, action.goto)
                    assert target == routes.END or target in steps, (plan_type, tier, step, action.name, target)


def test_the_old_ministry_return_to_report_is_refused_for_a_route_without_a_report_step():
    data = routes._data()
    broken = {
        "steps": {**data["steps"], "ministry": {**data["steps"]["ministry"]}},
        "plan_types": data["plan_types"],
    }
    broken["steps"]["ministry"]["actions"] = {
        **data["steps"]["ministry"]["actions"],
        "return": {"roles": ["head"], "goto": "report"},
    }
    problems = routes.route_problems(broken)
    assert any("monitoring_6m/province: ministry.return leads to 'report'" in p for p in problems)
    assert not any(p.startswith("annual/") for p in problems)


def test_the_monitoring_report_goes_back_to_the_provinces_draft():
    assert routes.goto_at("monitoring_6m", "province", "ministry", "previous") == "draft"
    assert routes.goto_at("annual", "province", "ministry", "previous") == "report"


# --- the walk ----------------------------------------------------------------------------------


def _member(agency_id: int, roles: tuple[str, ...]) -> User:
    membership = (
        Membership.objects.filter(agency_id=agency_id, role__in=roles, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
        .first()
    )
    assert membership is not None, (agency_id, roles)
    return membership.user


def _open_items(plan: Plan) -> list[WorkItem]:
    return list(WorkItem.objects.filter(plan=plan, is_open=True).order_by("id"))


def _act(plan: Plan, item: WorkItem, action: str) -> dict:
    spec = routes.step_spec(item.step).actions[action]
    fields = {}
    if action == "approve":
        fields = {"resolution_number": "15/NQ-HĐND", "resolution_date": timezone.localdate().isoformat()}
    comment = "Đề nghị bổ sung" if action == "return" else ""
    return services.plan_act(
        actor=_member(item.agency_id, spec.roles), plan_id=plan.pk, action=action, comment=comment, fields=fields
    )


def _waive_children(plan: Plan) -> None:
    """The level above waives the plans below that are not done, so the plan may be submitted."""
    if routes.direction(plan.plan_type) != "bottom-up":
        return
    head = None
    for child in plan.children.exclude(status__in=[PlanStatus.ACCEPTED, PlanStatus.WAIVED]):
        if head is None:
            agency = routes.standing_agency(plan.unit, plan.cycle.period.code)
            head = _member(agency.pk, (Role.HEAD,))
        services.plan_act(actor=head, plan_id=child.pk, action="waive", comment="Không chờ")


def _forward(plan: Plan, until: str | None) -> None:
    """Take the forward action of each open task until the plan waits at ``until`` (None: the end)."""
    for _ in range(20):
        items = _open_items(plan)
        if not items:
            assert until is None, f"the route ended before {until}"
            return
        if until is not None and items[0].step == until:
            return
        item = items[0]
        if item.step == "draft":
            _waive_children(plan)
            complete(plan)
        _act(plan, item, FORWARD[item.step])
    raise AssertionError("the route does not end")


def _plan(structure: str, code: str, plan_type: str) -> Plan:
    """The plan of ``plan_type`` of unit ``code`` in the structure's demo cycle, opened if need
    be; for a top-down type, the levels above issue their guidance first."""
    year = 2023 if structure == Structure.THREE_TIER else 2025
    cycle = Cycle.objects.get(year=year, structure=structure)
    unit = AdministrativeUnit.objects.get(structure=structure, code=code)
    if routes.direction(plan_type) == "top-down" and unit.parent and unit.parent.tier != "nation":
        above = _plan(structure, unit.parent.code, plan_type)
        if above.status != PlanStatus.GUIDANCE_ISSUED:
            _forward(above, None)
    plan = Plan.objects.filter(cycle=cycle, unit=unit, plan_type=plan_type).first()
    if plan is None:
        drafter = (
            Membership.objects.filter(agency__unit=unit, role__in=[Role.DRAFTER, Role.HEAD]).order_by("role").first()
        )
        plan = services.plan_open(actor=drafter.user, cycle=cycle, unit=unit, plan_type=plan_type)
    return Plan.objects.select_related("unit", "cycle__period").get(pk=plan.pk)


UNITS = {
    (Structure.TWO_TIER, "province"): "12",
    (Structure.TWO_TIER, "commune"): "03388",
    (Structure.THREE_TIER, "district"): "109",
    (Structure.THREE_TIER, "commune"): "03592",
}
CASES = [
    pytest.param(structure, tier, plan_type, id=f"{structure}-{tier}-{plan_type}")
    for (structure, tier) in UNITS
    for plan_type in PlanType.values
]


@pytest.mark.parametrize(("structure", "tier", "plan_type"), CASES)
def test_every_return_lands_on_the_route_and_the_plan_goes_on(demo, structure, tier, plan_type):
    plan = _plan(structure, UNITS[structure, tier], plan_type)
    steps = routes.steps_for(plan)
    assert steps, (plan_type, tier)
    returnable = [step for step in steps if "return" in routes.step_spec(step).actions]
    for step in returnable:
        _forward(plan, step)
        item = _open_items(plan)[0]
        result = _act(plan, item, "return")

        plan.refresh_from_db()
        assert result["step"] in steps, (step, result)
        open_steps = {i.step for i in _open_items(plan)}
        assert open_steps == {result["step"]}, (step, open_steps)
        expected = PlanStatus.RETURNED if result["step"] == "draft" else routes.ENTRY_STATUS[result["step"]]
        assert plan.status == expected, (step, plan.status)
        # ...and it can go on from there, back to the step that returned it and past it.
        _forward(plan, step)
    _forward(plan, None)
    plan.refresh_from_db()
    assert plan.status in END_OF_ROUTE
    assert not _open_items(plan)


def test_a_returned_monitoring_report_goes_back_to_the_province_and_is_reported_again(demo):
    plan = _plan(Structure.TWO_TIER, "12", PlanType.MONITORING_SIX_MONTH)
    _forward(plan, "ministry")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.REPORTED

    returned = _act(plan, _open_items(plan)[0], "return")
    plan.refresh_from_db()
    assert (returned["status"], returned["step"], plan.status) == ("returned", "draft", PlanStatus.RETURNED)
    (draft,) = _open_items(plan)
    assert draft.step == "draft" and draft.unit_id == plan.unit_id  # the province's own task

    again = _act(plan, draft, "submit")
    assert (again["status"], again["step"]) == ("reported", "ministry")
    done = _act(plan, _open_items(plan)[0], "acknowledge")
    assert done["status"] == "closed"

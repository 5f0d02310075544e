"""Re-keying an installation loaded from vietnam-provinces 2025.10.1 to the official codes.

The installation is reproduced with ``load_units two-tier --codes 2025.10.1`` (the frozen
draft list). Cao Bằng (04) has a three-commune cycle (01537 Vinh Quý -> 01561, 01561 Hạ Lang ->
01558, 01558 Lý Quốc -> 01537), Hà Nội (01) a chain (00196 Văn Miếu - Quốc Tử Giám -> 00226,
00226 Kim Liên -> 00229) and codes that simply were not official (00073 Cửa Nam -> 00082).

Personas: a drafter and a head for each affected commune and the province's standing agency,
all created here through the project's services.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import assign_perm, get_objects_for_group
from viewflow.workflow.models import Task

from approvals.models import AuditEvent
from directory import services, unitdata
from directory.models import AdministrativeUnit, Agency, AgencyKind, Membership, Role, Structure, Tier, User
from planning import selectors as planning_selectors
from planning import services as planning_services
from planning.models import Cycle, Plan
from tests.complete import complete
from workflows import services as workflows
from workflows.models import WorkItem

# (old code, official code, name) of the communes the scenario puts plans on.
VINH_QUY = ("01537", "01561", "Xã Vinh Quý")
HA_LANG = ("01561", "01558", "Xã Hạ Lang")
LY_QUOC = ("01558", "01537", "Xã Lý Quốc")
KIM_LIEN = ("00226", "00229", "Phường Kim Liên")
VAN_MIEU = ("00196", "00226", "Phường Văn Miếu - Quốc Tử Giám")
CUA_NAM = ("00073", "00082", "Phường Cửa Nam")
COMMUNES = (VINH_QUY, HA_LANG, LY_QUOC, KIM_LIEN, VAN_MIEU, CUA_NAM)

_people = itertools.count()


def load(*args) -> str:
    out = StringIO()
    call_command("load_units", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def rekey() -> list[str]:
    out = StringIO()
    call_command("rekey_units", "--from", "2025.10.1", stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()


def two_tier(code: str) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(structure=Structure.TWO_TIER, code=code)


def officer(unit: AdministrativeUnit, kind: str, role: str) -> User:
    user = User.objects.create_user(username=f"rekey-{role}-{next(_people)}", full_name=f"{role} {unit.name}")
    title = "Chủ tịch" if role == Role.HEAD else ""  # a head signs: the directory asks for the title
    services.membership_add(user=user, agency=Agency.objects.get(unit=unit, kind=kind), role=role, title=title)
    return user


def line_rows(amounts: list[tuple[str, str, dict[str, str]]]) -> list[dict]:
    """Rows for ``planning.services.plan_lines_replace``: amounts by funding source code."""
    return [{"item": item, "content": content, "amounts": money} for item, content, money in amounts]


def old_installation() -> dict:
    """Hà Nội and Cao Bằng on the 2025.10.1 codes, with agencies, officers, plans with budget
    lines, workflow tasks, one submitted plan (audit row) and a direct object permission."""
    assert load("two-tier", "--codes", "2025.10.1", "--province", "01", "--with-agencies") == "provinces=1 communes=126"
    assert load("two-tier", "--codes", "2025.10.1", "--province", "04", "--with-agencies") == "provinces=1 communes=56"
    cycle = Cycle.objects.get(year=2025, structure=Structure.TWO_TIER)
    province = two_tier("04")
    p_drafter = officer(province, AgencyKind.AGRICULTURE, Role.DRAFTER)
    p_head = officer(province, AgencyKind.AGRICULTURE, Role.HEAD)
    province_plan = workflows.plan_open(actor=p_drafter, cycle=cycle, unit=province, plan_type="annual")
    plans, heads = {}, {}
    for old, _new, name in COMMUNES:
        unit = two_tier(old)
        assert unit.name == name
        drafter = officer(unit, AgencyKind.PEOPLE_COMMITTEE, Role.DRAFTER)
        heads[old] = officer(unit, AgencyKind.PEOPLE_COMMITTEE, Role.HEAD)
        plans[old] = workflows.plan_open(actor=drafter, cycle=cycle, unit=unit, plan_type="annual")
        planning_services.plan_lines_replace(
            actor=drafter,
            plan=plans[old],
            rows=line_rows(
                [
                    ("3.1", f"Hỗ trợ sản xuất {name}", {"central_recurrent": "1250.500", "local": "62.525"}),
                    ("6.2", "Truyền thông giảm nghèo", {"central_recurrent": "40"}),
                ],
            ),
        )
    complete(plans[VINH_QUY[0]])  # written as its drafter would, so the route lets it go up
    workflows.plan_act(actor=heads[VINH_QUY[0]], plan_id=plans[VINH_QUY[0]].pk, action="submit", comment="Trình")
    assign_perm("directory.operate_unit", p_head, two_tier(HA_LANG[0]))  # a direct, per-user grant
    return {"province": province, "province_plan": province_plan, "plans": plans, "p_head": p_head}


def counts() -> dict[str, int]:
    return {
        "units": AdministrativeUnit.objects.count(),
        "plans": Plan.objects.count(),
        "work_items": WorkItem.objects.count(),
        "open_work_items": WorkItem.objects.filter(is_open=True).count(),
        "tasks": Task.objects.count(),
        "audit": AuditEvent.objects.count(),
        "group_permissions": GroupObjectPermission.objects.count(),
        "user_permissions": UserObjectPermission.objects.count(),
        "memberships": Membership.objects.count(),
        "agencies": Agency.objects.count(),
        "groups": Group.objects.count(),
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_rekey_keeps_every_plan_task_audit_row_and_permission(demo, login_api):
    scene = old_installation()
    plan = scene["plans"][VINH_QUY[0]]
    total = planning_selectors.plan_totals(plan)["total"]
    province_total = planning_selectors.plan_totals(scene["province_plan"])["total"]
    assert total == Decimal("1353.025")
    assert province_total == Decimal("1353.025") * 3  # the three Cao Bằng communes roll up
    before = counts()
    pks = {old: two_tier(old).pk for old, _new, _name in COMMUNES}
    # Tasks keep their unit, agency, assignee and due date (deadlines hang on them).
    work = list(WorkItem.objects.order_by("pk").values_list("pk", "unit_id", "agency_id", "assignee_id", "due_at"))
    # Until re-keyed, loading the official list is refused: it would rename the wrong communes.
    with pytest.raises(CommandError, match=r"rekey_units --from 2025\.10\.1"):
        load("two-tier", "--province", "04")

    output = rekey()

    assert counts() == before
    assert (
        list(WorkItem.objects.order_by("pk").values_list("pk", "unit_id", "agency_id", "assignee_id", "due_at")) == work
    )
    assert planning_selectors.plan_totals(Plan.objects.get(pk=plan.pk))["total"] == total
    assert planning_selectors.plan_totals(Plan.objects.get(pk=scene["province_plan"].pk))["total"] == province_total
    for old, new, name in COMMUNES:
        unit = AdministrativeUnit.objects.get(pk=pks[old])
        assert (unit.code, unit.name) == (new, name), old
        assert f"code {old} -> {new}  {name}" in output
        assert Plan.objects.get(pk=scene["plans"][old].pk).unit_id == unit.pk
        # The agency's permission group follows its unit, name and object permission alike.
        group = Agency.objects.get(unit=unit, kind=AgencyKind.PEOPLE_COMMITTEE).group
        assert group.name == f"agency:two-tier:{new}:people_committee"
        assert list(get_objects_for_group(group, "directory.operate_unit", klass=AdministrativeUnit)) == [unit]
    assert scene["p_head"].has_perm("directory.operate_unit", AdministrativeUnit.objects.get(pk=pks[HA_LANG[0]]))
    # Hà Nội and Cao Bằng now hold exactly the official list: codes, names, division types.
    stored = AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER).filter(
        Q(code__in=["01", "04"]) | Q(province__code__in=["01", "04"])
    )
    expected = [r for province in ("01", "04") for r in unitdata.two_tier_records(province)]
    assert {(u.code, u.name, u.division_type) for u in stored} == {(r.code, r.name, r.division_type) for r in expected}
    assert {"00082", "00118", "00145"} <= {u.code for u in stored}
    assert output[-1].startswith("codes changed: 32, names changed: ")  # 29 in Hà Nội, 3 in Cao Bằng

    # The officers keep working on the same plans, now under the official codes.
    submitted = Plan.objects.get(pk=plan.pk)
    assert submitted.status == "submitted"
    province_head = login_api(scene["p_head"].username)
    inbox = province_head.get("/api/v1/tasks/").json()["results"]
    assert {(t["plan"], t["unit"]) for t in inbox} >= {(plan.pk, VINH_QUY[1])}
    assert province_head.get(f"/api/v1/plans/{plan.pk}/").json()["unit"] == VINH_QUY[1]

    # Idempotent: a second run finds nothing, and the official list now loads over it.
    assert rekey() == ["codes changed: 0, names changed: 0, agency groups renamed: 0"]
    assert load("two-tier", "--province", "04") == "provinces=1 communes=56"
    assert counts() == before


@pytest.mark.django_db
def test_rekey_walks_a_cycle_of_codes_and_is_idempotent(demo):
    """The same on any database, without plans: codes that swap in a cycle land right."""
    load("two-tier", "--codes", "2025.10.1", "--province", "04", "--with-agencies")
    pks = {old: two_tier(old).pk for old, _new, _name in (VINH_QUY, HA_LANG, LY_QUOC)}
    untouched = {u.pk: u.code for u in AdministrativeUnit.objects.filter(structure=Structure.THREE_TIER)}
    with pytest.raises(CommandError, match="rekey_units"):
        load("conversion")

    output = rekey()

    for old, new, name in (VINH_QUY, HA_LANG, LY_QUOC):
        assert AdministrativeUnit.objects.values_list("code", "name").get(pk=pks[old]) == (new, name)
    # Names too: the province gains its type, a commune its new spelling (same code).
    assert "name 04  'Cao Bằng' -> 'Tỉnh Cao Bằng'" in output
    assert "name 01501  'Xã Đàm Thuỷ' -> 'Xã Đàm Thủy'" in output
    assert output[-1] == "codes changed: 3, names changed: 2, agency groups renamed: 6"
    assert {u.pk: u.code for u in AdministrativeUnit.objects.filter(structure=Structure.THREE_TIER)} == untouched
    assert rekey() == ["codes changed: 0, names changed: 0, agency groups renamed: 0"]


@pytest.mark.django_db
def test_an_installation_on_official_codes_is_left_alone(demo):
    before = list(AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER).values_list("pk", "code", "name"))
    assert rekey() == ["codes changed: 0, names changed: 0, agency groups renamed: 0"]
    after = list(AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER).values_list("pk", "code", "name"))
    assert after == before


@pytest.mark.django_db
def test_rekey_refuses_when_an_official_code_is_held_by_another_unit(demo):
    load("two-tier", "--codes", "2025.10.1", "--province", "01")
    cua_nam = two_tier(CUA_NAM[0])
    province = two_tier("01")
    # Someone added the official Cửa Nam by hand next to the old one.
    AdministrativeUnit.objects.create(
        structure=Structure.TWO_TIER,
        tier=Tier.COMMUNE,
        code=CUA_NAM[1],
        name="Phường Cửa Nam (mới)",
        parent=province,
        province=province,
    )
    with pytest.raises(CommandError, match="already held"):
        rekey()
    assert two_tier(CUA_NAM[0]).pk == cua_nam.pk  # nothing changed

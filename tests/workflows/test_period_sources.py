"""The task page and the workbench show the funding sources of the plan's period: seven columns
for a 2027 plan (2026-2030), the four of 2021-2025 for the demo's 2023 plans."""

import re

from django.urls import reverse

from directory import services as directory_services
from directory.models import AdministrativeUnit, Agency, AgencyKind, Role, Structure, Tier, User
from planning import services as planning
from planning.models import Plan
from tests.complete import complete
from tests.periods import SOURCES_2026_2030
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_HEAD, plan_of

T2_P_DRAFTER, T2_P_HEAD = "t2-p12-agri-drafter", "t2-p12-agri-head"  # Sở NN&MT, two-tier Lai Châu
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
HEADERS_2026_2030 = list(SOURCES_2026_2030.values())


def _headers(content: str, testid: str) -> list[str]:
    head = content.split(f'data-testid="{testid}"', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th[^>]*class="num"[^>]*>([^<]*)</th>', head)


def _cells(row: str) -> list[str]:
    return re.findall(r'<td class="num"[^>]*>(?:<strong>)?([^<]*)', row)


def _newcomer_commune(cycle) -> tuple[AdministrativeUnit, str]:
    """A commune of two-tier Lai Châu without an annual plan in ``cycle`` (the demo's staffed
    communes have theirs), and the username of a drafter given to it."""
    taken = Plan.objects.filter(cycle=cycle, plan_type="annual").values("unit_id")
    unit = (
        AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER, tier=Tier.COMMUNE, province__code="12")
        .exclude(pk__in=taken)
        .order_by("code")
        .first()
    )
    drafter = User.objects.create(username="t2-newcomer-drafter", full_name="Cán bộ xã mới")
    agency = Agency.objects.get(unit=unit, kind=AgencyKind.PEOPLE_COMMITTEE)
    directory_services.membership_add(user=drafter, agency=agency, role=Role.DRAFTER)
    return unit, drafter.username


def test_a_2027_commune_plan_shows_its_seven_sources_on_the_task_page_and_the_workbench(as_user, client):
    cycle = planning.cycle_ensure(year=2027, structure=Structure.TWO_TIER)
    unit, newcomer = _newcomer_commune(cycle)
    province, commune = as_user(T2_P_DRAFTER), as_user(newcomer)

    def open_plan(actor, code: str) -> Plan:
        response = actor.client.post(
            "/api/v1/plans/", {"cycle": cycle.pk, "unit": code, "type": "annual"}, format="json"
        )
        assert response.status_code == 201, response.json()
        return Plan.objects.get(pk=response.json()["id"])

    parent = Plan.objects.filter(cycle=cycle, unit__code="12", plan_type="annual").first() or open_plan(province, "12")
    plan = open_plan(commune, unit.code)
    assert plan.parent_id == parent.pk
    written = commune.client.put(
        f"/api/v1/plans/{plan.pk}/lines/",
        [
            {
                "item": "C1.02.01",
                "content": "Đường giao thông tổ 5",
                "amounts": {"central_investment": "1250.5", "enterprise_community": "85"},
            }
        ],
        format="json",
    )
    assert written.status_code == 200, written.json()

    client.force_login(User.objects.get(username=newcomer), backend=MODEL_BACKEND)
    task = client.get(reverse("workflows:plan-task", args=[plan.pk])).content.decode()
    assert _headers(task, "totals") == [*HEADERS_2026_2030, "Tổng cộng"]
    row = task.split('data-testid="totals"', 1)[1].split("</tbody>", 1)[0]
    assert _cells(row) == ["1.250,5", "0", "0", "0", "0", "0", "85", "1.335,5"]

    client.force_login(User.objects.get(username=T2_P_HEAD), backend=MODEL_BACKEND)
    response = client.get(reverse("workflows:workbench", args=[parent.pk]))
    assert response.status_code == 200, response
    bench = response.content.decode()
    # The change column says what it compares: the unit's own money against its previous round.
    assert _headers(bench, "workbench") == ["Lần", *HEADERS_2026_2030, "Tổng", "Thay đổi so với lần trình trước"]
    row = bench.split(f"<td>{unit.name}</td>", 1)[1].split("</tr>", 1)[0]
    assert _cells(row) == ["0", "1.250,5", "0", "0", "0", "0", "0", "85", "1.335,5", "—"]


def test_a_2023_plan_keeps_the_four_sources_of_2021_2025(as_user, client):
    client.force_login(User.objects.get(username=D_HEAD), backend=MODEL_BACKEND)
    task = client.get(reverse("workflows:plan-task", args=[plan_of("109").pk])).content.decode()
    assert _headers(task, "totals") == ["NSTW - ĐTPT", "NSTW - SN", "NSĐP", "Huy động khác", "Tổng cộng"]
    row = task.split('data-testid="totals"', 1)[1].split("</tbody>", 1)[0]
    assert _cells(row) == ["116.200", "44.844", "512", "1.200", "162.756"]


def test_the_task_page_names_a_changed_amount_by_its_source_in_the_page_notation(as_user, client):
    commune = plan_of("03592")
    drafter, head, reviewer = as_user(C_DRAFTER), as_user(C_HEAD), as_user(D_HEAD)

    def write(amount: str) -> None:
        rows = [{"item": "2", "content": "Mô hình nuôi dê", "amounts": {"central_recurrent": amount}}]
        response = drafter.client.put(f"/api/v1/plans/{commune.pk}/lines/", rows, format="json")
        assert response.status_code == 200, response.json()

    write("1450.5")
    complete(commune)
    head.act(commune, "submit")
    reviewer.act(commune, "return", comment="Ghi rõ số hộ")
    write("1500")

    client.force_login(User.objects.get(username=C_DRAFTER), backend=MODEL_BACKEND)
    task = client.get(reverse("workflows:plan-task", args=[commune.pk])).content.decode()
    # Not "central_recurrent 1450.500 → 1500.000" (a Vietnamese reader takes "1450.500" for 1,450,500).
    assert "NSTW - SN 1.450,5 → 1.500" in task


def test_an_envelope_excess_is_named_by_its_source_on_the_task_page(as_user, client):
    commune = plan_of("03592")
    planning.plan_lines_replace(
        actor=User.objects.get(username=C_DRAFTER),
        plan=commune,
        rows=[{"item": "2", "content": "Mô hình nuôi dê", "amounts": {"central_recurrent": "1450.5"}}],
    )
    planning.envelope_set(
        actor=User.objects.get(username=D_HEAD), child=commune, ceilings={"central_recurrent": "1000"}
    )

    client.force_login(User.objects.get(username=C_HEAD), backend=MODEL_BACKEND)
    response = client.post(
        reverse("workflows:plan-task", args=[commune.pk]), {"action": "submit", "idempotency_key": "envelope-1"}
    )
    assert response.status_code == 409
    assert "NSTW - SN: 1.450,5 &gt; 1.000" in response.content.decode()

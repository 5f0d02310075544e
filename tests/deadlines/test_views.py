"""The deadline dashboard and the extension form, over HTTP, for each persona."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import AuditEvent
from deadlines.models import DeadlineExtension
from directory.models import User
from planning.models import Cycle
from tests.complete import complete
from tests.deadlines.conftest import P_HEAD, at, head_of, local_day, open_item

D = dt.date
COMMUNE = "03394"


@pytest.fixture
def login(client):
    def _login(username: str):
        client.force_login(User.objects.get(username=username))
        return client

    return _login


def dashboard(client, **params):
    return client.get(reverse("deadlines:dashboard"), params)


def rows(response, tier: str) -> dict[str, str]:
    return {
        row.plan.unit.code: row.state
        for level in response.context["levels"]
        if level.tier == tier
        for row in level.rows
    }


def test_the_province_sees_each_level_on_time_at_risk_or_late(household_2026, login, time_machine):
    time_machine.move_to(at(2026, 8, 27), tick=False)
    cycle = Cycle.objects.get(year=2026)
    response = dashboard(login(P_HEAD), cycle=cycle.pk, type="household_review")
    assert response.status_code == 200
    assert rows(response, "province") == {"12": "late"}  # guidance due 14/8, not issued
    assert set(rows(response, "commune").values()) == {"at_risk"}  # due 28/8: one working day left
    html = response.content.decode()
    assert 'data-testid="deadline-chart"' in html and "<rect" in html
    assert "style=" not in html.split('data-testid="deadline-chart"')[1].split("</svg>")[0]  # CSP: no inline style
    assert reverse("workflows:plan-task", args=[household_2026[COMMUNE].pk]) in html
    assert reverse("deadlines:extend", args=[household_2026[COMMUNE].pk]) in html
    assert "28/08/2026" in html


def test_states_follow_the_clock_and_the_submissions(household_2026, login, time_machine):
    time_machine.move_to(at(2026, 8, 12), tick=False)
    province_head = User.objects.get(username=P_HEAD)
    from workflows import services as workflows

    workflows.plan_act(actor=province_head, plan_id=household_2026["province"].pk, action="issue_guidance")
    plan = complete(household_2026[COMMUNE])
    workflows.plan_act(actor=head_of(plan.unit), plan_id=plan.pk, action="submit")
    time_machine.move_to(at(2026, 8, 31, 10), tick=False)
    response = dashboard(login(P_HEAD), cycle=Cycle.objects.get(year=2026).pk, type="household_review")
    assert rows(response, "province") == {"12": "on_time"}  # issued 12/8, before its 14/8 deadline
    communes = rows(response, "commune")
    assert communes.pop(COMMUNE) == "on_time"
    assert set(communes.values()) == {"late"}


def test_a_commune_sees_only_its_own_unit(household_2026, login):
    plan = household_2026[COMMUNE]
    response = dashboard(login(head_of(plan.unit).username), cycle=Cycle.objects.get(year=2026).pk)
    levels = response.context["levels"]
    assert [(level.tier, [r.plan.unit.code for r in level.rows]) for level in levels] == [("commune", [COMMUNE])]
    assert reverse("deadlines:extend", args=[plan.pk]) not in response.content.decode()


def test_an_officer_of_another_structure_cannot_pick_a_cycle_outside_their_tree(household_2026, login):
    response = dashboard(login("t3-c03592-ubnd-drafter"), cycle=Cycle.objects.get(year=2026).pk)
    assert response.context["cycle"].year == 2023
    assert "Sin Suối Hồ" in response.content.decode()  # their own three-tier commune only
    assert all(r.plan.unit.structure == "three-tier" for level in response.context["levels"] for r in level.rows)


def test_an_officer_with_no_agency_sees_no_plans(household_2026, client):
    client.force_login(User.objects.create_user(username="nobody", password="x"))
    response = dashboard(client)
    assert response.status_code == 200
    assert response.context["levels"] == []
    assert 'data-testid="no-plans"' in response.content.decode()


def test_the_dashboard_needs_a_login(client, db):
    response = dashboard(client)
    assert response.status_code == 302


def test_the_dashboard_costs_the_same_queries_whatever_the_number_of_units(household_2026, login):
    client = login("t3-p12-labour-head")  # 2023 three-tier: 19 plans over three levels
    with CaptureQueriesContext(connection) as big:
        assert dashboard(client, cycle=Cycle.objects.get(year=2023).pk, type="annual").status_code == 200
    client = login("t2-p12-agri-head")  # 2026 household review: 7 plans over two levels
    with CaptureQueriesContext(connection) as small:
        assert dashboard(client, cycle=Cycle.objects.get(year=2026).pk, type="household_review").status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries), [q["sql"][:90] for q in big.captured_queries]
    assert len(big.captured_queries) <= 30


def test_the_supervising_head_extends_a_communes_deadline(household_2026, login, time_machine):
    time_machine.move_to(at(2026, 8, 27), tick=False)
    plan = household_2026[COMMUNE]
    client = login(P_HEAD)
    url = reverse("deadlines:extend", args=[plan.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "28/08/2026" in page.content.decode()

    missing = client.post(url, {"due_on": "2026-09-04", "reason": " "})
    assert missing.status_code == 400
    earlier = client.post(url, {"due_on": "2026-08-20", "reason": "Lùi hạn"})
    assert earlier.status_code == 400
    holiday = client.post(url, {"due_on": "2026-09-02", "reason": "Lùi hạn"})
    assert holiday.status_code == 400
    assert "ngày nghỉ" in holiday.content.decode()

    done = client.post(url, {"due_on": "04/09/2026", "reason": "Mưa lũ"})
    assert done.status_code == 302
    assert local_day(open_item(plan).due_at) == D(2026, 9, 4)
    extension = DeadlineExtension.objects.get(plan=plan)
    assert (extension.previous_due_on, extension.extended_by.username) == (D(2026, 8, 28), P_HEAD)
    assert AuditEvent.objects.filter(plan=plan, action="extend_deadline").count() == 1
    after = dashboard(client, cycle=plan.cycle_id, type="household_review")
    row = next(r for level in after.context["levels"] for r in level.rows if r.plan.pk == plan.pk)
    assert (row.due_on, row.extended, row.state) == (D(2026, 9, 4), True, "on_time")


def test_an_officer_without_authority_gets_403_and_an_outsider_404(household_2026, login):
    plan = household_2026[COMMUNE]
    other = next(p for key, p in household_2026.items() if key not in ("province", COMMUNE))
    url = reverse("deadlines:extend", args=[plan.pk])
    assert login(head_of(plan.unit).username).post(url, {"due_on": "2026-09-04", "reason": "x"}).status_code == 403
    assert login(head_of(other.unit).username).get(url).status_code == 404
    assert login("t3-p12-labour-head").get(url).status_code == 404
    assert not DeadlineExtension.objects.exists()


def test_an_administrator_may_extend_any_unit(household_2026, client, admin_user):
    client.force_login(admin_user)
    plan = household_2026["province"]
    response = client.post(reverse("deadlines:extend", args=[plan.pk]), {"due_on": "2026-12-01", "reason": "Ví dụ"})
    assert response.status_code == 302
    assert DeadlineExtension.objects.get(plan=plan).agency is None

from __future__ import annotations

import itertools

import pytest

from planning.models import Plan

_keys = itertools.count()

# Three-tier Lai Châu, 2023 cycle
C_DRAFTER, C_HEAD = "t3-c03592-ubnd-drafter", "t3-c03592-ubnd-head"  # xã Sin Suối Hồ
D_DRAFTER, D_HEAD = "t3-d109-labour-drafter", "t3-d109-labour-head"  # Phòng LĐTBXH Phong Thổ
P_DRAFTER, P_HEAD = "t3-p12-labour-drafter", "t3-p12-labour-head"  # Sở LĐTBXH Lai Châu
P_PLANNING, P_FINANCE = "t3-p12-planning-head", "t3-p12-finance-head"
P_COUNCIL = "t3-p12-hdnd-council_secretary"
MINISTRY = "vn-nVN-ministry-drafter"
OUTSIDER = "t2-c03388-ubnd-drafter"


class Actor:
    """An officer driving the API, with helpers that read like the workflow."""

    def __init__(self, client, username):
        self.client, self.username = client, username

    def act(self, plan: Plan | int, action: str, expect: int = 200, **body):
        plan_id = plan if isinstance(plan, int) else plan.pk
        body.setdefault("idempotency_key", f"{self.username}-{next(_keys)}")
        response = self.client.post(f"/api/v1/plans/{plan_id}/actions/{action}/", body, format="json")
        assert response.status_code == expect, (self.username, action, response.status_code, response.json())
        return response.json()

    def actions(self, plan: Plan) -> list[str]:
        return [a["action"] for a in self.client.get(f"/api/v1/plans/{plan.pk}/actions/").json()["actions"]]

    def inbox(self, **params) -> list[dict]:
        return self.client.get("/api/v1/tasks/", params).json()["results"]


@pytest.fixture
def as_user(demo, login_api):
    def _as(username: str) -> Actor:
        return Actor(login_api(username), username)

    return _as


def plan_of(code: str, year: int = 2023, plan_type: str = "annual", structure: str = "three-tier") -> Plan:
    return Plan.objects.get(unit__structure=structure, unit__code=code, cycle__year=year, plan_type=plan_type)


def status(plan: Plan) -> str:
    return Plan.objects.get(pk=plan.pk).status

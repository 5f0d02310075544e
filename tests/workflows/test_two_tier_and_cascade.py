"""The two-tier route (commune → province, no district steps) and the top-down household review."""

from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import C_HEAD, D_HEAD, MINISTRY, P_DRAFTER, P_HEAD, plan_of, status

T2_COMMUNE_HEAD = "t2-c03388-ubnd-head"  # phường Đoàn Kết, two-tier Lai Châu
T2_P_HEAD = "t2-p12-agri-head"  # Sở NN&MT, the standing agency after the reform
T2_PLANNING, T2_FINANCE = "t2-p12-planning-head", "t2-p12-finance-head"
T2_COUNCIL = "t2-p12-hdnd-council_secretary"


def test_whole_two_tier_cycle(as_user):
    province = plan_of("12", year=2025, structure="two-tier")
    commune = plan_of("03388", year=2025, structure="two-tier")
    assert commune.parent_id == province.pk
    c_head, p_head = as_user(T2_COMMUNE_HEAD), as_user(T2_P_HEAD)
    commune, province = complete(commune), complete(province)

    c_head.act(commune, "submit")
    # The province reviews directly: there is no district step.
    assert {t["plan"] for t in p_head.inbox(step="review")} == {commune.pk}
    p_head.act(commune, "return", comment="Bổ sung chỉ tiêu")
    assert status(commune) == "returned"
    c_head.act(commune, "submit")
    p_head.act(commune, "accept")
    for other in province.children.exclude(pk=commune.pk):
        p_head.act(other, "waive", comment="Chưa triển khai")
    p_head.act(province, "submit")
    as_user(T2_PLANNING).act(province, "return", comment="Thiếu thẩm định nguồn")
    p_head.act(province, "submit")
    as_user(T2_PLANNING).act(province, "accept")
    as_user(T2_FINANCE).act(province, "accept")
    council = as_user(T2_COUNCIL)
    council.act(province, "return", comment="Chưa đủ hồ sơ")
    p_head.act(province, "submit")
    as_user(T2_PLANNING).act(province, "accept")
    as_user(T2_FINANCE).act(province, "accept")
    council.act(province, "approve", resolution_number="40/NQ-HĐND", resolution_date="2025-12-05")
    p_head.act(province, "report")
    as_user(MINISTRY).act(province, "return", comment="Giải trình")
    p_head.act(province, "report")
    as_user(MINISTRY).act(province, "acknowledge")
    assert status(province) == "closed"
    assert [e["action"] for e in p_head.client.get(f"/api/v1/plans/{commune.pk}/history/").json()] == [
        "submit",
        "return",
        "submit",
        "accept",
    ]


def test_household_review_cascade_runs_top_down(as_user):
    p_drafter, p_head, d_head, c_head = as_user(P_DRAFTER), as_user(P_HEAD), as_user(D_HEAD), as_user(C_HEAD)
    cycle = plan_of("12").cycle_id

    def open_plan(actor, unit):
        response = actor.client.post(
            "/api/v1/plans/", {"cycle": cycle, "unit": unit, "type": "household_review"}, format="json"
        )
        assert response.status_code == 201, response.json()
        return Plan.objects.get(pk=response.json()["id"])

    province = open_plan(p_drafter, "12")
    district = open_plan(as_user("t3-d109-labour-drafter"), "109")
    commune = complete(open_plan(as_user("t3-c03592-ubnd-drafter"), "03592"))
    assert commune.parent_id == district.pk and district.parent_id == province.pk

    refused = c_head.client.post(f"/api/v1/plans/{commune.pk}/actions/submit/", {}, format="json")
    assert refused.status_code == 409
    assert (
        d_head.client.post(f"/api/v1/plans/{district.pk}/actions/issue_guidance/", {}, format="json").status_code == 409
    )
    p_head.act(province, "issue_guidance")
    assert c_head.client.post(f"/api/v1/plans/{commune.pk}/actions/submit/", {}, format="json").status_code == 409
    d_head.act(district, "issue_guidance")
    c_head.act(commune, "submit")
    d_head.act(commune, "accept")
    assert [status(p) for p in (province, district, commune)] == ["guidance_issued", "guidance_issued", "accepted"]

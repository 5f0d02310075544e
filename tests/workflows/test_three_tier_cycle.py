"""A whole three-tier annual cycle through the API: commune → district → province → council →
ministry, with a return at every level and a resubmission."""

from approvals.models import AuditEvent, Resolution
from planning.models import PlanRound
from tests.complete import complete
from tests.workflows.conftest import (
    C_DRAFTER,
    C_HEAD,
    D_HEAD,
    MINISTRY,
    P_COUNCIL,
    P_FINANCE,
    P_HEAD,
    P_PLANNING,
    plan_of,
    status,
)
from workflows.models import WorkItem


def test_whole_three_tier_cycle(as_user):
    commune, district, province = plan_of("03592"), plan_of("109"), plan_of("12")
    c_drafter, c_head, d_head, p_head = as_user(C_DRAFTER), as_user(C_HEAD), as_user(D_HEAD), as_user(P_HEAD)

    # Commune: the drafter writes, only the head may submit.
    written = c_drafter.client.put(
        f"/api/v1/plans/{commune.pk}/lines/",
        [{"item": "2", "content": "Mô hình nuôi dê", "amounts": {"central_recurrent": "450"}}],
        format="json",
    )
    assert written.status_code == 200, written.json()
    commune = complete(commune)  # the sections and an indicator: a blank plan is refused
    assert "submit" not in c_drafter.actions(commune)
    c_drafter.act(commune, "submit", expect=403)
    assert c_head.act(commune, "submit")["status"] == "submitted"
    assert commune.pk in {t["plan"] for t in d_head.inbox()}

    # District returns it with a reason and a line comment; it goes back to the drafter who wrote it.
    d_head.act(commune, "return", expect=400)  # reason required
    d_head.act(
        commune,
        "return",
        comment="Thiếu danh sách hộ thụ hưởng",
        line_comments=[{"line": "2", "comment": "Ghi rõ số hộ"}],
    )
    assert status(commune) == "returned"
    draft = WorkItem.objects.get(plan=commune, is_open=True)
    assert draft.assignee.username == C_DRAFTER
    assert commune.pk in {t["plan"] for t in c_drafter.inbox()}
    rewritten = c_drafter.client.put(
        f"/api/v1/plans/{commune.pk}/lines/",
        [{"item": "2", "content": "Mô hình nuôi dê (25 hộ)", "amounts": {"central_recurrent": "500"}}],
        format="json",
    )
    assert rewritten.status_code == 200, rewritten.json()
    c_head.act(commune, "submit")
    changes = d_head.client.get(f"/api/v1/plans/{commune.pk}/diff/", {"from": 1, "to": 2}).json()
    assert changes["lines"]["changed"][0]["changes"]["central_recurrent"] == {"old": "450.000", "new": "500.000"}
    d_head.act(commune, "accept")
    assert status(commune) == "accepted"

    # The district cannot submit while communes are pending; it waives the silent ones.
    blocked = d_head.client.post(f"/api/v1/plans/{district.pk}/actions/submit/", {}, format="json")
    assert blocked.status_code == 409
    assert len(blocked.json()["blocking"]) == 16
    for other in district.children.exclude(pk=commune.pk):
        d_head.act(other, "waive", comment="Xã không có dự án năm nay")
    d_head.act(district, "submit")
    assert status(district) == "submitted"

    # Province returns the district, which re-opens its commune; all resubmit.
    p_head.act(district, "return", comment="Đề nghị rà soát lại xã Sin Suối Hồ")
    d_head.act(commune, "reopen", comment="Bổ sung theo ý kiến của tỉnh")
    assert status(commune) == "returned"
    c_head.act(commune, "submit")
    d_head.act(commune, "accept")
    d_head.act(district, "submit")
    p_head.act(district, "accept")

    # Province: parallel appraisal; planning/investment returns, finance's task is cancelled.
    province = complete(province)
    p_head.act(province, "submit")
    assert status(province) == "appraisal"
    lanes = set(WorkItem.objects.filter(plan=province, is_open=True).values_list("lane", flat=True))
    assert lanes == {"investment", "recurrent"}
    planning_head, finance_head = as_user(P_PLANNING), as_user(P_FINANCE)
    planning_head.act(province, "return", comment="Vốn đầu tư vượt kế hoạch trung hạn")
    assert status(province) == "returned"
    assert not WorkItem.objects.filter(plan=province, is_open=True, step="appraisal").exists()
    p_head.act(province, "submit")
    finance_head.act(province, "accept")
    assert status(province) == "appraisal"  # waits for the other lane
    planning_head.act(province, "accept")
    assert status(province) == "council"

    # The council returns once, then approves with its resolution (number and date required).
    council = as_user(P_COUNCIL)
    council.act(province, "return", comment="Làm rõ vốn đối ứng")
    p_head.act(province, "submit")
    finance_head.act(province, "accept")
    planning_head.act(province, "accept")
    missing = council.act(province, "approve", expect=400)
    assert set(missing) >= {"resolution_number", "resolution_date"}
    council.act(province, "approve", resolution_number="25/NQ-HĐND", resolution_date="08/12/2022")
    assert status(province) == "approved"
    assert Resolution.objects.get(plan=province).number == "25/NQ-HĐND"
    assert PlanRound.objects.filter(plan=province, kind="approved").count() == 1

    # Report to the ministry: returned with questions once, then acknowledged.
    ministry = as_user(MINISTRY)
    p_head.act(province, "report")
    ministry.act(province, "return", comment="Bổ sung thuyết minh dự án 1")
    assert status(province) == "approved"
    p_head.act(province, "report")
    assert ministry.act(province, "acknowledge")["status"] == "closed"
    assert not WorkItem.objects.filter(
        plan__cycle=province.cycle, plan__plan_type="annual", is_open=True, plan__unit__code__in=["12", "109", "03592"]
    ).exists()

    history = p_head.client.get(f"/api/v1/plans/{province.pk}/history/").json()
    assert [e["action"] for e in history] == [
        "submit",
        "return",
        "submit",
        "accept",
        "accept",
        "return",
        "submit",
        "accept",
        "accept",
        "approve",
        "report",
        "return",
        "report",
        "acknowledge",
    ]
    assert history[1]["comment"] == "Vốn đầu tư vượt kế hoạch trung hạn"
    assert AuditEvent.objects.filter(plan=commune, action="return").get().data["line_comments"] == [
        {"line": "2", "comment": "Ghi rõ số hộ"}
    ]


def test_amendment_reopens_an_approved_plan_and_keeps_the_baseline(as_user):
    commune = complete(plan_of("03592"))
    c_head, d_head = as_user(C_HEAD), as_user(D_HEAD)
    c_head.act(commune, "submit")
    d_head.act(commune, "accept")
    c_head.act(commune, "amend", expect=400)  # a reason is required
    c_head.act(commune, "amend", comment="Điều chỉnh theo vốn được giao")
    assert status(commune) == "draft"
    kinds = list(PlanRound.objects.filter(plan=commune).order_by("number").values_list("kind", flat=True))
    assert kinds == ["submission", "amendment"]
    assert "submit" in c_head.actions(commune)
    c_head.act(commune, "submit")
    assert status(commune) == "submitted"

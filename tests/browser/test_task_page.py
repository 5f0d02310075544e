"""The task page through Chromium: the commune head submits through the confirmation dialog
(cancel first: nothing happens), the page says where the plan went; the district head returns it
with a reason after a dialog naming the commune and its drafter; the three kinds of button look
different."""

from playwright.sync_api import expect

from tests.browser.plans import api, token_of, write_commune_plan

C_DRAFTER, C_HEAD, D_HEAD = "t3-c03592-ubnd-drafter", "t3-c03592-ubnd-head", "t3-d109-labour-head"


def _sin_suoi_ho_2023(url: str) -> int:
    rows = api(url, "GET", "/api/v1/plans/?unit=03592", token=token_of(url, C_HEAD))
    return next(r["id"] for r in rows if r["cycle_year"] == 2023 and r["type"] == "annual")


def test_a_decision_is_confirmed_then_the_page_says_where_the_plan_went(login, live_server_url):
    plan_id = _sin_suoi_ho_2023(live_server_url)
    write_commune_plan(live_server_url, plan_id, C_DRAFTER)
    task_url = f"{live_server_url}/plans/{plan_id}/task/"

    commune = login(C_HEAD)
    commune.goto(task_url)
    expect(commune.locator("[data-testid=route-step][data-state=current]")).to_contain_text("Soạn và trình kế hoạch")
    commune.locator("[data-testid=action-submit]").click()
    dialog = commune.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Trình: chuyển kế hoạch tới Phòng Lao động - Thương binh và Xã hội huyện Phong Thổ")
    commune.locator("[data-testid=confirm-cancel]").click()
    expect(dialog).to_be_hidden()
    expect(commune.locator("[data-testid=plan-status]")).to_contain_text("Đang soạn")

    commune.locator("[data-testid=action-submit]").click()
    commune.locator("[data-testid=confirm-action]").click()
    expect(commune.locator("[data-testid=plan-status]")).to_contain_text("Đã trình")
    expect(commune.locator(".messages")).to_contain_text(
        "Kế hoạch hiện ở bước “Thẩm định kế hoạch cấp dưới” tại Phòng Lao động - Thương binh và Xã hội huyện Phong Thổ"
        " (người xử lý: Trưởng phòng LĐTBXH huyện Phong Thổ)."
    )
    expect(commune.locator("[data-testid=route-step][data-state=done]")).to_contain_text("Soạn và trình kế hoạch")

    reviewer = login(D_HEAD)
    reviewer.goto(task_url)
    looks = [
        reviewer.locator(f"[data-testid=action-{action}]").evaluate(
            "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color, s.borderColor].join(' '); }"
        )
        for action in ("accept", "return", "waive")
    ]
    assert len(set(looks)) == 3, looks
    # The reason box sits in the Return card, not under Accept.
    expect(reviewer.locator("form[data-action=accept] textarea")).to_have_count(0)
    reviewer.fill("#comment-return", "Đề nghị ghi rõ số hộ tham gia mô hình.")
    reviewer.locator("[data-testid=action-return]").click()
    expect(reviewer.locator("[data-testid=confirm-text]")).to_contain_text(
        "Trả kế hoạch về Xã Sin Suối Hồ (người soạn:"
    )
    reviewer.locator("[data-testid=confirm-action]").click()
    expect(reviewer.locator("[data-testid=plan-status]")).to_contain_text("Bị trả lại")
    expect(reviewer.locator(".messages")).to_contain_text("Kế hoạch hiện ở bước “Soạn và trình kế hoạch” tại")


def test_the_drafter_is_told_who_submits(login, live_server_url):
    plan_id = _sin_suoi_ho_2023(live_server_url)
    drafter = login(C_DRAFTER)
    drafter.goto(f"{live_server_url}/plans/{plan_id}/task/")
    expect(drafter.locator("[data-testid=action-submit]")).to_have_count(0)
    expect(drafter.locator("[data-testid=not-yours-submit]")).to_contain_text(
        "bước này thuộc thẩm quyền của Chủ tịch UBND xã Sin Suối Hồ"
    )

"""After a resubmission the reviewer reads what changed in words: the commune submits, the
district returns it with a reason, the commune changes an amount and a section in the editor and
submits again; the district's task page lists the changes with no field code, no raw state and
no trailing zeros, each row linked to the part of the plan it names. Before the first submission
the task page lists what the plan still lacks.

Chromium (Debian's) through Playwright, on a live server with the demo (see conftest)."""

import re

from playwright.sync_api import expect

from tests.browser.plans import write_commune_plan

C_DRAFTER, C_HEAD, D_HEAD = "t3-c03592-ubnd-drafter", "t3-c03592-ubnd-head", "t3-d109-labour-head"
# What a developer reads and an officer should not: field and source codes, raw states, amounts
# as stored ("450.000", "1450.500") or with trailing zeros after the decimal comma ("13.200,500").
CODES = re.compile(
    r"legal_bases|purpose|objectives|central_recurrent|central_investment|\bdraft\b|\bsubmitted\b|\breturned\b"
    r"|\b\d{4,}\.\d{3}\b|\b(?:450|500)\.000\b|,\d*0\b"
)


def test_the_reviewer_reads_the_resubmitted_changes_in_words(login, live_server_url):
    commune = login(C_HEAD)
    commune.goto(f"{live_server_url}/inbox/")
    commune.locator("[data-testid=inbox] a", has_text="2023").first.click()
    task_url = commune.url
    plan_id = int(re.search(r"/plans/(\d+)/task/", task_url).group(1))

    # A blank plan: the page says what is missing before the head clicks.
    missing = commune.locator("[data-testid=missing]")
    expect(missing).to_contain_text("Chưa soạn “Căn cứ”.")
    expect(missing).to_contain_text("Chưa có dòng kinh phí nào có số tiền.")
    commune.locator("[data-testid=action-submit]").click()
    commune.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(commune.locator("[data-testid=missing][role=alert]")).to_be_visible()
    expect(commune.locator("[data-testid=plan-status]")).to_contain_text("Đang soạn")

    write_commune_plan(live_server_url, plan_id, C_DRAFTER, amount="450")
    commune.goto(task_url)
    expect(commune.locator("[data-testid=complete]")).to_be_visible()
    commune.locator("[data-testid=action-submit]").click()
    commune.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(commune.locator("[data-testid=plan-status]")).to_contain_text("Đã trình")

    reviewer = login(D_HEAD)
    reviewer.goto(task_url)
    reviewer.fill("#comment-return", "Đề nghị ghi rõ số hộ tham gia mô hình và tăng kinh phí.")
    reviewer.locator("[data-testid=action-return]").click()
    reviewer.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(reviewer.locator("[data-testid=plan-status]")).to_contain_text("Bị trả lại")

    drafter = login(C_DRAFTER)
    drafter.goto(f"{live_server_url}/plans/{plan_id}/edit/")
    drafter.fill("#id_lines-0-amount_central_recurrent", "500")
    drafter.fill("#id_header-purpose", "Hỗ trợ 25 hộ nghèo nuôi dê sinh sản, phát triển sinh kế bền vững.")
    drafter.locator(".save-bar button[type=submit]").click()
    expect(drafter.locator(".messages")).to_contain_text("Đã lưu kế hoạch.")

    commune.goto(task_url)
    commune.locator("[data-testid=action-submit]").click()
    commune.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(commune.locator("[data-testid=plan-status]")).to_contain_text("Đã trình")

    reviewer.goto(task_url)
    changes = reviewer.locator("[data-testid=round-changes]")
    expect(changes).to_contain_text("Thay đổi so với lần trình 1")
    expect(changes).to_contain_text("Sửa Mục đích, yêu cầu")
    expect(changes).to_contain_text(
        "“Hỗ trợ hộ nghèo phát triển sinh kế bền vững.” → "
        "“Hỗ trợ 25 hộ nghèo nuôi dê sinh sản, phát triển sinh kế bền vững.”"
    )
    expect(changes).to_contain_text("Sửa dòng 2. Đa dạng hóa sinh kế, phát triển mô hình giảm nghèo")
    expect(changes).to_contain_text("NSTW - SN 450 → 500")
    expect(changes).to_contain_text("Tổng cộng 450 → 500")
    words = changes.inner_text()
    assert not CODES.search(words), (CODES.search(words), words)

    # Each row leads to the part of the plan it names.
    line = changes.locator("a", has_text="2. Đa dạng hóa sinh kế")
    assert line.get_attribute("href") == f"/plans/{plan_id}/#budget"
    assert changes.locator("a", has_text="Mục đích, yêu cầu").get_attribute("href") == f"/plans/{plan_id}/#purpose"
    line.click()
    expect(reviewer).to_have_url(f"{live_server_url}/plans/{plan_id}/#budget")
    expect(reviewer.locator("#budget")).to_be_in_viewport()

"""The district waives its silent communes at once, through the workbench page: the head of
Phong Thổ's labour office opens the district plan from the inbox, then its workbench, selects
all 17 communes and back to none, picks three, is told a waiver needs a reason, writes one,
confirms, and reads per commune what happened; the three rows now read "Được miễn" and the
totals row still says what the communes add up to.

Chromium (Debian's) through Playwright, on a live server with the demo (see conftest)."""

import re

from playwright.sync_api import expect

D_HEAD = "t3-d109-labour-head"
SILENT = ("Xã Bản Lang", "Xã Dào San", "Xã Hoang Thèn")
REASON = "Quá hạn gửi kế hoạch; xã chưa có nhiệm vụ sử dụng vốn Chương trình năm 2023."


def test_the_district_head_waives_three_silent_communes_at_once_with_a_reason(login, live_server_url):
    page = login(D_HEAD)
    page.goto(f"{live_server_url}/inbox/?unit=109")
    page.locator("[data-testid=inbox] a", has_text="2023").first.click()
    plan_id = int(re.search(r"/plans/(\d+)/task/", page.url).group(1))
    page.goto(f"{live_server_url}/plans/{plan_id}/workbench/")
    expect(page.locator("[data-testid=progress]")).to_contain_text("0/17")

    # Select all (the script shows the box), then none.
    boxes = page.locator("[data-testid=workbench] tbody input[type=checkbox][name=plan]")
    expect(boxes).to_have_count(17)
    select_all = page.get_by_label("Chọn tất cả")
    select_all.check()
    assert all(boxes.nth(i).is_checked() for i in range(17))
    select_all.uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(17))

    for name in SILENT:
        page.get_by_label(f"Chọn {name}", exact=True).check()
    expect(page.locator("[data-selected-count]")).to_have_text("(3/17)")
    page.on("dialog", lambda dialog: dialog.accept())

    # No reason: the page says so and keeps the choice.
    page.locator("[data-testid=bulk-waive]").click()
    expect(page.locator("[data-testid=error-comment]")).to_have_text("Cần ghi lý do miễn.")
    for name in SILENT:
        expect(page.get_by_label(f"Chọn {name}", exact=True)).to_be_checked()

    page.get_by_label("Lý do / ý kiến (bắt buộc khi miễn)").fill(REASON)
    page.locator("[data-testid=bulk-waive]").click()
    results = page.locator("[data-testid=bulk-results]")
    expect(results).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Miễn (không chờ): đã thực hiện 3 kế hoạch.")
    for name in SILENT:
        expect(results.locator("tr", has_text=name)).to_contain_text("Đã thực hiện")
        row = page.locator("[data-testid=workbench] tbody tr", has_text=name)
        expect(row.locator(".status")).to_have_text("Được miễn")
        expect(row).to_contain_text("không tính vào tổng")
    expect(results.locator("tr[data-outcome=refused]")).to_have_count(0)
    expect(page.locator("[data-testid=progress]")).to_contain_text("3/17")
    expect(page.locator("[data-testid=below-total]")).to_have_text("0")

    # The reason is in each commune's history.
    link = page.locator("[data-testid=workbench] tbody tr", has_text=SILENT[0]).get_by_role("link")
    commune_id = int(re.search(r"/plans/(\d+)/task/", link.get_attribute("href")).group(1))
    page.goto(f"{live_server_url}/plans/{commune_id}/history/")
    expect(page.locator("main")).to_contain_text(REASON)

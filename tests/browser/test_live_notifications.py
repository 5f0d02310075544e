"""A district reviewer's inbox is open; a commune head submits from another browser; within
2 s the reviewer's bell count and inbox change, without a reload."""

import time


def bell_count(page) -> int:
    badge = page.locator("[data-notif-count]")
    return int(badge.inner_text() or 0) if badge.is_visible() else 0


def test_reviewer_sees_the_submission_live(login, live_server_url):
    reviewer = login("t3-d109-labour-head")
    reviewer.goto(f"{live_server_url}/inbox/")
    reviewer.evaluate("window.__notReloaded = true")
    reviewer.wait_for_function(
        "document.querySelector('[data-notif-bell]')?.dataset.connected === 'true'", timeout=5000
    )
    before_count = bell_count(reviewer)
    assert "Sin Suối Hồ" not in reviewer.locator("[data-testid=inbox]").inner_text()

    commune = login("t3-c03592-ubnd-head")
    commune.goto(f"{live_server_url}/inbox/")
    commune.locator("[data-testid=inbox] a", has_text="2023").first.click()
    commune.locator("[data-testid=action-submit]").click()
    commune.wait_for_selector("[data-testid=plan-status]")
    assert "Đã trình" in commune.locator("[data-testid=plan-status]").inner_text()
    submitted_at = time.monotonic()

    reviewer.wait_for_function(
        f"Number(document.querySelector('[data-notif-count]')?.textContent || 0) > {before_count}", timeout=2000
    )
    reviewer.wait_for_function(
        "document.querySelector('[data-testid=inbox]').innerText.includes('Sin Suối Hồ')", timeout=2000
    )
    elapsed = time.monotonic() - submitted_at
    assert elapsed < 2.0
    assert reviewer.evaluate("window.__notReloaded") is True

"""A district reviewer's inbox is open; a commune head submits from another browser; within
2 s the reviewer's bell count and inbox change, without a reload.

The waits use Playwright's locator assertions, which run outside the page: the page's CSP
(script-src 'self', no eval) stays exactly as users get it."""

import re
import time

from playwright.sync_api import expect

from tests.browser.plans import write_commune_plan

C_DRAFTER = "t3-c03592-ubnd-drafter"


def bell_count(page) -> int:
    badge = page.locator("[data-notif-count]")
    return int(badge.inner_text() or 0) if badge.is_visible() else 0


def test_reviewer_sees_the_submission_live(login, live_server_url):
    reviewer = login("t3-d109-labour-head")
    reviewer.goto(f"{live_server_url}/inbox/")
    navigations: list[str] = []
    reviewer.on("framenavigated", lambda frame: navigations.append(frame.url))
    expect(reviewer.locator("[data-notif-bell][data-connected=true]")).to_have_count(1, timeout=5000)
    before = bell_count(reviewer)
    expect(reviewer.locator("[data-testid=inbox]")).not_to_contain_text("Sin Suối Hồ")

    commune = login("t3-c03592-ubnd-head")
    commune.goto(f"{live_server_url}/inbox/")
    commune.locator("[data-testid=inbox] a", has_text="2023").first.click()
    # The demo's commune plan is blank, and a blank plan is refused: the drafter writes it first.
    write_commune_plan(live_server_url, int(re.search(r"/plans/(\d+)/task/", commune.url).group(1)), C_DRAFTER)
    commune.reload()
    commune.locator("[data-testid=action-submit]").click()
    commune.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(commune.locator("[data-testid=plan-status]")).to_contain_text("Đã trình")
    submitted_at = time.monotonic()

    expect(reviewer.locator("[data-notif-count]")).to_have_text(str(before + 1), timeout=2000)
    expect(reviewer.locator("[data-testid=inbox]")).to_contain_text("Sin Suối Hồ", timeout=2000)
    assert time.monotonic() - submitted_at < 2.0
    assert navigations == []  # no reload: the page changed in place

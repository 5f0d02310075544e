"""Minimum accessibility (Decree 224/2026): axe-core finds no serious or critical violation on
the officer's pages (inbox, task, plan, editor, workbench, deadlines, notifications, home), on
a desktop (1366 px) and on a phone (390 px), each opened by the officer who works on it.

axe-core comes from the npm registry, pinned in package-lock.json (``make install-dev`` runs
``npm ci``), and is injected into each page by Playwright. Chromium (Debian's), live server with
the demo (see conftest)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from directory.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
D_HEAD, D_DRAFTER = "t3-d109-labour-head", "t3-d109-labour-drafter"  # Phòng LĐTBXH Phong Thổ (2023)
COUNCIL = "t2-p12-hdnd-council_secretary"  # two-tier Lai Châu's People's Council (2027)
STANDING = "t2-p12-agri-head"  # Sở NN&MT, the 2027 standing agency
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        from django.conf import settings

        if os.environ.get("REQUIRE_BROWSER") == "1" or settings.REQUIRE_POSTGRES:
            pytest.fail("axe-core is not installed (make install-dev runs npm ci); CI forbids skipping")
        pytest.skip("axe-core is not installed (npm ci)")
    return str(AXE)


def officer(browser, base: str, username: str, width: int):
    # bypass_csp: the page's CSP (script-src 'self') would refuse the injected axe script; the
    # page's own scripts run as they always do.
    context = browser.new_context(locale="vi-VN", viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    return context, page


def violations(page, axe: str) -> list[str]:
    page.add_script_tag(path=axe)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("width", [1366, 390])
def test_axe_finds_no_serious_violation_on_the_officers_pages(browser, live_server_url, axe_source, width):
    found: dict[str, list[str]] = {}
    contexts = []

    def check(page, name: str, path: str) -> None:
        page.goto(f"{live_server_url}{path}")
        found[name] = violations(page, axe_source)

    try:
        context, head = officer(browser, live_server_url, D_HEAD, width)
        contexts.append(context)
        head.goto(f"{live_server_url}/inbox/?unit=109")
        head.locator("[data-testid=inbox] a", has_text="2023").first.click()
        plan_id = int(re.search(r"/plans/(\d+)/task/", head.url).group(1))
        for name, path in (
            ("inbox", "/inbox/"),
            ("task", f"/plans/{plan_id}/task/"),
            ("plan", f"/plans/{plan_id}/"),
            ("workbench", f"/plans/{plan_id}/workbench/"),
            ("deadlines", "/deadlines/"),
            ("notifications", "/notifications/"),
            ("home", "/"),
        ):
            check(head, name, path)

        context, drafter = officer(browser, live_server_url, D_DRAFTER, width)
        contexts.append(context)
        check(drafter, "editor", f"/plans/{plan_id}/edit/")

        context, council = officer(browser, live_server_url, COUNCIL, width)
        contexts.append(context)
        council.goto(f"{live_server_url}/inbox/")
        council.locator("[data-testid=inbox] a", has_text="2027").first.click()
        found["council's task (2027)"] = violations(council, axe_source)
        province = int(re.search(r"/plans/(\d+)/task/", council.url).group(1))

        context, standing = officer(browser, live_server_url, STANDING, width)
        contexts.append(context)
        check(standing, "workbench (2027)", f"/plans/{province}/workbench/")
    finally:
        for context in contexts:
            context.close()
    assert {name: problems for name, problems in found.items() if problems} == {}

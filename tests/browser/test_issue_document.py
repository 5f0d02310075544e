"""Issuing the signed PDF from the plan page, as the demo's officers do: the commune chair of
two-tier Sin Suối Hồ opens the commune's accepted 2027 plan, types the document's number and
date of issue on the documents panel, issues it, and reads the issued version with that number
and date; on a phone (390 px) the plan page with its issued document does not scroll sideways.

Chromium (Debian's) through Playwright, on a live server with the demo (see conftest). The job
renders with LibreOffice and signs with the demo CA inside the request: the module's server runs
Celery eagerly (no REDIS_URL), as ``make demo`` does."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from playwright.sync_api import expect

from tests.browser.plans import api, token_of
from tests.browser.test_phones import PHONE, scroll_width
from tests.office import require_office_tools

HEAD = "t2-c03394-ubnd-head"  # Chủ tịch UBND xã Sin Suối Hồ (two-tier Lai Châu)
NUMBER = "15/KH-UBND"
ISSUE_TIMEOUT = 120_000  # ms: LibreOffice on a busy two-core machine


@pytest.fixture(scope="module")
def live_server_env() -> dict[str, str]:
    return {"REDIS_URL": ""}  # eager Celery: the issue finishes within its request


@pytest.fixture(scope="module", autouse=True)
def renderer_tools():
    require_office_tools(tools=("soffice",), font="Liberation", purpose="issuing")


def yesterday() -> str:
    """A date of issue the server's clock cannot see as future (the demo restores its clock)."""
    return (dt.date.today() - dt.timedelta(days=1)).strftime("%d/%m/%Y")


def accepted_2027_plan(base: str) -> int:
    plans = api(base, "GET", "/api/v1/plans/?status=accepted", token=token_of(base, HEAD))
    return next(p["id"] for p in plans if p["cycle_year"] == 2027)


def test_the_commune_chair_issues_the_plan_with_the_number_and_date_typed(login, live_server_url):
    plan_id = accepted_2027_plan(live_server_url)
    date = yesterday()
    head = login(HEAD)
    head.goto(f"{live_server_url}/plans/{plan_id}/")
    panel = head.get_by_test_id("issued-documents")
    expect(panel.get_by_text("Kế hoạch chưa có văn bản ký số.")).to_be_visible()
    panel.get_by_label("Số, ký hiệu").fill(NUMBER)
    panel.get_by_label("Ngày ban hành").fill(date)
    panel.get_by_test_id("issue-button").click()
    head.wait_for_url(f"{live_server_url}/plans/{plan_id}/#issued-documents", timeout=ISSUE_TIMEOUT)

    expect(head.locator(".messages")).to_contain_text("Đã gửi yêu cầu ban hành")
    row = panel.get_by_test_id("issued-documents-table").locator("tbody tr").first
    expect(row).to_contain_text(f"{NUMBER} · {date}")
    expect(row.get_by_test_id("document-status")).to_have_text("Đã ban hành")
    expect(row.get_by_role("link", name="PDF")).to_be_visible()
    expect(head.locator(".doc-header")).to_contain_text(f"Số: {NUMBER}")  # the plan's header prints it now
    # The form now holds the plan's number and date: a reissue keeps them unless changed.
    expect(panel.get_by_label("Số, ký hiệu")).to_have_value(NUMBER)
    expect(panel.get_by_label("Ngày ban hành")).to_have_value(date)


def test_a_refused_date_is_shown_at_its_field_and_nothing_is_issued(login, live_server_url):
    plan_id = accepted_2027_plan(live_server_url)
    head = login(HEAD)
    head.goto(f"{live_server_url}/plans/{plan_id}/")
    panel = head.get_by_test_id("issued-documents")
    before = panel.locator("[data-document]").count()
    panel.get_by_label("Số, ký hiệu").fill(NUMBER)
    panel.get_by_label("Ngày ban hành").fill("31/02/2027")
    panel.get_by_test_id("issue-button").click()
    date = head.locator("#issue-date")
    expect(date).to_have_attribute("aria-invalid", "true")
    expect(head.locator("#issue-date-error")).to_have_text("Ngày không hợp lệ: 31/02/2027 không có trên lịch.")
    expect(date).to_have_value("31/02/2027")  # what the officer typed, to correct
    assert head.get_by_test_id("issued-documents").locator("[data-document]").count() == before


def issued_document(base: str, plan_id: int) -> None:
    """The plan has an issued version (the test above made it; alone, this one issues it)."""
    token = token_of(base, HEAD)
    path = f"/api/v1/plans/{plan_id}/documents/"
    if not any(d["status"] == "issued" for d in api(base, "GET", path, token=token)):
        document = api(base, "POST", path, {"number_symbol": NUMBER, "issued_on": yesterday()}, token)
        for _ in range(120):
            if api(base, "GET", f"/api/v1/documents/{document['id']}/", token=token)["status"] in ("issued", "failed"):
                break
            time.sleep(1)
    assert any(d["status"] == "issued" for d in api(base, "GET", path, token=token))


def test_the_plan_page_with_an_issued_document_fits_a_phone(login, live_server_url):
    plan_id = accepted_2027_plan(live_server_url)
    issued_document(live_server_url, plan_id)
    phone = login(HEAD, viewport=PHONE, device_scale_factor=2, is_mobile=True)
    phone.goto(f"{live_server_url}/plans/{plan_id}/")
    expect(phone.get_by_test_id("issued-documents-table")).to_be_visible()
    expect(phone.get_by_test_id("issue-form")).to_be_visible()
    assert scroll_width(phone) <= PHONE["width"]
    box = phone.locator("#issue-number").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


@pytest.mark.parametrize("width", [1366, 390])
def test_the_issue_form_with_its_errors_has_no_serious_accessibility_violation(login, live_server_url, width):
    from tests.browser.test_axe import AXE, violations

    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci); tests/browser/test_axe.py fails for it under CI")
    plan_id = accepted_2027_plan(live_server_url)
    head = login(HEAD, viewport={"width": width, "height": 900}, bypass_csp=True)
    head.goto(f"{live_server_url}/plans/{plan_id}/")
    head.locator("#issue-number").fill(NUMBER)
    head.locator("#issue-date").fill("hôm qua")
    head.get_by_test_id("issue-button").click()
    expect(head.locator("#issue-date-error")).to_be_visible()
    assert violations(head, str(AXE)) == []

"""On a phone (390 px wide) no page scrolls sideways: the inbox, the task page, the plan page,
the notifications, the deadlines, the editor and the workbench, each opened by the officer who
works on it. Wide tables scroll inside their own box; the workbench keeps the unit's name in
view while it does; the editor's lines are stacked cards with a visible label on every amount.
The header wraps by whole words and its language switch ("EN") is whole on screen.

Chromium (Debian's) through Playwright, on a live server with the demo (see conftest)."""

import re

import pytest
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
D_HEAD, D_DRAFTER = "t3-d109-labour-head", "t3-d109-labour-drafter"  # Phòng LĐTBXH Phong Thổ (2023)
COUNCIL = "t2-p12-hdnd-council_secretary"  # two-tier Lai Châu's People's Council (2027, seven sources)
STANDING = "t2-p12-agri-head"  # Sở NN&MT, the 2027 standing agency


@pytest.fixture
def phone(login):
    def _as(username: str):
        return login(username, viewport=PHONE, device_scale_factor=2, is_mobile=True)

    return _as


def scroll_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def plan_from_inbox(page, base: str, year: str, unit: str = "") -> int:
    page.goto(f"{base}/inbox/{'?unit=' + unit if unit else ''}")
    page.locator("[data-testid=inbox] a", has_text=year).first.click()
    return int(re.search(r"/plans/(\d+)/task/", page.url).group(1))


def assert_header_whole(page) -> None:
    # Each link and the officer's name on one line (an inline box broken over lines has several
    # rectangles), and the language buttons inside the screen.
    broken = page.evaluate(
        """() => Array.from(document.querySelectorAll('.topbar a, .topbar .who, .topbar button'))
                 .filter((el) => el.getClientRects().length > 1).map((el) => el.textContent.trim())"""
    )
    assert broken == []
    english = page.locator(".topbar .lang button", has_text="EN")
    box = english.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    expect(english).to_be_visible()


def test_no_page_scrolls_sideways_at_390_px(phone, live_server_url):
    widths = {}
    head = phone(D_HEAD)
    plan_id = plan_from_inbox(head, live_server_url, "2023", unit="109")
    assert_header_whole(head)
    for name, path in (
        ("inbox", "/inbox/"),
        ("task", f"/plans/{plan_id}/task/"),
        ("plan", f"/plans/{plan_id}/"),
        ("notifications", "/notifications/"),
        ("deadlines", "/deadlines/"),
        ("workbench", f"/plans/{plan_id}/workbench/"),
        ("history", f"/plans/{plan_id}/history/"),
        ("home", "/"),
    ):
        head.goto(f"{live_server_url}{path}")
        widths[name] = scroll_width(head)

    drafter = phone(D_DRAFTER)
    drafter.goto(f"{live_server_url}/plans/{plan_id}/edit/")
    widths["editor"] = scroll_width(drafter)

    council = phone(COUNCIL)
    province_2027 = plan_from_inbox(council, live_server_url, "2027")
    widths["task 2027 (seven sources)"] = scroll_width(council)
    council.goto(f"{live_server_url}/plans/{province_2027}/")
    widths["plan 2027 (seven sources)"] = scroll_width(council)
    council.goto(f"{live_server_url}/plans/{province_2027}/history/")
    widths["history 2027"] = scroll_width(council)
    # The verification's answer prints the file's 64-digit SHA-256 (a file that is not a PDF is enough).
    council.goto(f"{live_server_url}/documents/verify/")
    council.set_input_files(
        "#verify-file", files=[{"name": "ke-hoach.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}]
    )
    council.locator("form[enctype] button").click()
    expect(council.locator("main code").first).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    widths["verification's answer"] = scroll_width(council)

    standing = phone(STANDING)
    standing.goto(f"{live_server_url}/plans/{province_2027}/workbench/")
    widths["workbench 2027 (seven sources)"] = scroll_width(standing)
    standing.goto(f"{live_server_url}/plans/{province_2027}/edit/")
    widths["editor 2027 (seven sources)"] = scroll_width(standing)

    assert {name: width for name, width in widths.items() if width > PHONE["width"]} == {}, widths


def test_the_workbench_keeps_the_unit_in_view_and_the_editor_stacks_its_lines(phone, live_server_url):
    head = phone(D_HEAD)
    plan_id = plan_from_inbox(head, live_server_url, "2023", unit="109")
    head.goto(f"{live_server_url}/plans/{plan_id}/workbench/")
    scroller = head.locator(".bench-scroll")
    assert scroller.evaluate("(box) => box.scrollWidth > box.clientWidth")  # the figures scroll in the box
    name = head.locator("[data-testid=workbench] tbody tr[data-unit] td:nth-child(2)").first
    before = name.bounding_box()["x"]
    scroller.evaluate("(box) => { box.scrollLeft = box.scrollWidth; }")
    assert abs(name.bounding_box()["x"] - before) < 2  # the unit's name has not moved (sub-pixel sticking)
    expect(name).to_be_in_viewport()

    drafter = phone(D_DRAFTER)
    drafter.goto(f"{live_server_url}/plans/{plan_id}/edit/")
    first = drafter.locator("#lines-table tbody.row").first
    amount = first.locator("input.amount").first
    label = first.locator(f"label[for='{amount.get_attribute('id')}']")
    expect(label).to_be_visible()  # the source's name above its box, not only in a header off screen
    box = amount.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

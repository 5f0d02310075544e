"""Search through Chromium: the province officer types "sin suoi ho" in the plan list and finds
Sin Suối Hồ's plans; an outsider typing the same finds nothing of another province."""

from playwright.sync_api import expect

P_HEAD, OUTSIDER = "t3-p12-labour-head", "t2-c03388-ubnd-drafter"


def test_typing_sin_suoi_ho_without_marks_finds_the_plan(login, live_server_url):
    officer = login(P_HEAD)
    officer.goto(f"{live_server_url}/plans/")
    officer.locator("[data-testid=plan-search]").fill("sin suoi ho")
    officer.locator("[data-testid=plan-search]").press("Enter")
    table = officer.locator("[data-testid=plan-list]")
    expect(table).to_contain_text("Xã Sin Suối Hồ")
    assert "Xã Mường So" not in table.inner_text()
    units = table.locator("tbody tr td:first-child").all_inner_texts()
    assert units and all("Sin Suối Hồ" in unit for unit in units), units


def test_an_outsiders_search_shows_no_other_provinces_plan(login, live_server_url):
    outsider = login(OUTSIDER)
    outsider.goto(f"{live_server_url}/plans/?q=sin+suoi+ho")
    expect(outsider.locator("[data-testid=no-results]")).to_be_visible()
    expect(outsider.locator("[data-testid=plan-list]")).to_have_count(0)

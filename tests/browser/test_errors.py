"""The product's own error pages through Chromium: a plan outside one's tree is its 404 in
Vietnamese with a way back (not viewflow's "Django Material" page), /workflow/ its 403, and
/favicon.ico answers."""

from playwright.sync_api import expect

from tests.browser.plans import api, token_of

C_HEAD, OUTSIDER = "t3-c03592-ubnd-head", "t2-c03388-ubnd-drafter"
FOREIGN = ("We're sorry", "View site", "XEM TRANG WEB", "Access Forbidden")


def test_a_foreign_plans_url_shows_the_products_404_in_vietnamese(login, live_server_url):
    rows = api(live_server_url, "GET", "/api/v1/plans/?unit=03592", token=token_of(live_server_url, C_HEAD))
    plan_id = rows[0]["id"]
    outsider = login(OUTSIDER)
    response = outsider.goto(f"{live_server_url}/plans/{plan_id}/")
    assert response.status == 404
    expect(outsider.locator("h1")).to_have_text("Không tìm thấy trang")
    text = outsider.locator("body").inner_text()
    assert not [word for word in FOREIGN if word.lower() in text.lower()], text
    outsider.locator("[data-testid=error-home]").click()
    expect(outsider).to_have_url(f"{live_server_url}/")

    response = outsider.goto(f"{live_server_url}/workflow/")
    assert response.status == 403
    expect(outsider.locator("h1")).to_have_text("Không có quyền truy cập")

    icon = outsider.request.get(f"{live_server_url}/favicon.ico")
    assert icon.ok and icon.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")

"""Attachments through the pages: the commune's drafter attaches the signed submission in the
editor (a renamed executable is refused), the head submits and the file freezes with round 1;
the district's reviewer downloads it from the plan page; an outsider gets 404 for it.

Buttons and fields are found by their visible label or role (the task page's layout may change)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.plans import write_commune_plan

C_DRAFTER, C_HEAD, D_HEAD = "t3-c03592-ubnd-drafter", "t3-c03592-ubnd-head", "t3-d109-labour-head"
OUTSIDER = "t2-c03388-ubnd-drafter"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x02\x00\x3e\x00" + b"\x00" * 64


@pytest.fixture(scope="module", autouse=True)
def media_root(tmp_path_factory):
    """The live server keeps its uploads in a temporary folder (it reads MEDIA_ROOT at start)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDIA_ROOT", str(tmp_path_factory.mktemp("media")))
        yield


def test_an_attachment_freezes_with_the_round_and_only_the_plans_officers_download_it(login, live_server_url):
    head = login(C_HEAD)
    head.goto(f"{live_server_url}/inbox/")
    head.locator("[data-testid=inbox] a", has_text="2023").first.click()
    task_url = head.url
    plan_id = int(re.search(r"/plans/(\d+)/task/", task_url).group(1))

    drafter = login(C_DRAFTER)
    drafter.goto(f"{live_server_url}/plans/{plan_id}/edit/")
    files = drafter.locator("#attachments")
    files.get_by_label("Chọn tệp").set_input_files(
        {"name": "to-trinh-so-12.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    files.get_by_label("Loại tài liệu").select_option(label="Tờ trình")
    files.get_by_role("button", name="Tải tệp lên").click()
    expect(drafter.get_by_text("Đã đính kèm “to-trinh-so-12.pdf”.")).to_be_visible()
    row = files.get_by_role("row").filter(has_text="to-trinh-so-12.pdf")
    expect(row).to_contain_text("Tờ trình")
    expect(row).to_contain_text("Lần 1 · đang soạn")

    # A program renamed .pdf is refused by its content.
    files.get_by_label("Chọn tệp").set_input_files({"name": "evil.pdf", "mimeType": "application/pdf", "buffer": ELF})
    files.get_by_role("button", name="Tải tệp lên").click()
    expect(drafter.get_by_text(re.compile("Nội dung tệp không phải PDF.*không nhận"))).to_be_visible()
    expect(files.get_by_role("link", name="evil.pdf")).to_have_count(0)

    # Submitted: the file is frozen with round 1 and can no longer be removed.
    write_commune_plan(live_server_url, plan_id, C_DRAFTER)
    head.goto(task_url)
    head.get_by_role("button", name="Trình", exact=True).click()
    head.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(head.locator("[data-testid=plan-status]")).to_contain_text("Đã trình")
    drafter.goto(f"{live_server_url}/plans/{plan_id}/")
    files = drafter.locator("#attachments")
    expect(files.get_by_role("row").filter(has_text="to-trinh-so-12.pdf")).to_contain_text(
        re.compile(r"Lần 1 · đã khóa ngày \d{2}/\d{2}/\d{4}")
    )
    expect(files.get_by_role("button", name=re.compile("Gỡ tệp"))).to_have_count(0)
    expect(files.get_by_role("button", name="Tải tệp lên")).to_have_count(0)

    # The district's reviewer downloads it from the plan page.
    reviewer = login(D_HEAD)
    reviewer.goto(f"{live_server_url}/plans/{plan_id}/")
    link = reviewer.locator("#attachments").get_by_role("link", name="to-trinh-so-12.pdf")
    with reviewer.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "to-trinh-so-12.pdf"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == PDF
    file_url = f"{live_server_url}{link.get_attribute('href')}"

    # An officer of another province gets 404 for the file and for the plan.
    outsider = login(OUTSIDER)
    assert outsider.request.get(file_url).status == 404
    assert outsider.goto(f"{live_server_url}/plans/{plan_id}/").status == 404

"""The conversation on a plan, through the pages: the district returns the commune's plan with a
reason and a line comment; the commune's drafter finds both in the editor, the reason pinned at
the top and the comment beside its line; the commune's head resubmits with a reply; the district
reads the reply in the plan's thread.

Buttons and fields are found by their visible label or role (the task page's layout may change)."""

import re

from playwright.sync_api import expect

from tests.browser.plans import write_commune_plan

C_DRAFTER, C_HEAD, D_HEAD = "t3-c03592-ubnd-drafter", "t3-c03592-ubnd-head", "t3-d109-labour-head"
REASON = "Đề nghị ghi rõ số hộ tham gia mô hình nuôi dê."
LINE_COMMENT = "Kinh phí 450 triệu chưa khớp với số hộ."
REPLY = "Đã ghi rõ 25 hộ tham gia và điều chỉnh kinh phí."


def action_form(page, label: str):
    """The form whose button reads ``label``."""
    return page.locator("form").filter(has=page.get_by_role("button", name=label, exact=True))


def test_a_return_is_answered_by_the_resubmission_and_the_reviewer_reads_the_reply(login, live_server_url):
    commune = login(C_HEAD)
    commune.goto(f"{live_server_url}/inbox/")
    commune.locator("[data-testid=inbox] a", has_text="2023").first.click()
    task_url = commune.url
    plan_id = int(re.search(r"/plans/(\d+)/task/", task_url).group(1))
    write_commune_plan(live_server_url, plan_id, C_DRAFTER, amount="450")
    commune.goto(task_url)
    commune.get_by_role("button", name="Trình", exact=True).click()
    commune.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(commune.locator("[data-testid=plan-status]")).to_contain_text("Đã trình")

    # The district returns it with a reason and a comment on the line "2. …".
    reviewer = login(D_HEAD)
    reviewer.goto(task_url)
    returning = action_form(reviewer, "Trả lại để chỉnh sửa")
    returning.get_by_label(re.compile("Lý do")).fill(REASON)
    returning.get_by_text("Ý kiến theo dòng").click()
    returning.get_by_label(re.compile(r"^2 ")).fill(LINE_COMMENT)
    returning.get_by_role("button", name="Trả lại để chỉnh sửa").click()
    reviewer.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(reviewer.locator("[data-testid=plan-status]")).to_contain_text("Bị trả lại")

    # The drafter's editor: the reason pinned at the top, the line comment beside its line.
    drafter = login(C_DRAFTER)
    drafter.goto(f"{live_server_url}/plans/{plan_id}/edit/")
    pinned = drafter.get_by_role("note")
    expect(pinned).to_contain_text("Kế hoạch bị trả lại để chỉnh sửa")
    expect(pinned).to_contain_text(REASON)
    expect(pinned).to_contain_text(LINE_COMMENT)
    assert pinned.bounding_box()["y"] < drafter.locator("#plan-editor").bounding_box()["y"]
    note = drafter.locator("#lines-table").get_by_text(LINE_COMMENT)
    expect(note).to_be_visible()
    # Its row follows the row of the line it is about (item "2").
    commented_item = note.evaluate(
        "el => el.closest('tbody').previousElementSibling.querySelector('select[name$=\"-item\"]').value"
    )
    assert commented_item == "2"

    # The head resubmits with a reply.
    commune.goto(task_url)
    submitting = action_form(commune, "Trình")
    submitting.get_by_label("Trả lời ý kiến trả lại (không bắt buộc)").fill(REPLY)
    submitting.get_by_role("button", name="Trình", exact=True).click()
    commune.locator("[data-testid=confirm-action]").click()  # the confirmation dialog
    expect(commune.locator("[data-testid=plan-status]")).to_contain_text("Đã trình")

    # The district reads the reply in the thread, as the answer to its return.
    reviewer.goto(task_url)
    thread = reviewer.locator("#thread")
    answer = thread.locator("article", has_text=REPLY)
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("Trả lời ý kiến trả lại ngày")
    expect(answer).to_contain_text("Lần trình 2")
    expect(thread.locator("article", has_text=REASON)).to_contain_text(LINE_COMMENT)
    # The plan's own page shows the same thread.
    drafter.goto(f"{live_server_url}/plans/{plan_id}/")
    expect(drafter.locator("#thread").locator("article", has_text=REPLY)).to_be_visible()

"""The plan's conversation: comments and replies, line anchors, the return pinned in the
editor beside its lines, the drafter's reply on resubmission, notifications, outsiders' 404."""

from __future__ import annotations

import pytest
from django.test import Client

from approvals.models import AuditEvent
from directory.models import User
from dossier import selectors, services
from dossier.models import Comment
from notifications.models import Notification
from planning.models import Plan
from tests.dossier.conftest import LINE_COMMENT, REASON
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_HEAD, OUTSIDER, plan_of


def web(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_drafter_sees_the_return_reason_pinned_and_the_line_comment_beside_its_line(returned):
    page = web(C_DRAFTER).get(f"/plans/{returned.pk}/edit/")
    assert page.status_code == 200
    html = page.content.decode()
    pinned = html.index('data-testid="pinned-return"')
    assert pinned < html.index('id="plan-editor"'), "the return is pinned above the editor"
    assert REASON in html[pinned : html.index('id="plan-editor"')]
    # The line comment sits in the row right after its line's row in the lines table.
    lines_table = html[html.index('id="lines-table"') : html.index("</table>", html.index('id="lines-table"'))]
    assert 'data-testid="line-note"' in lines_table
    assert LINE_COMMENT in lines_table
    first_row_end = lines_table.index("</tbody>")
    note_at = lines_table.index(LINE_COMMENT)
    assert note_at > first_row_end and lines_table.index('data-testid="line-notes"') < note_at


def test_the_pinned_return_goes_once_the_plan_is_resubmitted(returned, as_user):
    assert selectors.open_return(returned) is not None
    as_user(C_HEAD).act(returned, "submit")
    assert selectors.open_return(Plan.objects.get(pk=returned.pk)) is None


def test_a_resubmission_reply_answers_the_return_in_the_thread(returned, as_user):
    as_user(C_HEAD).act(returned, "submit", reply="Đã bổ sung số hộ (25 hộ) và biên bản họp dân.")
    reply = Comment.objects.get(plan=returned)
    the_return = AuditEvent.objects.filter(plan=returned, action="return").latest("id")
    assert reply.answers_event == the_return
    assert reply.round_number == 2
    assert reply.author.username == C_HEAD
    assert reply.agency.unit_id == returned.unit_id
    thread = as_user(D_HEAD).client.get(f"/api/v1/plans/{returned.pk}/comments/").json()["results"]
    kinds = [(entry["kind"], entry["action"]) for entry in thread]
    assert ("decision", "return") in kinds
    answer = next(entry for entry in thread if entry["kind"] == "comment")
    assert answer["answers_event"] == the_return.pk
    assert answer["text"] == "Đã bổ sung số hộ (25 hộ) và biên bản họp dân."
    decision = next(entry for entry in thread if entry["action"] == "return")
    assert decision["text"] == REASON
    assert decision["line_comments"][0]["comment"] == LINE_COMMENT


def test_the_task_page_submit_form_carries_the_reply(returned):
    head = web(C_HEAD)
    page = head.get(f"/plans/{returned.pk}/task/").content.decode()
    form = page[page.index('data-action="submit"') :]
    assert 'name="reply"' in form[: form.index("</form>")]
    response = head.post(
        f"/plans/{returned.pk}/task/", {"action": "submit", "reply": "Đã sửa theo ý kiến.", "idempotency_key": "k1"}
    )
    assert response.status_code == 302
    assert Comment.objects.get(plan=returned).text == "Đã sửa theo ý kiến."
    reviewer_page = web(D_HEAD).get(f"/plans/{returned.pk}/task/").content.decode()
    thread = reviewer_page[reviewer_page.index('data-testid="thread"') :]
    assert "Đã sửa theo ý kiến." in thread
    assert 'data-testid="answers-return"' in thread


def test_a_refused_submission_stores_no_reply(demo, as_user):
    plan = plan_of("03592")  # not completed: the submission is refused (plan_incomplete)
    as_user(C_HEAD).act(plan, "submit", expect=409, reply="Trả lời")
    assert not Comment.objects.filter(plan=plan).exists()


def test_a_comment_on_a_line_and_a_reply_to_it(returned, as_user):
    code = returned.returned_line.item.code
    reviewer = as_user(D_HEAD).client
    created = reviewer.post(
        f"/api/v1/plans/{returned.pk}/comments/",
        {"text": "Dòng này cần tách hai mô hình.", "line": code},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (
        body["line"] == code
        and body["round"] == 1
        and body["agency"] == "Phòng Lao động - Thương binh và Xã hội huyện Phong Thổ"
    )
    drafter = as_user(C_DRAFTER).client
    first = drafter.post(
        f"/api/v1/plans/{returned.pk}/comments/", {"text": "Đã tách.", "parent": body["id"]}, format="json"
    ).json()
    # A reply to a reply joins the same thread (one level of replies).
    second = reviewer.post(
        f"/api/v1/plans/{returned.pk}/comments/", {"text": "Cảm ơn.", "parent": first["id"]}, format="json"
    ).json()
    assert first["parent"] == body["id"] and second["parent"] == body["id"]
    assert first["line"] == code
    thread = reviewer.get(f"/api/v1/plans/{returned.pk}/comments/").json()["results"]
    top = next(entry for entry in thread if entry["id"] == body["id"] and entry["kind"] == "comment")
    assert [reply["text"] for reply in top["replies"]] == ["Đã tách.", "Cảm ơn."]
    # Beside its line in the editor too (with the return's own line comment).
    notes = selectors.line_notes(returned)[code]
    assert [note.text for note in notes] == [LINE_COMMENT, "Dòng này cần tách hai mô hình.", "Đã tách.", "Cảm ơn."]


def test_the_agency_of_the_commenter_is_named(returned, as_user):
    as_user(D_HEAD).client.post(f"/api/v1/plans/{returned.pk}/comments/", {"text": "Xem lại."}, format="json")
    comment = Comment.objects.get(plan=returned)
    assert comment.agency is not None and comment.agency.unit.code == "109"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": "  "}, "text"), ({"text": "x", "line": "99.99"}, "line"), ({"text": "x", "parent": 999999}, "parent")],
)
def test_a_wrong_comment_is_400_naming_the_field(returned, as_user, body, field):
    response = as_user(D_HEAD).client.post(f"/api/v1/plans/{returned.pk}/comments/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_new_comment_notifies_the_people_on_the_plan(returned, as_user):
    before = Notification.objects.filter(kind="comment").count()
    as_user(D_HEAD).client.post(f"/api/v1/plans/{returned.pk}/comments/", {"text": "Đề nghị gửi sớm."}, format="json")
    notified = set(
        Notification.objects.filter(kind="comment", plan=returned).values_list("recipient__username", flat=True)
    )
    assert Notification.objects.filter(kind="comment").count() - before == len(notified)
    assert {C_DRAFTER, C_HEAD} <= notified
    assert D_HEAD not in notified  # not the author
    assert OUTSIDER not in notified
    notice = Notification.objects.filter(kind="comment", recipient__username=C_DRAFTER).latest("id")
    assert notice.link == f"/plans/{returned.pk}/#thread"
    assert "Đề nghị gửi sớm." in notice.text_vi


def test_a_reply_notifies_the_reviewer_who_returned(returned, as_user):
    as_user(C_HEAD).act(returned, "submit", reply="Đã bổ sung.")
    notice = Notification.objects.filter(kind="comment", recipient__username=D_HEAD, plan=returned).latest("id")
    assert "trả lời ý kiến trả lại" in notice.text_vi


def test_a_rolled_back_comment_notifies_nobody(returned):
    from django.db import transaction

    actor = User.objects.get(username=D_HEAD)
    before = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.comment_add(actor=actor, plan_id=returned.pk, text="Sẽ bị hủy.")
        raise RuntimeError
    assert Notification.objects.count() == before
    assert not Comment.objects.filter(plan=returned).exists()


def test_the_outsider_gets_404_on_every_conversation_url(returned, as_user):
    comment = services.comment_add(actor=User.objects.get(username=D_HEAD), plan_id=returned.pk, text="Nội bộ.")
    api = as_user(OUTSIDER).client
    assert api.get(f"/api/v1/plans/{returned.pk}/comments/").status_code == 404
    assert api.post(f"/api/v1/plans/{returned.pk}/comments/", {"text": "x"}, format="json").status_code == 404
    assert (
        api.post(
            f"/api/v1/plans/{returned.pk}/comments/", {"text": "x", "parent": comment.pk}, format="json"
        ).status_code
        == 404
    )
    page = web(OUTSIDER)
    assert page.post(f"/plans/{returned.pk}/comments/", {"text": "x"}).status_code == 404
    assert page.post(f"/plans/{returned.pk}/comments/", {"text": "x", "parent": comment.pk}).status_code == 404
    assert Comment.objects.filter(plan=returned).count() == 1


def test_the_web_form_posts_a_comment_and_the_plan_page_shows_it(returned):
    reviewer = web(D_HEAD)
    response = reviewer.post(
        f"/plans/{returned.pk}/comments/",
        {"text": "Ý kiến qua trang.", "line": returned.returned_line.item.code, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{returned.pk}/#thread"  # never off the site
    page = web(C_DRAFTER).get(f"/plans/{returned.pk}/").content.decode()
    thread = page[page.index('data-testid="thread"') :]
    assert "Ý kiến qua trang." in thread
    assert REASON in thread
    assert "Phòng Lao động - Thương binh và Xã hội" in thread
    assert "Lần trình 1" in thread


def test_the_thread_reads_in_a_constant_number_of_queries(returned, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reviewer = User.objects.get(username=D_HEAD)

    def count() -> int:
        plan = Plan.objects.get(pk=returned.pk)
        with CaptureQueriesContext(connection) as queries:
            selectors.thread(plan)
        return len(queries)

    services.comment_add(actor=reviewer, plan_id=returned.pk, text="Ý kiến")
    few = count()
    as_user(C_HEAD).act(returned, "submit")
    again = [{"line": returned.returned_line.item.code, "comment": "Lại."}]
    as_user(D_HEAD).act(returned, "return", comment="Lần hai.", line_comments=again)
    for n in range(5):
        parent = services.comment_add(actor=reviewer, plan_id=returned.pk, text=f"Ý kiến {n}")
        services.comment_add(actor=reviewer, plan_id=returned.pk, text=f"Trả lời {n}", parent_id=parent.pk)
    assert count() == few

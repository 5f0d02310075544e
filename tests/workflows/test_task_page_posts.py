"""The task page and the workbench as a browser posts their forms: a return with line comments,
and the 400 / 403 / 404 / 409 answers, each with the page saying why and the plan unchanged.

Asserts what an officer sees and what is stored (status codes, the plan's status, its audit
rows, the messages and errors on the page), not the page's markup, so a redesign of the task
page keeps them valid.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals.models import AuditEvent, Resolution
from directory.models import User
from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_DRAFTER, D_HEAD, OUTSIDER, plan_of
from workflows import services

T2_COUNCIL = "t2-p12-hdnd-council_secretary"  # the demo's 2027 province plan waits at the council


def browser(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def task_url(plan: Plan) -> str:
    return reverse("workflows:plan-task", args=[plan.pk])


def state(plan: Plan) -> tuple[str, int]:
    return Plan.objects.get(pk=plan.pk).status, AuditEvent.objects.filter(plan=plan).count()


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def commune(demo) -> Plan:
    """Xã Sin Suối Hồ's 2023 plan, written and submitted by its chair: the district reviews it."""
    plan = complete(plan_of("03592"))
    services.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=plan.pk, action="submit")
    return Plan.objects.get(pk=plan.pk)


# --- a return with line comments ---------------------------------------------------------------


def test_a_return_with_line_comments_is_recorded_and_shown_to_the_commune(commune):
    code = commune.lines.select_related("item").order_by("position").first().item.code
    response = browser(D_HEAD).post(
        task_url(commune),
        {
            "action": "return",
            "comment": "Đề nghị rà soát lại kinh phí",
            "line_ref": [code, "999"],
            "line_comment": ["Thiếu đối tượng thụ hưởng", "   "],  # an empty box is no comment
            "idempotency_key": "return-with-lines",
        },
    )

    assert response.status_code == 302 and response.url == task_url(commune)
    assert Plan.objects.get(pk=commune.pk).status == "returned"
    event = AuditEvent.objects.filter(plan=commune).latest("id")
    assert (event.action, event.actor.username, event.comment) == ("return", D_HEAD, "Đề nghị rà soát lại kinh phí")
    assert event.data["line_comments"] == [{"line": code, "comment": "Thiếu đối tượng thụ hưởng"}]

    page = browser(C_DRAFTER).get(task_url(commune)).content.decode()
    assert "Đề nghị rà soát lại kinh phí" in page
    # The thread names the line by its item (code and title) beside the comment.
    assert re.search(rf"Dòng [^<:]*{re.escape(code)}[^<]*: Thiếu đối tượng thụ hưởng", page)


def test_the_success_message_names_the_action(commune):
    client = browser(D_HEAD)
    response = client.post(task_url(commune), {"action": "accept", "idempotency_key": "accept-1"}, follow=True)
    assert response.status_code == 200
    assert "Đã thực hiện: Chấp nhận." in response.content.decode()
    assert Plan.objects.get(pk=commune.pk).status == "accepted"


def test_a_repeated_post_with_the_same_key_is_done_once(commune):
    client = browser(D_HEAD)
    before = state(commune)
    data = {"action": "return", "comment": "Bổ sung", "idempotency_key": "double-click"}
    assert client.post(task_url(commune), data).status_code == 302
    assert client.post(task_url(commune), data).status_code == 302
    assert state(commune) == ("returned", before[1] + 1)


# --- 400: a field named ------------------------------------------------------------------------


def test_a_return_without_a_reason_is_400_naming_the_comment(commune):
    before = state(commune)
    response = browser(D_HEAD).post(task_url(commune), {"action": "return", "comment": "  ", "line_ref": ["x"]})
    assert response.status_code == 400
    assert "Cần ghi lý do." in response.content.decode()
    assert state(commune) == before


def test_an_unknown_action_is_400_and_changes_nothing(commune):
    before = state(commune)
    response = browser(D_HEAD).post(task_url(commune), {"action": "frobnicate"})
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"action"}
    assert state(commune) == before


def test_a_calendar_invalid_resolution_date_is_400_naming_the_date(demo):
    plan = Plan.objects.get(unit__structure="two-tier", unit__code="12", cycle__year=2027, plan_type="annual")
    assert plan.status == "council"
    client = browser(T2_COUNCIL)
    before = state(plan)

    for bad in ("31/02/2027", "2024-02-30"):
        response = client.post(
            task_url(plan), {"action": "approve", "resolution_number": "15/NQ-HĐND", "resolution_date": bad}
        )
        assert response.status_code == 400, bad
        # An impossible day is named as such (issue 14), not taken for an empty field.
        assert "Ngày không hợp lệ" in response.content.decode()
        assert state(plan) == before
    missing = client.post(task_url(plan), {"action": "approve", "resolution_date": "01/12/2026"})
    assert missing.status_code == 400
    assert "Cần số nghị quyết." in missing.content.decode()

    today = timezone.localdate().strftime("%d/%m/%Y")
    done = client.post(
        task_url(plan), {"action": "approve", "resolution_number": "15/NQ-HĐND", "resolution_date": today}
    )
    assert done.status_code == 302
    assert Plan.objects.get(pk=plan.pk).status == "approved"
    assert Resolution.objects.filter(plan=plan, number="15/NQ-HĐND", date=timezone.localdate()).exists()


# --- 403 / 404 ---------------------------------------------------------------------------------


def test_a_role_that_may_not_act_gets_403_with_the_reason_on_the_page(commune):
    before = state(commune)
    response = browser(D_DRAFTER).post(task_url(commune), {"action": "accept"})
    assert response.status_code == 403
    assert "Vai trò của bạn không được thực hiện thao tác này." in response.content.decode()
    assert state(commune) == before


def test_an_outsider_posting_gets_404_and_changes_nothing(commune):
    before = state(commune)
    assert browser(OUTSIDER).post(task_url(commune), {"action": "accept"}).status_code == 404
    assert state(commune) == before


# --- 409: the state does not allow it, or a rule of the route blocks it ------------------------


def test_an_action_the_state_does_not_allow_is_409_with_the_reason(commune):
    before = state(commune)
    response = browser(C_HEAD).post(task_url(commune), {"action": "submit"})
    assert response.status_code == 409
    assert "Không thể “Trình” khi kế hoạch đang “Đã trình, chờ thẩm định”." in response.content.decode()
    assert state(commune) == before


def test_submitting_an_incomplete_plan_is_409_listing_what_is_missing(demo):
    plan = plan_of("03592")
    before = state(plan)
    response = browser(C_HEAD).post(task_url(plan), {"action": "submit"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Chưa trình được: kế hoạch còn thiếu" in page
    assert state(plan) == before


def test_submitting_before_the_plans_below_are_done_is_409_naming_them(demo):
    district = plan_of("109")
    waiting = list(district.children.exclude(status__in=["accepted", "waived"]).select_related("unit"))
    assert waiting
    complete(district)
    before = state(district)
    response = browser(D_HEAD).post(task_url(district), {"action": "submit"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "kế hoạch cấp dưới chưa được chấp nhận hoặc miễn" in page
    for child in waiting:
        assert child.unit.name in page
    assert state(district) == before


# --- the workbench's bulk accept ---------------------------------------------------------------


def bulk(client: Client, plan: Plan, action: str, ids: list) -> tuple[object, dict[int, dict]]:
    """POST the workbench's bulk form; the response and the per-plan results it kept for the page."""
    response = client.post(reverse("workflows:workbench", args=[plan.pk]), {"action": action, "plan": ids})
    kept = client.session.get(f"workbench-results-{plan.pk}") or {"rows": []}
    return response, {row["plan"]: row for row in kept["rows"]}


def test_the_workbench_accepts_the_ticked_plans_and_names_the_ones_it_could_not(commune):
    district = plan_of("109")
    other = district.children.exclude(pk=commune.pk).exclude(status="submitted").first()
    assert other is not None
    other_before = state(other)
    response, results = bulk(browser(D_HEAD), district, "accept", [commune.pk, other.pk])
    assert response.status_code == 302
    assert "Chấp nhận: đã thực hiện 1 kế hoạch." in page_messages(response)
    assert results[commune.pk]["done"] and not results[other.pk]["done"] and results[other.pk]["reason"]
    assert Plan.objects.get(pk=commune.pk).status == "accepted"
    assert state(other) == other_before


def test_the_workbench_accepts_nothing_for_an_officer_who_may_not(commune):
    district = plan_of("109")
    before = state(commune)
    response, results = bulk(browser(D_DRAFTER), district, "accept", [commune.pk])
    assert response.status_code == 302
    assert not results[commune.pk]["done"]
    assert "Vai trò của bạn không được thực hiện thao tác này." in results[commune.pk]["reason"]
    assert state(commune) == before


def test_the_workbench_names_a_tampered_or_invisible_plan_id_and_goes_on(commune):
    district = plan_of("109")
    tampered, _ = bulk(browser(D_HEAD), district, "accept", ["abc", commune.pk])
    assert tampered.status_code == 400  # not a plan id: the form is refused whole, naming the field
    assert "Kế hoạch đã chọn không hợp lệ." in tampered.content.decode()
    assert Plan.objects.get(pk=commune.pk).status == "submitted"
    foreign = Plan.objects.filter(unit__structure="two-tier", unit__code="03388").first()
    response, results = bulk(browser(D_HEAD), district, "accept", [999999, foreign.pk, commune.pk])
    assert response.status_code == 302
    for missing in (999999, foreign.pk):  # never "exists, but not yours"
        assert not results[missing]["done"]
        assert results[missing]["reason"] == "Không phải kế hoạch cấp dưới trực tiếp của kế hoạch này."
        assert results[missing]["unit"] == str(missing)
    assert results[commune.pk]["done"]
    assert Plan.objects.get(pk=commune.pk).status == "accepted"

"""The task page: one form per action with its own fields, buttons that differ by weight, a
confirmation naming what will happen and to whom, where the plan went after the action, who may
act when the officer may not, and the picture of the route."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_DRAFTER, D_HEAD, P_HEAD, plan_of


def login(client, username):
    from directory.models import User

    client.force_login(User.objects.get(username=username))
    return client


def _form(html: str, action: str) -> str:
    match = re.search(rf'<form method="post" class="action[^"]*" data-action="{action}".*?</form>', html, re.S)
    assert match, f"no form for {action}"
    return match.group(0)


@pytest.fixture
def submitted(as_user):
    commune = complete(plan_of("03592"))
    as_user(C_HEAD).act(commune, "submit")
    return commune


def test_accept_and_return_are_separate_forms_each_with_its_own_fields(submitted, client):
    html = login(client, D_HEAD).get(reverse("workflows:plan-task", args=[submitted.pk])).content.decode()
    accept, ret = _form(html, "accept"), _form(html, "return")
    assert "<textarea" not in accept
    assert 'name="comment"' in ret and "Lý do" in ret and "Ý kiến theo dòng" in ret
    assert 'class="btn btn-primary" data-testid="action-accept"' in accept
    assert 'class="btn btn-secondary" data-testid="action-return"' in ret
    assert "<fieldset>" in accept and "<legend>Chấp nhận</legend>" in accept


def test_the_return_confirmation_names_the_commune_and_its_drafter(submitted, client):
    html = login(client, D_HEAD).get(reverse("workflows:plan-task", args=[submitted.pk])).content.decode()
    drafter = submitted.__class__.objects.get(pk=submitted.pk).last_edited_by.display_name
    assert f'data-confirm="Trả kế hoạch về Xã Sin Suối Hồ (người soạn: {drafter}).' in _form(html, "return")
    assert 'id="confirm-dialog"' in html and "js/task-confirm.js" in html
    assert "<script>" not in html  # CSP: the dialog is opened by a static file


def test_the_submit_confirmation_names_the_district_that_reviews(client, demo):
    plan = complete(plan_of("03592"))
    html = login(client, C_HEAD).get(reverse("workflows:plan-task", args=[plan.pk])).content.decode()
    assert "Trình: chuyển kế hoạch tới Phòng Lao động - Thương binh và Xã hội huyện Phong Thổ — bước" in _form(
        html, "submit"
    )


def test_waive_is_the_danger_button_with_its_own_reason(client, demo):
    plan = plan_of("03592")
    html = login(client, D_HEAD).get(reverse("workflows:plan-task", args=[plan.pk])).content.decode()
    waive = _form(html, "waive")
    assert 'class="btn btn-danger" data-testid="action-waive"' in waive
    assert 'id="comment-waive"' in waive and "Lý do *" in waive
    assert "không chờ kế hoạch này nữa" in waive


def test_after_submitting_the_message_says_where_the_plan_went_and_who_holds_it(client, demo):
    plan = complete(plan_of("03592"))
    login(client, C_HEAD)
    url = reverse("workflows:plan-task", args=[plan.pk])
    page = client.post(url, {"action": "submit", "idempotency_key": "where-1"}, follow=True).content.decode()
    assert "Đã thực hiện: Trình." in page
    assert (
        "Kế hoạch hiện ở bước “Thẩm định kế hoạch cấp dưới” tại Phòng Lao động - Thương binh và Xã hội huyện Phong Thổ"
        " (người xử lý: Trưởng phòng LĐTBXH huyện Phong Thổ)." in page
    )


def test_the_commune_drafter_is_told_who_may_submit(client, demo):
    plan = plan_of("03592")
    html = login(client, C_DRAFTER).get(reverse("workflows:plan-task", args=[plan.pk])).content.decode()
    assert 'data-testid="action-submit"' not in html
    assert "“Trình”: bước này thuộc thẩm quyền của Chủ tịch UBND xã Sin Suối Hồ." in html
    assert 'data-testid="why-no-action"' in html and "Bạn có thể soạn nội dung kế hoạch" in html


def test_the_district_drafter_is_told_the_district_head_decides(submitted, client):
    html = login(client, D_DRAFTER).get(reverse("workflows:plan-task", args=[submitted.pk])).content.decode()
    assert "“Chấp nhận”: bước này thuộc thẩm quyền của Trưởng phòng LĐTBXH huyện Phong Thổ." in html


def test_the_route_shows_the_step_done_by_whom_the_current_one_and_the_next(submitted, client):
    html = login(client, D_HEAD).get(reverse("workflows:plan-task", args=[submitted.pk])).content.decode()
    route = re.search(r'data-testid="route".*?</section>', html, re.S).group(0)
    steps = re.findall(r'data-state="(\w+)" data-step="(\w+)"', route)
    assert steps == [("done", "draft"), ("current", "review")]
    assert "Chủ tịch UBND xã Sin Suối Hồ" in route  # who submitted (the demo head's name)
    assert 'aria-current="step"' in route and "Hạn" in route


def test_the_province_plan_route_lists_the_steps_still_ahead(client, demo):
    plan = plan_of("12", plan_type="annual")
    html = login(client, P_HEAD).get(reverse("workflows:plan-task", args=[plan.pk])).content.decode()
    route = re.search(r'data-testid="route".*?</section>', html, re.S).group(0)
    states = re.findall(r'data-state="(\w+)" data-step="(\w+)"', route)
    assert states[0] == ("current", "draft")
    assert ("next", "council") in states
    assert "Hội đồng nhân dân tỉnh Lai Châu" in route


def test_the_demo_says_the_clock_can_be_moved_on_an_overdue_2023_task(client, demo):
    import datetime as dt

    from django.utils import timezone

    from deadlines import services as deadlines

    plan = plan_of("03592")
    html = login(client, C_HEAD).get(reverse("workflows:plan-task", args=[plan.pk])).content.decode()
    hint = re.search(r'data-testid="demo-clock-hint".*?</aside>', html, re.S).group(0)
    suggested = re.search(r"cycle_clock set (\d\d/\d\d/\d{4})", hint).group(1)
    assert "chu kỳ 2023" in hint and "cycle_clock reset" in hint
    # Moved as it says, the cycle is live and the hint goes.
    day = dt.datetime.strptime(suggested, "%d/%m/%Y").replace(hour=9, tzinfo=timezone.get_current_timezone())
    deadlines.clock_set(actor="test", when=day)
    html = client.get(reverse("workflows:plan-task", args=[plan.pk])).content.decode()
    assert 'data-testid="demo-clock-hint"' not in html


def test_a_blocked_submission_links_each_waiting_commune_to_its_task(client, demo):
    district = plan_of("109")
    login(client, D_HEAD)
    response = client.post(
        reverse("workflows:plan-task", args=[district.pk]), {"action": "submit", "idempotency_key": "blocked-links"}
    )
    assert response.status_code == 409
    blocking = re.search(r'data-testid="blocking".*?</div>', response.content.decode(), re.S).group(0)
    commune = plan_of("03592")
    assert f'<a href="/plans/{commune.pk}/task/">03592 Xã Sin Suối Hồ — Đang soạn</a>' in blocking


def test_the_plan_page_shows_the_route_too(submitted, client):
    html = login(client, D_HEAD).get(reverse("planning:detail", args=[submitted.pk])).content.decode()
    route = re.search(r'data-testid="route".*?</section>', html, re.S).group(0)
    assert re.findall(r'data-state="(\w+)" data-step="(\w+)"', route) == [("done", "draft"), ("current", "review")]

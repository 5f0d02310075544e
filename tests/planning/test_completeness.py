"""A plan is submitted only when it has what its type and level require
(planning/data/completeness.json): a blank plan is refused with 409 naming each missing part,
on the API and on the task page, before and after the officer clicks."""

import json
import re

from django.urls import reverse

from approvals.models import AuditEvent
from directory.models import Structure, Tier, User
from planning import completeness, services
from planning.models import Cycle, Plan, PlanRound, PlanStatus, PlanType
from tests.complete import complete
from workflows import routes
from workflows import services as workflows

C_DRAFTER, C_HEAD = "t3-c03592-ubnd-drafter", "t3-c03592-ubnd-head"  # xã Sin Suối Hồ, 2023
D_HEAD = "t3-d109-labour-head"
P_HEAD = "t3-p12-labour-head"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
BLANK_COMMUNE_MISSING = ["legal_bases", "purpose", "objectives", "indicators", "lines"]


def _task_page(client, username: str, plan: Plan, data: dict | None = None):
    client.force_login(User.objects.get(username=username), backend=MODEL_BACKEND)
    url = reverse("workflows:plan-task", args=[plan.pk])
    return client.post(url, data) if data is not None else client.get(url)


def test_a_blank_commune_plan_is_refused_at_submission_with_the_missing_parts_named(sin_suoi_ho, login_api):
    response = login_api(C_HEAD).post(f"/api/v1/plans/{sin_suoi_ho.pk}/actions/submit/", {}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "plan_incomplete"
    assert [item["field"] for item in body["blocking"]] == BLANK_COMMUNE_MISSING
    assert [item["label"] for item in body["blocking"]] == [
        "Căn cứ",
        "Mục đích, yêu cầu",
        "Mục tiêu",
        "Chỉ tiêu",
        "Kinh phí",
    ]
    assert body["detail"] == (
        "Kế hoạch chưa đủ nội dung để trình, còn thiếu: Căn cứ; Mục đích, yêu cầu; Mục tiêu; Chỉ tiêu; Kinh phí."
    )
    assert "Chưa có dòng kinh phí nào có số tiền." in body["blocking"][-1]["message"]
    # Nothing happened: no round frozen, no audit row, still a draft in the commune's inbox.
    sin_suoi_ho.refresh_from_db()
    assert sin_suoi_ho.status == PlanStatus.DRAFT and sin_suoi_ho.round_number == 0
    assert not PlanRound.objects.filter(plan=sin_suoi_ho).exists()
    assert not AuditEvent.objects.filter(plan=sin_suoi_ho).exists()


def test_the_task_page_lists_what_is_missing_before_the_click_and_after_a_refusal(sin_suoi_ho, client):
    page = _task_page(client, C_HEAD, sin_suoi_ho).content.decode()
    missing = page.split('data-testid="missing"', 1)[1].split("</div>", 1)[0]
    assert "Chưa trình được: kế hoạch còn thiếu" in missing
    for sentence in ("Chưa soạn “Căn cứ”.", "Chưa soạn “Mục đích, yêu cầu”.", "Chưa soạn “Mục tiêu”."):
        assert sentence in missing
    assert "Chưa có chỉ tiêu nào." in missing and "Chưa có dòng kinh phí nào có số tiền." in missing
    # Each names where to write it: the head may edit, so the editor's field or section.
    edit = reverse("planning:edit", args=[sin_suoi_ho.pk])
    assert f'href="{edit}#id_header-purpose"' in missing and f'href="{edit}#section-lines"' in missing
    assert "legal_bases" not in re.sub(r"<[^>]+>", " ", missing)  # words, not field codes
    assert page.index('data-testid="missing"') < page.index('data-testid="action-submit"')

    refused = _task_page(client, C_HEAD, sin_suoi_ho, {"action": "submit", "idempotency_key": "blank-1"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'data-testid="missing" role="alert"' in html
    assert (
        "Kế hoạch chưa đủ nội dung để trình, còn thiếu: Căn cứ; Mục đích, yêu cầu; Mục tiêu; Chỉ tiêu; Kinh phí."
        in (html)
    )


def test_a_reader_who_may_not_edit_is_sent_to_the_plan_page(sin_suoi_ho, client):
    """The drafter (who writes, the head submits) is sent to the editor; the district's reviewer,
    who follows the commune's draft, to the sections of the plan page."""
    drafter = _task_page(client, C_DRAFTER, sin_suoi_ho).content.decode()
    assert f'href="{reverse("planning:edit", args=[sin_suoi_ho.pk])}#id_header-objectives"' in drafter
    reviewer = _task_page(client, D_HEAD, sin_suoi_ho).content.decode()
    detail = reverse("planning:detail", args=[sin_suoi_ho.pk])
    for anchor in ("legal-bases", "purpose", "objectives", "budget"):
        assert f'href="{detail}#{anchor}"' in reviewer
    assert [m["rule"] for m in completeness.missing(sin_suoi_ho)] == [
        "section",
        "section",
        "section",
        "indicators",
        "budget",
    ]


def test_a_complete_commune_plan_goes_through(sin_suoi_ho, login_api, client):
    plan = complete(sin_suoi_ho)
    page = _task_page(client, C_HEAD, plan).content.decode()
    assert 'data-testid="missing"' not in page
    assert "Kế hoạch đã có đủ các phần bắt buộc để trình." in page

    response = login_api(C_HEAD).post(f"/api/v1/plans/{plan.pk}/actions/submit/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == PlanStatus.SUBMITTED
    # Once submitted there is nothing to submit: the list is gone from the page.
    assert 'data-testid="complete"' not in _task_page(client, C_HEAD, plan).content.decode()


def test_each_part_once_written_leaves_the_list(sin_suoi_ho):
    drafter = User.objects.get(username=C_DRAFTER)
    services.plan_header_update(
        actor=drafter, plan=sin_suoi_ho, data={"legal_bases": "Căn cứ Kế hoạch số 12/KH-UBND của UBND huyện;"}
    )
    sin_suoi_ho.refresh_from_db()
    assert [m["field"] for m in completeness.missing(sin_suoi_ho)] == BLANK_COMMUNE_MISSING[1:]
    services.plan_lines_replace(
        actor=drafter, plan=sin_suoi_ho, rows=[{"item": "2", "content": "Mô hình nuôi dê", "amounts": {}}]
    )
    # A line without money is not money.
    assert "lines" in [m["field"] for m in completeness.missing(sin_suoi_ho)]
    services.plan_lines_replace(
        actor=drafter, plan=sin_suoi_ho, rows=[{"item": "2", "amounts": {"central_recurrent": "450"}}]
    )
    assert "lines" not in [m["field"] for m in completeness.missing(sin_suoi_ho)]


def test_a_province_plan_with_empty_sections_does_not_reach_the_council(lai_chau, phong_tho, login_api):
    """The 2023 province plan consolidates Phong Thổ (162.756 below it) but has no text: refused
    for its sections and indicators, not for its money (a parent's money may all be below it)."""
    district_head = User.objects.get(username=D_HEAD)
    for commune in phong_tho.children.all():
        workflows.plan_act(actor=district_head, plan_id=commune.pk, action="waive", comment="Không có dự án")
    workflows.plan_act(actor=User.objects.get(username=D_HEAD), plan_id=phong_tho.pk, action="submit")
    workflows.plan_act(actor=User.objects.get(username=P_HEAD), plan_id=phong_tho.pk, action="accept")

    response = login_api(P_HEAD).post(f"/api/v1/plans/{lai_chau.pk}/actions/submit/", {}, format="json")
    assert response.status_code == 409
    assert [item["field"] for item in response.json()["blocking"]] == [
        "legal_bases",
        "purpose",
        "objectives",
        "indicators",
    ]
    assert Plan.objects.get(pk=lai_chau.pk).status == PlanStatus.DRAFT
    complete(lai_chau)
    assert login_api(P_HEAD).post(f"/api/v1/plans/{lai_chau.pk}/actions/submit/", {}, format="json").json()[
        "status"
    ] == (PlanStatus.APPRAISAL)


def test_the_demo_plans_meet_the_rules(demo):
    """The seed's district plan (Phong Thổ 2023) and every 2027 plan the demo submitted."""
    phong_tho = Plan.objects.get(unit__structure="three-tier", unit__code="109", cycle__year=2023, plan_type="annual")
    assert completeness.missing(phong_tho) == []
    submitted_2027 = Plan.objects.filter(cycle__year=2027, events__action="submit").distinct()
    assert submitted_2027.count() > 1
    for plan in submitted_2027.select_related("unit"):
        assert completeness.missing(plan) == [], plan


def test_rules_differ_by_plan_type_and_level(demo):
    annual = completeness.rule_for(PlanType.ANNUAL, Tier.COMMUNE)
    review = completeness.rule_for(PlanType.HOUSEHOLD_REVIEW, Tier.COMMUNE)
    report = completeness.rule_for(PlanType.MONITORING_SIX_MONTH, Tier.PROVINCE)
    assert (annual.sections, annual.budget, annual.indicators, annual.households) == (
        ("legal_bases", "purpose", "objectives"),
        "line_or_statement",
        1,
        0,
    )
    assert (review.sections, review.budget, review.indicators, review.households) == (
        ("legal_bases", "purpose"),
        None,
        0,
        1,
    )
    assert report.sections == ("objectives",) and report.indicators == 1
    # Districts and provinces issue the household-review guidance: they never submit, no rule.
    assert completeness.rule_for(PlanType.HOUSEHOLD_REVIEW, Tier.PROVINCE) is None

    # The same commune, two plan types: the review plan asks for its household list, not money.
    commune = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023, plan_type="annual")
    cycle = Cycle.objects.get(year=2023, structure=Structure.THREE_TIER)
    if PlanType.HOUSEHOLD_REVIEW not in cycle.plan_types:
        cycle.plan_types = [*cycle.plan_types, PlanType.HOUSEHOLD_REVIEW]
        cycle.save(update_fields=["plan_types"])
    review_plan = services.plan_create(
        actor=User.objects.get(username=C_DRAFTER), cycle=cycle, unit=commune.unit, plan_type=PlanType.HOUSEHOLD_REVIEW
    )
    assert [m["field"] for m in completeness.missing(review_plan)] == ["legal_bases", "purpose", "households"]
    assert [m["field"] for m in completeness.missing(commune)] == BLANK_COMMUNE_MISSING


def test_the_rules_data_is_sound_and_every_submitting_level_has_a_rule():
    data = json.loads(completeness.RULES_PATH.read_text(encoding="utf-8"))
    assert completeness.rules_problems(data) == []
    for plan_type in PlanType.values:
        for tier in completeness.TIERS:
            steps = routes.steps_at(plan_type, tier)
            submits = any("submit" in routes.step_spec(step).actions for step in steps)
            assert (completeness.rule_for(plan_type, tier) is not None) == submits, (plan_type, tier)


def test_a_broken_rules_file_is_named():
    broken = {
        "plan_types": {
            "annual": {"levels": {"commune": {"sections": ["purpose", "duties"], "budget": "some", "indicators": -1}}},
            "yearly": {"levels": {"hamlet": {}}},
        }
    }
    assert completeness.rules_problems(broken) == [
        "annual/commune: 'duties' is not a text field of a plan",
        "annual/commune: budget must be one of ('line', 'line_or_statement') or null",
        "annual/commune: indicators must be a count",
        "unknown plan type 'yearly'",
        "yearly/hamlet: unknown level",
    ]


def test_a_stated_year_without_programme_money_stands_for_the_budget(sin_suoi_ho):
    field = completeness.no_money_field()
    assert field == "no_money_statement"
    drafter = User.objects.get(username=C_DRAFTER)
    complete(sin_suoi_ho)
    services.plan_lines_replace(actor=drafter, plan=sin_suoi_ho, rows=[])
    sin_suoi_ho.refresh_from_db()
    assert [m["field"] for m in completeness.missing(sin_suoi_ho)] == ["lines"]
    services.plan_header_update(
        actor=drafter, plan=sin_suoi_ho, data={field: "Năm 2023 xã không được bố trí kinh phí Chương trình."}
    )
    sin_suoi_ho.refresh_from_db()
    assert completeness.missing(sin_suoi_ho) == []
    services.plan_lines_replace(
        actor=drafter, plan=sin_suoi_ho, rows=[{"item": "2", "amounts": {"central_recurrent": "450"}}]
    )
    assert [m["rule"] for m in completeness.missing(sin_suoi_ho)] == ["budget_statement"]

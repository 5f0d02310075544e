"""The change list reads in words: field labels, catalogue items by code and title, amounts in
Vietnamese notation without trailing zeros, statuses by their label, each row linked to what it
names; the history names the appraisal lane and shows a return's line comments."""

import re

import pytest
from django.urls import reverse

from directory.models import User
from planning import changes, diff, services
from planning.models import LocalLabel, Plan, PlanRound
from tests.complete import complete
from tests.planning.conftest import DISTRICT_DRAFTER
from workflows import services as workflows
from workflows.templatetags.plan_review import iso_date

C_DRAFTER, C_HEAD, D_HEAD = "t3-c03592-ubnd-drafter", "t3-c03592-ubnd-head", "t3-d109-labour-head"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# What a developer would read and an officer should not: field and source codes, raw states,
# amounts as stored ("45500.000") or with trailing zeros ("13.200,500").
CODES = re.compile(
    r"legal_bases|number_symbol|objectives|central_investment|central_recurrent|local_commune|\blocal\b|\bdraft\b"
    r"|\b\d{4,}\.\d{3}\b|,\d*0\b"
)


def _texts(rows: list[changes.Change]) -> list[str]:
    return [
        f"{row.heading} {row.subject}"
        + (f" — {row.note}" if row.note else "")
        + ": "
        + "; ".join(d.text for d in row.details)
        for row in rows
    ]


def _words(html: str, testid: str) -> str:
    """The visible text of a part of a page."""
    part = html.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", part))


@pytest.fixture
def drafter(demo) -> User:
    return User.objects.get(username=DISTRICT_DRAFTER)


def _second_round(phong_tho: Plan, drafter: User) -> dict:
    """Round 1 as loaded; round 2 with one amount cut, a line gone, a line added, a legal basis
    added, the purpose rewritten, the number given and an indicator changed."""
    services.round_freeze(actor=drafter, plan=phong_tho)
    rows = [r for r in services.snapshot_lines(phong_tho) if r["item"] != "7.2"]
    next(r for r in rows if r["item"] == "1.1")["amounts"]["central_investment"] = "40000"
    rows.append({"item": "6.1", "content": "Giảm nghèo về thông tin", "amounts": {"central_recurrent": "80.5"}})
    services.plan_lines_replace(actor=drafter, plan=phong_tho, rows=rows)
    phong_tho.refresh_from_db()
    services.plan_header_update(
        actor=drafter,
        plan=phong_tho,
        data={
            "number_symbol": "12/KH-UBND",
            "legal_bases": phong_tho.legal_bases + "\nCăn cứ Nghị quyết số 25/NQ-HĐND ngày 08/12/2022 của HĐND tỉnh;",
            "purpose": "Huy động cả hệ thống chính trị và người dân cùng tham gia giảm nghèo bền vững.",
        },
    )
    indicators = services.snapshot_indicators(phong_tho)
    indicators[1]["value"] = "37.9"
    services.plan_indicators_replace(actor=drafter, plan=phong_tho, rows=indicators)
    services.round_freeze(actor=drafter, plan=phong_tho)
    first, second = PlanRound.objects.filter(plan=phong_tho).order_by("number")
    return diff.snapshot_diff(first.snapshot, second.snapshot)


def test_the_change_list_names_fields_items_and_sources_in_words(phong_tho, drafter):
    texts = _texts(changes.readable(_second_round(phong_tho, drafter), plan=phong_tho))

    assert texts == [
        "Sửa Số, ký hiệu: (trống) → “12/KH-UBND”",
        "Sửa Căn cứ: thêm “Căn cứ Nghị quyết số 25/NQ-HĐND ngày 08/12/2022 của HĐND tỉnh;”",
        # A long text is quoted up to 140 characters.
        "Sửa Mục đích, yêu cầu: “Cụ thể hóa mục tiêu, nhiệm vụ thực hiện Chương trình MTQG giảm nghèo bền vững trên "
        "địa bàn huyện; huy động cả hệ thống chính trị và người d…” → “Huy động cả hệ thống chính trị và người dân "
        "cùng tham gia giảm nghèo bền vững.”",
        "Sửa chỉ tiêu “Tỷ lệ hộ nghèo toàn huyện còn”: Giá trị 38,5 → 37,9",
        "Sửa dòng 1.1. Hỗ trợ đầu tư phát triển hạ tầng — “Hỗ trợ đầu tư phát triển hạ tầng kinh tế - xã hội huyện "
        "nghèo”: NSTW - ĐTPT 45.500 → 40.000",
        "Thêm dòng 6.1. Giảm nghèo về thông tin: NSTW - SN 80,5",
        "Bỏ dòng 7.2. Giám sát, đánh giá — “Giám sát, đánh giá Chương trình”: NSTW - SN 326",
        "Thay đổi Tổng kinh phí (triệu đồng): NSTW - ĐTPT 116.200 → 110.700; NSTW - SN 44.844 → 44.598,5; "
        "Tổng cộng 162.756 → 157.010,5",
    ]
    assert not any(CODES.search(text) for text in texts), texts


def test_each_row_links_to_the_section_it_names(phong_tho, drafter):
    rows = changes.readable(_second_round(phong_tho, drafter), plan=phong_tho)
    assert [(row.part, row.anchor) for row in rows] == [
        ("header", ""),  # the document's header: the top of the plan page
        ("header", "legal-bases"),
        ("header", "purpose"),
        ("indicator", "objectives"),  # the indicators table is in section II
        ("line", "budget"),
        ("line", "budget"),
        ("line", "budget"),
        ("total", "budget"),
    ]
    detail = Plan.objects.get(pk=phong_tho.pk)
    html = _plan_page(detail)
    for anchor in {row.anchor for row in rows} - {""}:
        assert f'id="{anchor}"' in html, anchor


def _plan_page(plan: Plan) -> str:
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=DISTRICT_DRAFTER), backend=MODEL_BACKEND)
    return client.get(reverse("planning:detail", args=[plan.pk])).content.decode()


def test_the_task_page_shows_the_change_list_after_a_resubmission_in_words(sin_suoi_ho, client):
    """Commune submits, the district returns it with a reason and a line comment, the commune
    changes an amount and a section and submits again: the reviewer reads the change in words."""
    drafter, head, reviewer = (User.objects.get(username=u) for u in (C_DRAFTER, C_HEAD, D_HEAD))
    services.plan_lines_replace(
        actor=drafter,
        plan=sin_suoi_ho,
        rows=[{"item": "2", "content": "Mô hình nuôi dê", "amounts": {"central_recurrent": "1450.5", "local": "50"}}],
    )
    plan = complete(sin_suoi_ho)
    workflows.plan_act(actor=head, plan_id=plan.pk, action="submit")
    workflows.plan_act(
        actor=reviewer,
        plan_id=plan.pk,
        action="return",
        comment="Ghi rõ số hộ tham gia mô hình",
        fields={"line_comments": [{"line": "2", "comment": "Ghi rõ số hộ"}]},
    )
    services.plan_lines_replace(
        actor=drafter,
        plan=plan,
        rows=[{"item": "2", "content": "Mô hình nuôi dê (25 hộ)", "amounts": {"central_recurrent": "1500"}}],
    )
    services.plan_header_update(actor=drafter, plan=plan, data={"objectives": "Giảm 3% hộ nghèo; 25 hộ nuôi dê."})
    workflows.plan_act(actor=head, plan_id=plan.pk, action="submit")

    client.force_login(reviewer, backend=MODEL_BACKEND)
    html = client.get(reverse("workflows:plan-task", args=[plan.pk])).content.decode()
    words = _words(html, "round-changes")
    assert "Thay đổi so với lần trình 1" in words
    assert "Sửa Mục tiêu:" in words and "→ “Giảm 3% hộ nghèo; 25 hộ nuôi dê.”" in words
    assert "Sửa dòng 2. Đa dạng hóa sinh kế, phát triển mô hình giảm nghèo:" in words
    assert "Nội dung “Mô hình nuôi dê” → “Mô hình nuôi dê (25 hộ)”" in words
    assert "NSTW - SN 1.450,5 → 1.500; NSĐP 50 → 0" in words
    assert not CODES.search(words), words
    detail = reverse("planning:detail", args=[plan.pk])
    section = html.split('data-testid="round-changes"', 1)[1].split("</section>", 1)[0]
    assert f'href="{detail}#objectives"' in section and f'href="{detail}#budget"' in section


def test_the_drafter_sees_what_changed_since_the_last_submission(sin_suoi_ho, client):
    plan = complete(sin_suoi_ho)
    workflows.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=plan.pk, action="submit")
    workflows.plan_act(
        actor=User.objects.get(username=D_HEAD), plan_id=plan.pk, action="return", comment="Bổ sung căn cứ"
    )
    drafter = User.objects.get(username=C_DRAFTER)
    services.plan_header_update(actor=drafter, plan=plan, data={"legal_bases": ""})
    client.force_login(drafter, backend=MODEL_BACKEND)
    words = _words(client.get(reverse("workflows:plan-task", args=[plan.pk])).content.decode(), "round-changes")
    assert "Sửa Căn cứ: bỏ “Căn cứ Quyết định số 90/QĐ-TTg" in words


def test_a_blocked_submission_names_the_waiting_communes_by_their_state(phong_tho, client):
    client.force_login(User.objects.get(username=D_HEAD), backend=MODEL_BACKEND)
    response = client.post(
        reverse("workflows:plan-task", args=[phong_tho.pk]), {"action": "submit", "idempotency_key": "blocked-1"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Xã Lả Nhì Thàng — Đang soạn" in html
    assert "— draft" not in html


def test_the_history_names_the_appraisal_lane_the_line_comments_and_each_rounds_changes(demo, client):
    """The 2027 demo: the province plan was appraised in two lanes; Bản Bo was returned with a
    comment on its road line and resubmitted with another road."""
    province = Plan.objects.get(cycle__year=2027, unit__code="12", plan_type="annual")
    client.force_login(User.objects.get(username="t2-p12-agri-head"), backend=MODEL_BACKEND)
    html = client.get(reverse("workflows:plan-history", args=[province.pk])).content.decode()
    lanes = re.findall(r'data-testid="lane">([^<]+)<', html)
    assert sorted(lanes) == ["Thẩm định vốn sự nghiệp", "Thẩm định vốn đầu tư"]

    ban_bo = Plan.objects.get(cycle__year=2027, unit__name="Xã Bản Bo", plan_type="annual")
    html = client.get(reverse("workflows:plan-history", args=[ban_bo.pk])).content.decode()
    comments = _words(html.replace("</table>", "</section>", 1), "history")
    assert "C1.02.01. " in comments and "bố trí vốn đối ứng ngân sách xã tối thiểu 10%" in comments
    round_two = _words(html, "round-2-changes")
    assert "Lần 2: thay đổi so với lần 1" in round_two
    assert "Sửa dòng C1.02.01." in round_two
    assert (
        "Nội dung “Đường nội đồng khu vực Nà Tăm (đoạn Km0 - Km2+500)” → “Cứng hóa đường giao thông liên bản (công "
        "trình có trong kế hoạch đầu tư công trung hạn 2026-2030 của xã)”; NS xã 0 → 450"
    ) in round_two
    assert "Tổng kinh phí (triệu đồng): NS xã 0 → 450; Tổng cộng 10.900 → 11.350" in round_two
    assert not CODES.search(round_two), round_two


def test_a_provinces_own_numbering_is_shown_beside_the_national_code(phong_tho, drafter):
    services.round_freeze(actor=drafter, plan=phong_tho)
    item = phong_tho.lines.get(item__code="1.1").item
    LocalLabel.objects.create(
        province=phong_tho.province, item=item, local_code="DA1", local_title="Hạ tầng huyện nghèo"
    )
    changed = diff.snapshot_diff(PlanRound.objects.get(plan=phong_tho).snapshot, services.snapshot(phong_tho))
    changed["lines"]["removed"] = [{"item": "1.1", "catalogue": "2021-2025", "central_investment": "1"}]
    [row] = [r for r in changes.readable(changed, plan=phong_tho) if r.part == "line"]
    assert row.subject == "DA1. Hạ tầng huyện nghèo (mã quốc gia 1.1)"


def test_the_raw_diff_counts_only_real_changes(phong_tho, drafter):
    """One amount spelled two ways is one amount; a header field an older round did not have
    reads as blank (the API's diff keeps its shape: field and source codes)."""
    old = services.snapshot(phong_tho)
    new = services.snapshot(phong_tho)
    old["lines"][0]["amounts"] = {code: str(float(v)) for code, v in old["lines"][0]["amounts"].items()}
    del old["header"]["recipients"]
    new["header"]["recipients"] = ""
    assert diff.is_empty(diff.snapshot_diff(old, new))
    new["lines"][0]["amounts"]["central_investment"] = "45500.5"
    changed = diff.snapshot_diff(old, new)["lines"]["changed"]
    assert changed == [
        {
            "item": "1.1",
            "catalogue": "2021-2025",
            "content": new["lines"][0]["content"],
            "changes": {"central_investment": {"old": "45500.000", "new": "45500.500"}},
        }
    ]


def test_a_resolution_date_reads_as_officers_write_it():
    assert iso_date("2023-12-08") == "08/12/2023"


@pytest.mark.parametrize(
    ("value", "text"),
    [("45500.000", "45.500"), ("13200.500", "13.200,5"), ("0", "0"), (None, "0"), ("-58450.750", "-58.450,75")],
)
def test_amounts_read_in_vietnamese_notation_without_trailing_zeros(value, text):
    assert changes.amount_text(value) == text

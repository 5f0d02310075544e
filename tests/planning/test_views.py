"""The plan pages over HTTP: who sees which plan, what the editor shows, keeps and saves.

Plans ``phong_tho``, ``sin_suoi_ho`` and ``lai_chau`` come from tests/planning/conftest.py.

Personas (demo directory, three-tier Lai Châu 2023 unless said otherwise):

* ``drafter``: Phong Thổ district's labour office, which owns the district plan (seed 002);
* ``province``: Lai Châu's labour department, above it: reads the plan, may not edit it;
* ``commune``: Sin Suối Hồ, a commune of Phong Thổ: below the plan, does not see it;
* ``outsider``: a commune of two-tier Lai Châu (2025): another structure altogether.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from directory import services as directory_services
from directory.models import Agency, AgencyKind, Role, Structure, User
from planning import selectors, services
from planning.forms import AMOUNT_PREFIX, BudgetLineForm, PlanHeaderForm
from planning.models import LineAmount, Plan, PlanStatus
from tests.periods import SOURCES_2026_2030
from tests.planning import two_tier

DRAFTER = "t3-d109-labour-drafter"
PROVINCE = "t3-p12-labour-drafter"
COMMUNE = "t3-c03592-ubnd-drafter"
OUTSIDER = "t2-c03388-ubnd-drafter"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def login(client):
    def _login(username: str):
        client.force_login(User.objects.get(username=username), backend=MODEL_BACKEND)
        return client

    return _login


def _total(plan: Plan) -> Decimal:
    return LineAmount.objects.filter(line__plan=plan).aggregate(total=Sum("amount"))["total"] or Decimal(0)


def _saved_rows(plan: Plan) -> list[dict[str, str]]:
    """The lines as the editor shows them (Vietnamese notation), ready to post back."""
    with translation.override("vi"):
        return [BudgetLineForm.initial_for(line, plan.cycle.period.code) for line in selectors.plan_lines(plan)]


def _lines_post(rows: list[dict[str, str]], *, initial: int) -> dict[str, str]:
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"lines-{index}-{name}": value for name, value in row.items()})
    return data


def _blank_line(plan: Plan) -> dict[str, str]:
    """An empty row of the editor: the item, the content and one amount per source of the plan's period."""
    return dict.fromkeys(["item", "content", *(AMOUNT_PREFIX + s.code for s in selectors.plan_sources(plan))], "")


# --- who sees what ---------------------------------------------------------------------------


def test_anonymous_officer_is_sent_to_login(phong_tho, client):
    for url in (reverse("planning:list"), reverse("planning:detail", args=[phong_tho.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("username", [OUTSIDER, COMMUNE])
def test_outsider_cannot_see_the_district_plan(phong_tho, login, username):
    client = login(username)
    assert client.get(reverse("planning:detail", args=[phong_tho.pk])).status_code == 404
    assert client.get(reverse("planning:edit", args=[phong_tho.pk])).status_code == 404
    assert client.post(reverse("planning:edit", args=[phong_tho.pk]), {}).status_code == 404


def test_outsider_does_not_find_the_plan_in_the_list(phong_tho, login):
    content = login(OUTSIDER).get(reverse("planning:list")).content.decode()
    assert reverse("planning:detail", args=[phong_tho.pk]) not in content


def test_unknown_plan_is_404(demo, login):
    assert login(DRAFTER).get(reverse("planning:detail", args=[999_999])).status_code == 404


def test_login_form_session_reaches_the_plan(phong_tho, client):
    from directory.demo import DEMO_PASSWORD

    client.post(reverse("login"), {"username": DRAFTER, "password": DEMO_PASSWORD})
    assert client.get(reverse("planning:detail", args=[phong_tho.pk])).status_code == 200


# --- the plan as a document ------------------------------------------------------------------


def test_district_drafter_reads_the_plan_in_vietnamese_notation(phong_tho, login):
    response = login(DRAFTER).get(reverse("planning:detail", args=[phong_tho.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="budget-total">162.756<' in content
    # Per source (NSTW investment, recurrent, NSĐP, other), the NSTW sum and a project subtotal.
    for figure in ("116.200", "44.844", "512", "1.200", "161.044"):
        assert figure in content
    assert "127.820" in content  # project 1 = 1.1 (50.050) + 1.2 (77.770)
    assert "38,50" in content  # indicator: poverty rate down to 38,50 %
    assert "Số: …/KH-UBND" in content  # a draft has no number yet
    assert "ỦY BAN NHÂN DÂN HUYỆN PHONG THỔ" in content
    assert reverse("planning:edit", args=[phong_tho.pk]) in content
    assert reverse("api-plan-export", kwargs={"plan_id": phong_tho.pk, "fmt": "xlsx"}) in content
    assert reverse("api-plan-export", kwargs={"plan_id": phong_tho.pk, "fmt": "docx"}) in content


def test_plan_reads_in_english_notation_when_asked(phong_tho, login):
    client = login(DRAFTER)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(reverse("planning:detail", args=[phong_tho.pk])).content.decode()
    assert 'data-testid="budget-total">162,756<' in content
    assert "38.50" in content
    assert "162.756" not in content


def test_province_drafter_reads_the_district_plan_but_cannot_edit_it(phong_tho, login):
    client = login(PROVINCE)
    response = client.get(reverse("planning:detail", args=[phong_tho.pk]))
    assert response.status_code == 200
    assert "162.756" in response.content.decode()
    assert reverse("planning:edit", args=[phong_tho.pk]) not in response.content.decode()
    assert client.get(reverse("planning:edit", args=[phong_tho.pk])).status_code == 403
    lines_before = phong_tho.lines.count()
    response = client.post(reverse("planning:edit", args=[phong_tho.pk]), _lines_post([], initial=0))
    assert response.status_code == 403
    assert phong_tho.lines.count() == lines_before


def test_province_plan_rolls_up_the_district_and_lists_its_children(phong_tho, lai_chau, login):
    content = login(PROVINCE).get(reverse("planning:detail", args=[lai_chau.pk])).content.decode()
    assert "Tổng hợp cấp dưới" in content
    assert 'data-testid="rollup-total">162.756<' in content
    assert 'data-testid="budget-total">0<' in content  # the province's own lines: none yet
    assert reverse("planning:detail", args=[phong_tho.pk]) in content


def test_commune_plan_lists_its_households(sin_suoi_ho, login):
    plan = sin_suoi_ho
    drafter = User.objects.get(username=COMMUNE)
    services.plan_households_replace(
        actor=drafter,
        plan=plan,
        rows=[{"code": "SSH-01", "head_name": "Lò Văn Páo", "cause": "Thiếu đất sản xuất"}],
    )
    content = login(COMMUNE).get(reverse("planning:detail", args=[plan.pk])).content.decode()
    assert "Lò Văn Páo" in content
    assert "Tổng hợp cấp dưới" not in content


# --- the list --------------------------------------------------------------------------------


def test_list_shows_the_plans_in_reach_with_their_totals(phong_tho, login):
    response = login(DRAFTER).get(reverse("planning:list"))
    content = response.content.decode()
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 18  # the district and its 17 communes, not the province
    assert rows[0][0] == phong_tho  # the level above first, then the communes it consolidates
    assert {plan.unit.code for plan, _money in rows} >= {"109", "03592"}
    # Each row carries the plan's money (views.Money): its figure, its own lines, the plans below.
    assert {plan.pk: money.total for plan, money in rows}[phong_tho.pk] == Decimal("162756")
    assert ">162.756<" in content
    assert phong_tho.updated_at.astimezone().strftime("%d/%m/%Y") in content
    assert ">2023<" in content  # a year, not "2.023"


def test_list_filters_by_type_status_and_cycle(phong_tho, login):
    client = login(DRAFTER)
    url = reverse("planning:list")
    assert len(client.get(url, {"status": PlanStatus.SUBMITTED}).context["rows"]) == 0
    assert len(client.get(url, {"plan_type": "annual", "cycle": phong_tho.cycle_id}).context["rows"]) == 18
    assert len(client.get(url, {"plan_type": "five_year"}).context["rows"]) == 0
    # A tampered filter is ignored rather than an error page.
    assert len(client.get(url, {"cycle": "abc", "status": "nonsense"}).context["rows"]) == 18


def test_list_pages_keep_the_filters(phong_tho, login, monkeypatch):
    from planning import views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    client = login(DRAFTER)
    first = client.get(reverse("planning:list"), {"plan_type": "annual"})
    assert len(first.context["rows"]) == 5
    assert "?plan_type=annual&amp;page=2" in first.content.decode()
    last = client.get(reverse("planning:list"), {"plan_type": "annual", "page": 4})
    assert len(last.context["rows"]) == 3


def test_list_query_count_does_not_grow_with_the_number_of_plans(phong_tho, login, monkeypatch):
    # The province officer also joins two-tier Lai Châu: every one of the 26 demo plans is in reach.
    from planning import views

    officer = User.objects.get(username=PROVINCE)
    two_tier_province = Agency.objects.get(
        unit__structure=Structure.TWO_TIER, unit__code="12", kind=AgencyKind.AGRICULTURE
    )
    directory_services.membership_add(user=officer, agency=two_tier_province, role=Role.DRAFTER)
    total = Plan.objects.count()
    assert total > 20

    def queries(username: str, expected_rows: int, **params) -> int:
        client = login(username)
        client.get(reverse("planning:list"), params)  # warm the per-process caches (content types)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("planning:list"), params)
        assert len(response.context["rows"]) == expected_rows
        return len(captured)

    many, one = queries(PROVINCE, total), queries(COMMUNE, 1)
    in_2023 = queries(PROVINCE, 19, cycle=phong_tho.cycle_id)  # the province, the district, 17 communes
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first_two = queries(PROVINCE, 2, cycle=phong_tho.cycle_id)  # the province and the district plan
    # The plan's money (selectors.plan_money_for) sums the plans below the page's district plans
    # and below its province plans in one query for both levels (a UNION ALL), whatever the
    # number of plans; a page of commune plans alone has nothing below them to sum.
    assert in_2023 == first_two
    assert many == one + 1
    assert many <= 13  # session, user, memberships, scope, plans, money (own, below, sources), bell, …


# --- the editor ------------------------------------------------------------------------------


def test_editor_offers_only_budgetable_items_of_the_cycle_period(phong_tho, login):
    response = login(DRAFTER).get(reverse("planning:edit", args=[phong_tho.pk]))
    assert response.status_code == 200
    choices = dict(response.context["lines"].forms[0].fields["item"].choices)
    flat = {value for group in choices.values() if isinstance(group, list) for value, _label in group} | {
        value for value, label in choices.items() if not isinstance(label, list) and value
    }
    assert flat == {"1.1", "1.2", "2", "3.1", "3.2", "4.1", "4.2", "4.3", "5", "6.1", "6.2", "7.1", "7.2"}
    content = response.content.decode()
    assert 'value="45.500"' in content  # saved amounts in Vietnamese notation
    assert 'data-testid="editor-grand-total">162.756<' in content
    assert "js/plan-editor.js" in content


def test_editor_shows_a_bad_row_at_its_field_keeps_what_was_typed_and_saves_nothing(phong_tho, login):
    total_before, count_before = _total(phong_tho), phong_tho.lines.count()
    rows = _saved_rows(phong_tho)
    rows[0]["content"] = "Nội dung vừa gõ, chưa lưu"
    rows[1]["amount_local"] = "-5"
    rows.append(
        {**_blank_line(phong_tho), "item": "6.1", "content": "Dòng mới vừa thêm", "amount_central_recurrent": "12,5"}
    )

    response = login(DRAFTER).post(
        reverse("planning:edit", args=[phong_tho.pk]), _lines_post(rows, initial=count_before)
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert '<ul class="errorlist" id="id_lines-1-amount_local_error"><li>Số tiền không được âm.</li></ul>' in content
    assert response.context["lines"].forms[1].errors == {"amount_local": ["Số tiền không được âm."]}
    assert not response.context["lines"].forms[0].errors
    assert 'name="lines-1-amount_local" value="-5"' in content
    assert "Nội dung vừa gõ, chưa lưu" in content
    assert "Dòng mới vừa thêm" in content and 'value="12,5"' in content
    assert 'data-testid="not-saved"' in content
    phong_tho.refresh_from_db()
    assert phong_tho.lines.count() == count_before
    assert _total(phong_tho) == total_before == Decimal("162756")
    assert phong_tho.lines.get(position=0).content != "Nội dung vừa gõ, chưa lưu"


def test_editor_replaces_the_lines_in_one_post(phong_tho, login):
    rows = _saved_rows(phong_tho)
    rows[0]["amount_central_investment"] = "46.000"  # Vietnamese thousands
    rows[1]["amount_central_recurrent"] = "7.070,5"  # and decimals
    for row in rows[2:]:
        row["DELETE"] = "on"
    rows.append({**_blank_line(phong_tho), "item": "5", "content": "Hỗ trợ nhà ở", "amount_other": "1.200"})
    rows.append(_blank_line(phong_tho))  # an untouched spare row is ignored

    response = login(DRAFTER).post(
        reverse("planning:edit", args=[phong_tho.pk]), _lines_post(rows, initial=len(_saved_rows(phong_tho)))
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("planning:edit", args=[phong_tho.pk])
    lines = list(selectors.plan_lines(phong_tho))
    assert [line.item.code for line in lines] == ["1.1", "1.2", "5"]
    assert lines[0].amount_map == {"central_investment": Decimal("46000"), "central_recurrent": Decimal("4550")}
    assert lines[1].amount_map == {"central_investment": Decimal("70700"), "central_recurrent": Decimal("7070.5")}
    assert lines[2].amount_map == {"other": Decimal("1200")}
    assert _total(phong_tho) == Decimal("46000") + 4550 + 70700 + Decimal("7070.5") + 1200


def test_a_row_with_money_but_no_item_is_refused(phong_tho, login):
    rows = [*_saved_rows(phong_tho), {**_blank_line(phong_tho), "amount_local": "100"}]
    response = login(DRAFTER).post(
        reverse("planning:edit", args=[phong_tho.pk]), _lines_post(rows, initial=len(rows) - 1)
    )
    assert response.status_code == 200
    assert response.context["lines"].forms[-1].errors["item"]
    assert _total(phong_tho) == Decimal("162756")


def test_header_saves_number_and_date_in_dd_mm_yyyy(phong_tho, login):
    data = {f"header-{name}": value for name, value in PlanHeaderForm.initial_for(phong_tho).items() if value}
    data.update({"header-number_symbol": "15/KH-UBND", "header-issued_on": "12/01/2023"})
    client = login(DRAFTER)
    assert client.post(reverse("planning:edit", args=[phong_tho.pk]), data).status_code == 302
    phong_tho.refresh_from_db()
    assert phong_tho.number_symbol == "15/KH-UBND"
    assert phong_tho.issued_on.isoformat() == "2023-01-12"
    assert phong_tho.legal_bases.startswith("Căn cứ Quyết định số 90/QĐ-TTg")  # untouched fields kept
    content = client.get(reverse("planning:detail", args=[phong_tho.pk])).content.decode()
    assert "Số: 15/KH-UBND" in content
    assert "Phong Thổ, ngày 12 tháng 01 năm 2023" in content
    assert 'value="12/01/2023"' in client.get(reverse("planning:edit", args=[phong_tho.pk])).content.decode()


def test_one_bad_part_saves_no_part(phong_tho, login):
    rows = _saved_rows(phong_tho)
    rows[3]["amount_other"] = "abc"
    data = {"header-number_symbol": "15/KH-UBND", **_lines_post(rows, initial=len(rows))}
    response = login(DRAFTER).post(reverse("planning:edit", args=[phong_tho.pk]), data)
    assert response.status_code == 200
    assert response.context["lines"].forms[3].errors["amount_other"]
    assert 'value="15/KH-UBND"' in response.content.decode()
    phong_tho.refresh_from_db()
    assert phong_tho.number_symbol == ""


def test_every_bad_part_is_shown_at_once(phong_tho, login):
    rows = _saved_rows(phong_tho)
    rows[1]["amount_local"] = "-5"
    data = {"header-issued_on": "31/02/2023", **_lines_post(rows, initial=len(rows))}
    response = login(DRAFTER).post(reverse("planning:edit", args=[phong_tho.pk]), data)
    assert response.status_code == 200
    assert response.context["header"].errors["issued_on"]
    assert response.context["lines"].forms[1].errors["amount_local"] == ["Số tiền không được âm."]
    assert 'value="31/02/2023"' in response.content.decode()


def test_bad_indicator_value_is_shown_on_its_row(phong_tho, login):
    response = login(DRAFTER).post(
        reverse("planning:edit", args=[phong_tho.pk]),
        {
            "indicators-TOTAL_FORMS": "1",
            "indicators-INITIAL_FORMS": "0",
            "indicators-0-name": "Tỷ lệ hộ nghèo",
            "indicators-0-unit": "%",
            "indicators-0-kind": "level",
            "indicators-0-value": "ba mươi",
        },
    )
    assert response.status_code == 200
    assert response.context["indicators"].forms[0].errors["value"]
    assert phong_tho.indicators.count() == 5


def test_commune_drafter_edits_the_household_list(sin_suoi_ho, login):
    plan = sin_suoi_ho
    client = login(COMMUNE)
    assert 'data-testid="households-table"' in client.get(reverse("planning:edit", args=[plan.pk])).content.decode()
    data = {
        "households-TOTAL_FORMS": "3",
        "households-INITIAL_FORMS": "0",
        "households-0-code": "SSH-01",
        "households-0-head_name": "Lò Văn Páo",
        "households-1-code": "SSH-01",
        "households-1-head_name": "Tẩn Thị Mẩy",
    }
    response = client.post(reverse("planning:edit", args=[plan.pk]), data)
    assert response.status_code == 200
    assert "Mã hộ bị trùng trong danh sách." in str(response.context["households"].forms[1].errors)
    assert plan.households.count() == 0
    data["households-1-code"] = "SSH-02"
    assert client.post(reverse("planning:edit", args=[plan.pk]), data).status_code == 302
    assert list(plan.households.order_by("position").values_list("head_name", flat=True)) == [
        "Lò Văn Páo",
        "Tẩn Thị Mẩy",
    ]


def test_district_editor_has_no_household_list(phong_tho, login):
    response = login(DRAFTER).get(reverse("planning:edit", args=[phong_tho.pk]))
    assert response.context["households"] is None


def test_submitted_plan_cannot_be_edited_409(phong_tho, login):
    client = login(DRAFTER)
    # Status moves only through approvals.services; a queryset update stands in for it here.
    Plan.objects.filter(pk=phong_tho.pk).update(status=PlanStatus.SUBMITTED)
    response = client.get(reverse("planning:edit", args=[phong_tho.pk]))
    assert response.status_code == 409
    assert "không thể sửa" in response.content.decode()


def test_plan_submitted_while_the_officer_types_answers_409_and_keeps_the_text(phong_tho, login, monkeypatch):
    client = login(DRAFTER)
    rows = _saved_rows(phong_tho)
    rows[0]["content"] = "Đoạn văn đang soạn dở"

    def locked(**kwargs):
        raise services.PlanLocked(phong_tho)

    # The status changes between the permission check and the service's row lock.
    monkeypatch.setattr(services, "plan_lines_replace", locked)
    response = client.post(reverse("planning:edit", args=[phong_tho.pk]), _lines_post(rows, initial=len(rows)))
    assert response.status_code == 409
    content = response.content.decode()
    assert 'data-testid="locked"' in content
    assert "Đoạn văn đang soạn dở" in content


@pytest.mark.parametrize("page", ["planning:detail", "planning:edit"])
def test_pages_need_no_inline_script_or_style(phong_tho, login, page):
    """The CSP allows scripts and styles from 'self' only: nothing inline may be needed."""
    content = login(DRAFTER).get(reverse(page, args=[phong_tho.pk])).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", content)
    assert not re.search(r"\sstyle=", content)
    assert not re.search(r"\son[a-z]+=", content)  # no inline event handlers either


def test_header_form_covers_exactly_the_header_fields():
    assert tuple(PlanHeaderForm.base_fields) == services.HEADER_FIELDS


def test_lines_import_from_the_editor_page_names_bad_rows_and_saves_nothing(phong_tho, login):
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    # The template's headers: the 2021-2025 sources' short labels, as the editor's columns print them.
    book.active.append(["Mã dự án", "Nội dung", "NSTW - ĐTPT", "NSTW - SN", "NSĐP", "Huy động khác"])
    book.active.append(["1.1", "Đường", -5, 0, 0, 0])
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "lines.xlsx"
    before = phong_tho.lines.count()
    response = login(DRAFTER).post(
        reverse("planning:import", args=[phong_tho.pk, "lines"]), {"file": buffer}, follow=True
    )
    assert response.status_code == 200
    assert "Dòng 2" in response.content.decode()
    assert phong_tho.lines.count() == before


# --- periods with other sources: 2026-2030 (seven sources) and the dual-catalogue year 2026 ------


def _two_tier_plan(year: int) -> tuple[Plan, str]:
    """A fresh annual draft in ``year`` for a commune of two-tier Lai Châu that has no plan (the
    demo's staffed communes carry its 2027 cycle), and the username of its drafter."""
    [unit] = two_tier.fresh_communes(1)
    plan = two_tier.open_plan(year, unit)
    return plan, two_tier.officer(unit).username


def _column_headers(content: str, testid: str) -> list[str]:
    head = content.split(f'data-testid="{testid}"', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th scope="col" class="num">([^<]*)</th>', head)


def test_editor_of_a_2027_plan_has_the_seven_sources_of_2026_2030(demo, login):
    plan, drafter = _two_tier_plan(2027)
    response = login(drafter).get(reverse("planning:edit", args=[plan.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert [source.code for source in selectors.plan_sources(plan)] == list(SOURCES_2026_2030)
    headers = [*SOURCES_2026_2030.values()]
    assert _column_headers(content, "lines-table") == [*headers, "Cộng"]
    assert _column_headers(content, "editor-totals") == [*headers, "Tổng cộng"]
    # The running totals read the sources from the page, in column order.
    assert f'data-sources="{" ".join(SOURCES_2026_2030)}"' in content
    for code in SOURCES_2026_2030:
        assert f'name="lines-0-amount_{code}"' in content
        assert f'data-source="{code}"' in content
    assert 'name="lines-0-amount_local"' not in content  # a 2021-2025 source
    # The agencies row spans every column but the row number: item, content, 7 sources, total, remove.
    assert '<td colspan="11">' in content
    assert '<tr data-project="C1">' in content and '<tr data-project="C2">' in content
    choices = dict(response.context["lines"].forms[0].fields["item"].choices)
    flat = {value for group in choices.values() if isinstance(group, list) for value, _label in group}
    assert "C1.02.01" in flat
    assert not any(":" in value for value in flat)  # 2027: no continuing 2021-2025 catalogue


def test_amounts_typed_in_two_2026_2030_sources_are_saved_and_shown_on_the_plan_page(demo, login):
    plan, drafter = _two_tier_plan(2027)
    client = login(drafter)
    row = {
        **_blank_line(plan),
        "item": "C1.02.01",
        "content": "Bê tông hóa đường nội đồng tổ 5",
        "amount_central_investment": "1.250,5",
        "amount_local_commune": "300",
    }
    response = client.post(reverse("planning:edit", args=[plan.pk]), _lines_post([row, _blank_line(plan)], initial=0))
    assert response.status_code == 302, response.context["lines"].errors

    totals = selectors.plan_totals(plan)
    assert totals["central_investment"] == Decimal("1250.5")
    assert totals["local_commune"] == Decimal("300")
    assert all(not totals[code] for code in SOURCES_2026_2030 if code not in ("central_investment", "local_commune"))
    assert (totals["central"], totals["total"]) == (Decimal("1250.5"), Decimal("1550.5"))
    assert totals["by_project"]["C1"]["total"] == Decimal("1550.5")

    editor = client.get(reverse("planning:edit", args=[plan.pk])).content.decode()
    assert 'name="lines-0-amount_central_investment" value="1.250,5"' in editor
    assert 'name="lines-0-amount_local_commune" value="300"' in editor
    assert 'data-testid="editor-grand-total">1.550,5<' in editor

    page = client.get(reverse("planning:detail", args=[plan.pk])).content.decode()
    assert 'data-testid="budget-total">1.550,5<' in page
    assert _column_headers(page, "budget") == [*SOURCES_2026_2030.values(), "Tổng cộng"]
    summary = page.split('data-testid="budget-summary"', 1)[1].split("</p>", 1)[0]
    assert "Tổng kinh phí <strong>1.550,5</strong> triệu đồng, trong đó ngân sách trung ương 1.250,5" in summary
    assert "Ngân sách trung ương - vốn đầu tư phát triển 1.250,5" in summary
    assert "Ngân sách cấp xã 300" in summary
    assert summary.count('class="source-amount"') == 7
    assert page.count('class="bar-row"') == 7
    assert "catalogue-head" not in page  # one catalogue: no catalogue headings


def test_a_2027_plan_without_lines_spans_its_empty_table_over_every_column(demo, login):
    plan, drafter = _two_tier_plan(2027)
    page = login(drafter).get(reverse("planning:detail", args=[plan.pk])).content.decode()
    assert '<td colspan="10" class="muted">' in page  # code, title, 7 sources, total


def test_a_2026_plan_shows_its_continuing_2021_2025_line_under_that_catalogue(demo, login):
    plan, drafter = _two_tier_plan(2026)
    services.plan_lines_replace(
        actor=User.objects.get(username=drafter),
        plan=plan,
        rows=[
            {"item": "C1.02.01", "content": "Đường giao thông tổ 3", "amounts": {"central_investment": "800"}},
            {
                "item": "1.1",
                "catalogue": "2021-2025",
                "content": "Chuyển tiếp: đường liên bản Nậm Cáy",
                "amounts": {"central_investment": "450", "credit": "50"},
            },
        ],
    )
    client = login(drafter)
    page = client.get(reverse("planning:detail", args=[plan.pk])).content.decode()
    table = page.split('data-testid="budget"', 1)[1].split("</table>", 1)[0]
    own = table.index('data-catalogue="2026-2030"')
    continuing = table.index('data-catalogue="2021-2025"')
    assert "Danh mục giai đoạn 2026-2030" in table
    assert "Danh mục giai đoạn 2021-2025 — nhiệm vụ chuyển tiếp" in table
    assert own < table.index("Đường giao thông tổ 3") < continuing < table.index("Chuyển tiếp: đường liên bản Nậm Cáy")
    assert 'colspan="10"' in table  # the headings span the seven sources' table
    assert 'data-testid="budget-total">1.300<' in page

    editor = client.get(reverse("planning:edit", args=[plan.pk])).content.decode()
    assert '<option value="2021-2025:1.1" selected>' in editor
    # The continuing line counts under its own project in the running totals, printed as its catalogue prints it.
    assert '<tr data-project="2021-2025:1">' in editor
    totals = editor.split('data-testid="editor-totals"', 1)[1].split("</table>", 1)[0]
    assert ">2021-2025:1<" not in totals
    assert totals.index('data-catalogue="2026-2030"') < totals.index('data-project="C1"')
    assert totals.index('data-catalogue="2021-2025"') < totals.index('data-project="2021-2025:1"')
    assert 'data-testid="editor-grand-total">1.300<' in editor
    assert "{#" not in page and "{#" not in editor  # no template comment leaks onto the page

"""One plan, one total (issue 12): every page, file and API answer reads a plan's money from
``selectors.plan_totals`` / ``plan_money_for`` — its own lines plus the plans counted below it.

The demo's three-tier Phong Thổ district plan (2023, seed 002) carries 162.756 million VND of its
own; its 17 communes have no lines yet. Three communes then enter 58.450,75 between them: the
district's figure becomes 221.206,75 on the plan list, the plan page, the task page, the
workbenches, the inbox, the API (list, detail, totals), the .xlsx and the .docx.

Personas (demo directory):

* ``DISTRICT_HEAD``: head of Phong Thổ's labour office, which owns the district plan and
  reviews the communes' plans;
* ``PROVINCE_HEAD``: head of Lai Châu's labour department, above the district;
* the communes' drafters and heads (``t3-c<code>-ubnd-drafter`` / ``-head``);
* ``COUNCIL``: the secretary of two-tier Lai Châu's People's Council (the 2027 demo's council task).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from deadlines import clock
from directory.models import User
from planning import selectors, services
from planning.models import Plan
from workflows import services as workflows

DISTRICT_HEAD = "t3-d109-labour-head"
PROVINCE_HEAD = "t3-p12-labour-head"
COUNCIL = "t2-p12-hdnd-council_secretary"
STANDING_HEAD = "t2-p12-agri-head"  # Sở NN&MT, the standing agency of two-tier Lai Châu
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

# Three communes of Phong Thổ and the lines each enters (2021-2025 sources); 58.450,75 in all.
FIRST, SECOND, THIRD = "03592", "03586", "03391"  # Sin Suối Hồ, Nậm Xe, Lả Nhì Thàng
COMMUNE_LINES = {
    FIRST: [
        {"item": "1.1", "content": "Đường nội bản Phìn Hồ", "amounts": {"central_investment": "20000"}},
        {"item": "2", "content": "Mô hình nuôi dê", "amounts": {"central_recurrent": "1450.5", "local": "30.25"}},
    ],
    SECOND: [{"item": "5", "content": "Nhà ở 5 hộ nghèo", "amounts": {"central_recurrent": "1200", "other": "300"}}],
    THIRD: [{"item": "4.1", "content": "Đào tạo nghề", "amounts": {"central_recurrent": "35470"}}],
}


def vn(text: str) -> Decimal:
    """A figure as a page prints it ("221.206,75") as a number."""
    return Decimal(text.strip().replace(".", "").replace(",", "."))


def user(username: str) -> User:
    return User.objects.get(username=username)


def commune_plan(district: Plan, code: str) -> Plan:
    return Plan.objects.get(parent=district, unit__code=code)


def complete_and_fill(plan: Plan, lines: list[dict]) -> None:
    """What a commune writes before it may submit: sections, an indicator, its budget lines."""
    drafter = user(f"t3-c{plan.unit.code}-ubnd-drafter")
    services.plan_header_update(
        actor=drafter,
        plan=plan,
        data={
            "legal_bases": "Căn cứ Kế hoạch của UBND huyện Phong Thổ về thực hiện Chương trình năm 2023;",
            "purpose": "Triển khai Chương trình trên địa bàn xã.",
            "objectives": "Giảm tỷ lệ hộ nghèo 4%.",
        },
    )
    services.plan_indicators_replace(
        actor=drafter,
        plan=plan,
        rows=[{"name": "Tỷ lệ hộ nghèo giảm", "unit": "%", "kind": "change", "value": "4"}],
    )
    services.plan_lines_replace(actor=drafter, plan=plan, rows=lines)


def act(username: str, plan: Plan, action: str, **kwargs) -> None:
    workflows.plan_act(actor=user(username), plan_id=plan.pk, action=action, **kwargs)


def page(client, username: str, url: str) -> str:
    client.force_login(user(username), backend=MODEL_BACKEND)
    response = client.get(url)
    assert response.status_code == 200, (username, url, response.status_code)
    return response.content.decode()


def one(pattern: str, text: str) -> str:
    found = re.findall(pattern, text, flags=re.S)
    assert len(found) == 1, (pattern, found)
    return found[0]


def row_of(content: str, marker: str) -> str:
    """The table row whose opening tag carries ``marker`` (a data attribute)."""
    return content.split(marker, 1)[1].split("</tr>", 1)[0]


def xlsx_total(content: bytes) -> Decimal:
    """The grand total of the .xlsx: the "Tổng cộng" row's first amount (column C, "1=2+5+6")."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    totals = [row for row in sheet.iter_rows(values_only=True) if row[1] == "Tổng cộng"]
    assert len(totals) == 1, totals
    return Decimal(str(totals[0][2]))


def docx_texts(content: bytes) -> list[str]:
    from docx import Document

    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts.append(" | ".join(cell.text for cell in row.cells))
    return texts


def docx_totals(content: bytes) -> list[Decimal]:
    """The totals the .docx states: its funding sentence ("… là 162.756 triệu đồng") and the
    budget table's "Tổng cộng" row (its first amount)."""
    texts = docx_texts(content)
    sentence = [t for t in texts if t.startswith("Tổng kế hoạch vốn")]
    assert len(sentence) == 1, sentence
    figures = [vn(one(r" là ([\d.,]+) triệu đồng", sentence[0]))]
    # The table's total row: "Tổng cộng" then the amounts (the header rows name a column "Tổng cộng").
    rows = [re.search(r"(?:^| \| )Tổng cộng \| ([\d.,]+)(?: \||$)", t) for t in texts]
    table_totals = [vn(found.group(1)) for found in rows if found]
    assert len(table_totals) == 1, texts
    return figures + table_totals


def figures_of(client, login_api, district: Plan) -> dict[str, Decimal]:
    """The district plan's figure as each place shows it, read as an officer reads it."""
    province = district.parent
    figures: dict[str, Decimal] = {}

    listing = page(client, DISTRICT_HEAD, reverse("planning:list"))
    figures["plan list"] = vn(one(rf'data-testid="plan-total-{district.pk}">([^<]+)', listing))

    detail = page(client, DISTRICT_HEAD, reverse("planning:detail", args=[district.pk]))
    figures["plan page: header"] = vn(one(r'data-testid="plan-total">([^<]+)<', detail))
    summary = one(r'data-testid="budget-summary">(.*?)</p>', detail)
    figures["plan page: section III sentence"] = vn(one(r"Tổng kinh phí <strong>([^<]+)</strong>", summary))
    figures["plan page: consolidated table"] = vn(one(r'data-testid="rollup-total">([^<]+)<', detail))

    task = page(client, DISTRICT_HEAD, reverse("workflows:plan-task", args=[district.pk]))
    figures["task page"] = vn(one(r'data-testid="grand-total"><strong>([^<]+)</strong>', task))

    inbox = page(client, DISTRICT_HEAD, reverse("workflows:inbox"))
    figures["inbox"] = vn(one(r'data-testid="plan-total">([^<]+)', row_of(inbox, f'data-plan="{district.pk}"')))

    bench = page(client, PROVINCE_HEAD, reverse("workflows:workbench", args=[province.pk]))
    figures["province workbench: the district's row"] = vn(
        one(r'data-testid="child-total">([^<]+)', row_of(bench, 'data-unit="109"'))
    )
    # The province has no lines of its own: its "below" is the district's figure.
    figures["province workbench: total below"] = vn(one(r'data-testid="below-total">([^<]+)<', bench))
    province_page = page(client, PROVINCE_HEAD, reverse("planning:detail", args=[province.pk]))
    children = one(r'data-testid="children">(.*?)</table>', province_page)
    figures["province page: the district's row"] = vn(
        one(r'data-testid="child-total">([^<]+)', children.split(reverse("planning:detail", args=[district.pk]), 1)[1])
    )

    api = login_api(DISTRICT_HEAD)
    listed = [p for p in api.get("/api/v1/plans/").json() if p["id"] == district.pk]
    figures["API list"] = Decimal(listed[0]["money"]["total"])
    figures["API detail"] = Decimal(api.get(f"/api/v1/plans/{district.pk}/").json()["money"]["total"])
    figures["API totals"] = Decimal(api.get(f"/api/v1/plans/{district.pk}/totals/").json()["total"])

    xlsx = api.get(reverse("api-plan-export", kwargs={"plan_id": district.pk, "fmt": "xlsx"}))
    assert xlsx.status_code == 200
    figures[".xlsx"] = xlsx_total(xlsx.content)
    docx = api.get(reverse("api-plan-export", kwargs={"plan_id": district.pk, "fmt": "docx"}))
    assert docx.status_code == 200
    for index, figure in enumerate(docx_totals(docx.content)):
        figures[f".docx ({index + 1})"] = figure
    return figures


def assert_one_figure(client, login_api, district: Plan, expected: Decimal) -> None:
    assert selectors.plan_totals(district)["total"] == expected
    figures = figures_of(client, login_api, district)
    assert {place: figure for place, figure in figures.items() if figure != expected} == {}, expected


def changes_on_bench(client, district: Plan) -> dict[str, str]:
    """The district workbench's "change since the last round" cell per commune code, as text."""
    bench = page(client, DISTRICT_HEAD, reverse("workflows:workbench", args=[district.pk]))
    out = {}
    for code in (FIRST, SECOND, THIRD):
        cell = one(r'data-testid="change"[^>]*>(.*?)</td>', row_of(bench, f'data-unit="{code}"'))
        out[code] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
    return out


@pytest.fixture
def district(demo) -> Plan:
    return Plan.objects.get(unit__structure="three-tier", unit__code="109", cycle__year=2023, plan_type="annual")


def test_phong_tho_reads_162_756_everywhere_before_any_commune_adds_money(district, client, login_api):
    assert not Plan.objects.filter(parent=district, lines__isnull=False).exists()
    assert_one_figure(client, login_api, district, Decimal("162756"))


def test_commune_lines_move_the_district_figure_everywhere_and_the_change_is_exact(district, client, login_api):
    communes = {code: commune_plan(district, code) for code in COMMUNE_LINES}
    for code, plan in communes.items():
        complete_and_fill(plan, COMMUNE_LINES[code])
    expected = Decimal("162756") + Decimal("58450.75")
    assert_one_figure(client, login_api, district, expected)  # 221.206,75

    # Where both parts hold money, each page says what the figure is made of.
    split = "trong đó: kinh phí của đơn vị 162.756; của cấp dưới 58.450,75"
    assert split in page(client, DISTRICT_HEAD, reverse("planning:list"))
    assert split in page(client, DISTRICT_HEAD, reverse("workflows:plan-task", args=[district.pk]))
    detail = page(client, DISTRICT_HEAD, reverse("planning:detail", args=[district.pk]))
    assert split in detail
    assert "(kinh phí của đơn vị 162.756, của cấp dưới 58.450,75)" in detail  # section III's sentence
    assert 'data-testid="budget-total">162.756<' in detail  # the own lines' table, captioned as such
    assert "Kinh phí do Huyện Phong Thổ trực tiếp thực hiện" in detail
    api = login_api(DISTRICT_HEAD).get(f"/api/v1/plans/{district.pk}/").json()
    assert api["money"] == {"total": "221206.750", "own": "162756.000", "below": "58450.750"}
    assert api["resolution"] is None

    # The district workbench: each commune's figure, and a totals row equal to the district's "below".
    bench = page(client, DISTRICT_HEAD, reverse("workflows:workbench", args=[district.pk]))
    for code, plan in communes.items():
        shown = vn(one(r'data-testid="child-total">([^<]+)', row_of(bench, f'data-unit="{code}"')))
        assert shown == selectors.plan_totals(plan)["total"]
    assert vn(one(r'data-testid="below-total">([^<]+)<', bench)) == selectors.plan_totals(district)["below"]["total"]
    assert changes_on_bench(client, district) == {FIRST: "—", SECOND: "—", THIRD: "—"}  # no round yet

    # Two communes submit (round 1 is frozen); the district returns both; the first cuts its road by 5.500.
    for code in (FIRST, SECOND):
        act(f"t3-c{code}-ubnd-head", communes[code], "submit")
        act(DISTRICT_HEAD, communes[code], "return", comment="Đề nghị rà soát lại kinh phí.")
    assert changes_on_bench(client, district) == {FIRST: "0", SECOND: "0", THIRD: "—"}  # nobody changed
    cut = [dict(COMMUNE_LINES[FIRST][0], amounts={"central_investment": "14500"}), COMMUNE_LINES[FIRST][1]]
    services.plan_lines_replace(actor=user(f"t3-c{FIRST}-ubnd-drafter"), plan=communes[FIRST], rows=cut)
    assert changes_on_bench(client, district) == {FIRST: "-5.500 NSTW - ĐTPT -5.500", SECOND: "0", THIRD: "—"}

    # Resubmitted (round 2), the reviewer still sees what changed against the round before.
    act(f"t3-c{FIRST}-ubnd-head", communes[FIRST], "submit")
    assert changes_on_bench(client, district) == {FIRST: "-5.500 NSTW - ĐTPT -5.500", SECOND: "0", THIRD: "—"}
    # The province's workbench compares the district's own lines, which nobody changed.
    bench = page(client, PROVINCE_HEAD, reverse("workflows:workbench", args=[district.parent_id]))
    assert one(r'data-testid="change"[^>]*>(.*?)</td>', row_of(bench, 'data-unit="109"')) == "—"
    assert_one_figure(client, login_api, district, expected - Decimal("5500"))  # 215.706,75


def test_the_approved_province_plan_shows_its_resolution(demo, client, login_api):
    """The 2027 demo's province plan waits at the People's Council; its secretary approves it."""
    plan = Plan.objects.get(unit__structure="two-tier", unit__code="12", cycle__year=2027, plan_type="annual")
    assert plan.status == "council"
    day = clock.now().astimezone().date()
    act(COUNCIL, plan, "approve", fields={"resolution_number": "25/NQ-HĐND", "resolution_date": f"{day:%d/%m/%Y}"})
    shown = f"Nghị quyết HĐND số <strong>25/NQ-HĐND</strong> ngày {day:%d/%m/%Y}"
    expected = selectors.plan_totals(plan)["total"]

    detail = page(client, STANDING_HEAD, reverse("planning:detail", args=[plan.pk]))
    assert shown in one(r'data-testid="resolution">(.*?)</span>', detail)
    assert f"Căn cứ Nghị quyết số 25/NQ-HĐND ngày {day:%d/%m/%Y} của Hội đồng nhân dân tỉnh Lai Châu" in detail
    # Not "Tổng kinh phí 0 triệu đồng": the province's own lines and its communes'.
    assert vn(one(r"Tổng kinh phí <strong>([^<]+)</strong>", detail)) == expected
    assert vn(one(r'data-testid="plan-total">([^<]+)<', detail)) == expected

    task = page(client, STANDING_HEAD, reverse("workflows:plan-task", args=[plan.pk]))
    assert shown in one(r'data-testid="resolution">(.*?)</span>', task)
    assert vn(one(r'data-testid="grand-total"><strong>([^<]+)</strong>', task)) == expected

    # The next step (report to the ministry) is the standing agency's: its inbox row names the resolution.
    inbox = page(client, STANDING_HEAD, reverse("workflows:inbox"))
    row = row_of(inbox, f'data-plan="{plan.pk}"')
    assert f"Nghị quyết HĐND số 25/NQ-HĐND ngày {day:%d/%m/%Y}" in row
    assert vn(one(r'data-testid="plan-total">([^<]+)', row)) == expected

    api = login_api(STANDING_HEAD)
    detail_json = api.get(f"/api/v1/plans/{plan.pk}/").json()
    assert detail_json["resolution"] == {"number": "25/NQ-HĐND", "date": day.isoformat()}
    assert Decimal(detail_json["money"]["total"]) == expected
    listed = {p["id"]: p for p in api.get("/api/v1/plans/").json()}
    assert listed[plan.pk]["resolution"] == detail_json["resolution"]

    docx = api.get(reverse("api-plan-export", kwargs={"plan_id": plan.pk, "fmt": "docx"}))
    assert docx.status_code == 200
    assert any("Nghị quyết số 25/NQ-HĐND" in text for text in docx_texts(docx.content))


def test_a_page_with_two_cycles_of_one_period_counts_each_source_once(demo):
    """Two-tier Lai Châu's 2026 and 2027 plans share the 2026-2030 period: a page (the province
    officer's inbox, the plan list) holding both reads each plan's money as the plan alone does."""
    from tests.planning import two_tier

    plan_2026 = two_tier.open_plan(2026, two_tier.province())
    services.plan_lines_replace(
        actor=two_tier.officer(plan_2026.unit),
        plan=plan_2026,
        rows=[{"item": "C1.10.02", "content": "Truyền thông", "amounts": {"central_recurrent": "500"}}],
    )
    plans = list(
        Plan.objects.filter(unit=plan_2026.unit, plan_type="annual", cycle__year__in=[2026, 2027]).select_related(
            "cycle", "unit"
        )
    )
    assert len(plans) == 2 and len({plan.cycle.period_id for plan in plans}) == 1
    money = selectors.plan_money_for(plans)
    for plan in plans:
        alone = selectors.plan_totals(plan)
        assert money[plan.pk]["total"]["total"] == alone["total"], plan
        assert money[plan.pk]["own"]["total"] == alone["own"]["total"], plan
    assert money[plan_2026.pk]["total"]["total"] == Decimal("500")

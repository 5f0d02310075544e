"""Plan documents as the files officials work in: the budget table as .xlsx, the plan as .docx.

Both follow Decree 30/2020/NĐ-CP (A4, Times New Roman) and the layout of the printed plans (seed
002, Phong Thổ 2023). Every amount comes from ``selectors.plan_totals`` (SQL sums, a parent plan
including everything below it), so the files show exactly what the API and the reviewers see.

The columns are the funding sources of the plan's period (``selectors.plan_sources``): four in
2021-2025, seven in 2026-2030. Nothing here names a source; a group of several sources gets a
spanning header, and the central group its subtotal column (the one subtotal the selectors
derive, ``"central"``). The rows follow the catalogue tree: top-level items (2021-2025 project,
2026-2030 component), then what lies under them down to the budgeted leaves. In a dual-catalogue
year (2026: continuing 2021-2025 tasks beside the new catalogue) each catalogue is a section with
its subtotal, the plan's own first, under one grand total.

Who issues the document, its number's symbol, its signature block (Decree 30: "TM." for a
collective body, "KT." for a deputy) and its recipients follow the issuing rules of
``approvals/data/documents.json``, read by ``approvals.selectors``; the signer comes from the
audit trail (``approvals.selectors.document_signer``).

The .xlsx holds the sums as values, not as ``=SUM()`` formulas: a formula has no value until
Excel recalculates it, so the file would read back empty in any library, previewer or mail
gateway that does not recalculate, and an officer who edits a line in the export would create a
second, diverging truth. Edits go through the import template (``planning.imports``) instead.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import numberformat, translation
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from approvals import selectors as issuing
from config.spreadsheet import put
from config.text import xml_safe
from directory.models import Tier, User
from directory.services import unit_label
from planning import selectors
from planning.models import CatalogueItem, FundingSource, LocalLabel, Plan

FONT_NAME = "Times New Roman"
UNIT_NOTE = "Đơn vị tính: triệu đồng"
GRAND_TOTAL_LABEL = "Tổng cộng"
# The collective bodies whose name heads the issuing-body lines; both spellings of "Ủy" occur.
COLLECTIVE_BODIES = ("ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN")
# Until the plan is issued, Decree 30 drafts leave room to write the number and date by hand.
BLANK_NUMBER = "     "
BLANK_DATE = "……"
SIGNATURE_ROOM_LINES = 4
# A line of the plan's own under its catalogue item in the budget table, and the money below it.
LINE_MARK = "-"
OWN_SHARE_LABEL = "Trong đó: kinh phí của đơn vị"
BELOW_LABEL = "Kinh phí của cấp dưới"

CENTRAL = FundingSource.Group.CENTRAL
# How the printed tables head a group of several sources, and how a sentence abbreviates a group.
# Groups are the model's three subtotal classes, not sources: which sources a period has, and in
# which group, is data.
GROUP_HEADINGS = {
    FundingSource.Group.CENTRAL: "Ngân sách trung ương (NSTW)",
    FundingSource.Group.LOCAL: "Ngân sách địa phương (NSĐP)",
    FundingSource.Group.OTHER: "Nguồn vốn khác",
}
GROUP_ABBREVIATIONS = {FundingSource.Group.CENTRAL: "NSTW", FundingSource.Group.LOCAL: "NSĐP"}
SUBTOTAL_LABEL = "Tổng"
STT_LABEL = "STT"
# Sections of a dual-catalogue year, numbered as Vietnamese tables number their parts.
SECTION_NUMBERS = ("I", "II", "III", "IV", "V")


@dataclass(frozen=True)
class Column:
    key: str  # a key of selectors' totals rows: a source code, "central" or "total"
    label: str
    group: str = ""  # the spanning header above the column, if any
    formula: str = ""  # the column-number row: how the column adds up ("1=2+5+6")


def budget_columns(sources: Sequence[FundingSource]) -> list[Column]:
    """The amount columns of the budget table: the total, then the sources in column order.

    Consecutive sources of one group share a spanning header (under it each source's short
    label); a source alone in its group spans both header rows with its full title. When the
    central group has several sources, its subtotal ("Tổng", selectors' ``"central"``) comes
    first under its header. The column-number row says how the columns add up: for seed 002,
    "1=2+5+6" and "2=3+4"."""
    central_split = sum(1 for s in sources if s.group == CENTRAL) > 1
    specs: list[tuple[str, str, str]] = []  # (key, label, group heading)
    for group, run in itertools.groupby(sources, key=lambda s: s.group):
        members = list(run)
        if len(members) == 1 and not (group == CENTRAL and central_split):
            source = members[0]
            specs.append((source.code, source.title_vi or source.short_vi, ""))
            continue
        heading = GROUP_HEADINGS.get(group, group)
        if group == CENTRAL and all(key != "central" for key, _label, _group in specs):
            specs.append(("central", SUBTOTAL_LABEL, heading))
        specs.extend((s.code, s.short_vi or s.title_vi, heading) for s in members)
    number = {key: str(index) for index, (key, _label, _group) in enumerate(specs, start=2)}
    in_central = {s.code for s in sources if s.group == CENTRAL} if central_split else set()
    formulas = {"total": "1=" + "+".join(number[key] for key, _l, _g in specs if key not in in_central)}
    if central_split:
        formulas["central"] = f"{number['central']}=" + "+".join(number[c] for c in number if c in in_central)
    columns = [Column("total", GRAND_TOTAL_LABEL, formula=formulas["total"])]
    columns += [Column(key, label, group, formulas.get(key, number[key])) for key, label, group in specs]
    return columns


def source_header(source: FundingSource) -> str:
    """A source's column header in the import template and the reports: its short label."""
    return source.short_vi or source.title_vi


# --- numbers ---------------------------------------------------------------------------------


def vn_number(value: Decimal | int) -> str:
    """A number in Vietnamese notation: "162.756", "38,5", "0,5".

    Amounts are stored with three decimals, so trailing zeros carry no meaning and are dropped;
    an integral value prints without a decimal mark.
    """
    return numberformat.format(
        Decimal(value).normalize(), ",", thousand_sep=".", grouping=3, force_grouping=True, use_l10n=False
    )


def excel_amount(value: Decimal) -> tuple[int | Decimal, str]:
    """A cell value and number format for an amount.

    Integral amounts are written as ``int`` with ``#,##0``: the format ``#,##0.###`` would show
    a dangling decimal mark ("162.756,") on whole numbers. Zero shows as "-", as in printed tables.
    """
    if value == value.to_integral_value():
        return int(value), '#,##0;-#,##0;"-"'
    return value, '#,##0.###;-#,##0.###;"-"'


def amount_text(value: Decimal) -> str:
    """An amount as the .docx prints it: Vietnamese notation, "-" for nothing."""
    return vn_number(value) if value else "-"


# --- the budget table, shared by both formats ------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    number: str  # STT: the item's code (a province's own number when it has one), a section's numeral, "-" a line
    label: str
    level: int  # 0 the grand total or a catalogue's section, 1 a top-level item, 2… below it
    amounts: dict[str, Decimal]
    bold: bool = False
    italic: bool = False


@dataclass
class CatalogueSection:
    """One catalogue's part of a plan's money: its items in document order and its subtotal."""

    period: str
    label: str
    items: list[CatalogueItem]
    sums: dict[str, Decimal]


def programme_name(plan: Plan) -> str:
    """The programme's name without its period: "Chương trình mục tiêu quốc gia giảm nghèo bền vững"."""
    return plan.cycle.period.programme_name


Catalogues = dict[str, tuple[str | None, list[CatalogueItem]]]


def plan_catalogue_items(plan: Plan) -> Catalogues:
    """{period code: (None or why the plan may not use it, its items in document order)} for
    every catalogue of ``selectors.plan_catalogues``, the plan's own first (two queries)."""
    catalogues = selectors.plan_catalogues(plan)
    items: dict[str, list[CatalogueItem]] = {code: [] for code in catalogues}
    for item in CatalogueItem.objects.filter(period__code__in=list(catalogues)).select_related("period"):
        items[item.period.code].append(item)
    return {code: (refusal, sorted(items[code], key=lambda i: i.position)) for code, refusal in catalogues.items()}


def catalogue_sections(
    plan: Plan,
    sums: dict,
    *,
    catalogues: Catalogues | None = None,
    sources: Sequence[FundingSource] | None = None,
) -> list[CatalogueSection]:
    """The catalogues of the plan's money, the plan's own first: every catalogue its lines may
    use (``selectors.plan_catalogues``), and a refused one only if it holds money anyway.
    ``catalogues`` and ``sources`` may be given when known (plans of one cycle share them).

    A section's subtotal adds the ``by_project`` sums of its top-level items: the selectors key
    their sums by item code only, which is unambiguous between the catalogues a plan may use
    (2021-2025 "1.1", 2026-2030 "C1.02.01")."""
    catalogues = catalogues if catalogues is not None else plan_catalogue_items(plan)
    sources = list(sources) if sources is not None else selectors.plan_sources(plan)
    own = plan.cycle.period.code
    sections = []
    for code, (refusal, items) in catalogues.items():
        subtotal = selectors.zero_totals(sources)
        for item in items:
            if item.parent_id is None and item.code in sums["by_project"]:
                for key, value in sums["by_project"][item.code].items():
                    subtotal[key] += value
        if refusal is not None and not subtotal["total"]:
            continue
        label = f"Nội dung giai đoạn {code}" if code == own else f"Nhiệm vụ chuyển tiếp giai đoạn {code}"
        sections.append(CatalogueSection(code, label, items, subtotal))
    return sections


Labels = dict[int, tuple[str, str]]


def local_labels(plan: Plan) -> Labels:
    """{item id: (local number, local title)} of the province's own numbering (Lâm Đồng, seed
    003), for the province of the plan; empty for a province that uses the national numbers."""
    province_id = plan.unit_id if plan.unit.tier == Tier.PROVINCE else plan.province_id
    if province_id is None:
        return {}
    rows = LocalLabel.objects.filter(province_id=province_id).values_list("item_id", "local_code", "local_title")
    return {item_id: (code, title) for item_id, code, title in rows}


def item_number_and_label(item: CatalogueItem, labels: Labels) -> tuple[str, str]:
    """The STT and content of an item's row: the province's own number and title, with the
    national code beside the title ("Tiểu dự án 2: Hỗ trợ việc làm bền vững (mã quốc gia 4.3)"),
    or the national code and title."""
    if item.pk in labels:
        code, title = labels[item.pk]
        return code, f"{title or item.title_vi} (mã quốc gia {item.code})"
    return item.code, item.title_vi


@dataclass(frozen=True)
class LineDetail:
    """What the table shows under the catalogue items: the plan's own lines, and per item what
    its figure holds besides them (the plans below)."""

    lines: dict[str, list[tuple[str, dict[str, Decimal]]]]  # leaf item code: [(content, amounts)]
    below: dict[str, dict[str, Decimal]]  # leaf item code: the part of its figure from the plans below


def line_detail(plan: Plan, sums: dict, sources: Sequence[FundingSource]) -> LineDetail:
    """The plan's own lines by item (``selectors.plan_lines``, ``line_amounts``) and, for an
    item whose figure also holds money below, that part: its ``by_item`` figure (own and below,
    ``plan_totals``) less the item's own figure (``plan_totals`` of the own lines alone)."""
    lines: dict[str, list[tuple[str, dict[str, Decimal]]]] = {}
    for line in selectors.plan_lines(plan):
        lines.setdefault(line.item.code, []).append((line.content.strip(), selectors.line_amounts(line, sources)))
    below: dict[str, dict[str, Decimal]] = {}
    if any(sums.get("below", {}).values()) and lines:
        own = selectors.plan_totals(plan, include_children=False)["by_item"]
        for code in lines:
            whole, mine = sums["by_item"].get(code), own.get(code)
            if whole and mine and whole["total"] != mine["total"]:
                below[code] = {key: whole[key] - mine[key] for key in whole}
    return LineDetail(lines, below)


def _detail_rows(item: CatalogueItem, detail: LineDetail | None, level: int) -> list[BudgetRow]:
    """The rows under a leaf item: each of the plan's own lines with its content (the item's
    title when it has none) and amounts, then the part of the item's figure from the plans
    below, so that they add up to the item's row. None when every own line of the item only
    repeats the item's title and nothing comes from below: the item's row says it all."""
    if detail is None or item.code not in detail.lines:
        return []
    lines, below = detail.lines[item.code], detail.below.get(item.code)
    title = item.title_vi.strip().casefold()
    if below is None and all(not content or content.casefold() == title for content, _a in lines):
        return []
    rows = [BudgetRow(LINE_MARK, content or item.title_vi, level, amounts) for content, amounts in lines]
    if below is not None:
        rows.append(BudgetRow(LINE_MARK, BELOW_LABEL, level, below, italic=True))
    return rows


def _item_rows(
    items: list[CatalogueItem], sums: dict, labels: Labels | None = None, detail: LineDetail | None = None
) -> list[BudgetRow]:
    """The items with money, in document order, each with its depth; groups (an item with
    children) carry their ``by_group`` sums, leaves their ``by_item`` sums, followed by the
    plan's own lines (``_detail_rows``). Every level but the deepest is a subtotal and bold:
    projects in 2021-2025, components and their contents in 2026-2030."""
    labels = labels or {}
    by_pk = {item.pk: item for item in items}
    depth: dict[int, int] = {}
    for item in items:  # parents come before their children in document order
        depth[item.pk] = depth.get(item.parent_id, 0) + 1 if item.parent_id in by_pk else 1
    deepest = max(depth.values(), default=1)
    rows = []
    for item in items:
        amounts = sums["by_group"].get(item.code) or sums["by_item"].get(item.code)
        if amounts is None:
            continue  # no money: left out, as in the printed plans
        level = depth[item.pk]
        number, label = item_number_and_label(item, labels)
        rows.append(BudgetRow(number, label, level, amounts, bold=level < deepest or level == 1))
        if item.code in sums["by_item"]:
            rows.extend(_detail_rows(item, detail, level + 1))
    return rows


def _flat(sums: dict) -> dict[str, Decimal]:
    return {key: value for key, value in sums.items() if not isinstance(value, dict)}


def budget_rows(
    plan: Plan,
    sums: dict | None = None,
    sections: list[CatalogueSection] | None = None,
    *,
    labels: Labels | None = None,
    detail: LineDetail | None = None,
) -> list[BudgetRow]:
    """The grand total, then each top-level item that has money followed by what lies under it.

    Rows are per catalogue item: a district's or province's plan rolls up the lines of every
    plan below it, which only the catalogue structure can add up. Under a budgeted item come the
    plan's own lines with their content (``_detail_rows``; ``detail`` from ``line_detail``).
    Items without money are left out, as in the printed plans. When the plan may use several
    catalogues, each one is a section row (its subtotal) followed by its items, the plan's own
    catalogue first. A plan with money of its own and from below says so under the grand total
    ("trong đó: kinh phí của đơn vị / của cấp dưới")."""
    sums = sums if sums is not None else selectors.plan_totals(plan)
    sections = sections if sections is not None else catalogue_sections(plan, sums)
    labels = labels if labels is not None else local_labels(plan)
    rows = [BudgetRow("", GRAND_TOTAL_LABEL, 0, _flat(sums), bold=True)]
    own, below = sums.get("own"), sums.get("below")
    if own and below and own["total"] and below["total"]:
        rows.append(BudgetRow("", OWN_SHARE_LABEL, 0, own, italic=True))
        rows.append(BudgetRow("", BELOW_LABEL, 0, below, italic=True))
    for number, section in zip(SECTION_NUMBERS, sections, strict=False):
        if len(sections) > 1:
            rows.append(BudgetRow(number, section.label, 0, section.sums, bold=True))
        rows.extend(_item_rows(section.items, sums, labels, detail))
    return rows


def content_label(sections: Sequence[CatalogueSection]) -> str:
    """The content column's header, from the kinds of item in the plan's catalogues:
    "Nội dung (dự án, tiểu dự án)" in 2021-2025, "(hợp phần, nội dung thành phần, nội dung)" after."""
    kinds = list(dict.fromkeys(item.kind for section in sections for item in section.items if item.kind))
    with translation.override("vi"):
        labels = [str(CatalogueItem.Kind(k).label).lower() for k in kinds if k in CatalogueItem.Kind.values]
    return f"Nội dung ({', '.join(labels)})" if labels else "Nội dung"


# --- header pieces shared by both formats ----------------------------------------------------
#
# Who issues the document, its number's symbol, how it is signed and where it goes are the
# issuing rules' (``approvals.selectors``, data in ``approvals/data/documents.json``).


def issuing_body_parts(plan: Plan) -> tuple[str, list[str]]:
    """The issuing body as printed top left: the line of the body above it, if any (a
    department's People's Committee: "UBND TỈNH LAI CHÂU", upright), and the body's own lines
    (bold): "ỦY BAN NHÂN DÂN" / "HUYỆN PHONG THỔ", or "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG"."""
    issuer = issuing.issuer_of(plan)
    if issuer.key == issuing.DEPARTMENT and issuer.agency is not None:
        return issuing.superior_line(plan, issuer), [issuing.department_name(issuer.agency).upper()]
    body = (plan.issuing_body or plan.unit.name).strip().upper()
    if "\n" in body:
        return "", [line.strip() for line in body.splitlines() if line.strip()]
    for collective in COLLECTIVE_BODIES:
        if body.startswith(collective) and body != collective:
            return "", [collective, body[len(collective) :].strip()]
    return "", [body]


def issuing_body_lines(plan: Plan) -> list[str]:
    """Every line of the issuing body, the body above it first."""
    superior, lines = issuing_body_parts(plan)
    return [superior, *lines] if superior else lines


def document_number(plan: Plan, *, blank: str = BLANK_NUMBER) -> str:
    """ "72/KH-UBND", or room to write the number in by hand until the plan is issued
    ("     /KH-UBND"; a department's report "     /BC-SLĐTBXH"). The plan page passes a
    visible ``blank`` ("…/KH-UBND"): spaces collapse in HTML."""
    return plan.number_symbol or f"{blank}/{issuing.issuer_of(plan).symbol}"


def decree_date(day: dt.date) -> tuple[str, str, str]:
    """(day, month, year) as Decree 30 writes them: a day below 10 and the months January and
    February with a leading zero ("05", "01", "02"), other months without ("3", "12")."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{day.day:02d}", month, str(day.year)


def date_line(plan: Plan) -> str:
    """ "Lai Châu, ngày 08 tháng 12 năm 2023" once issued (the plan's own date); until then
    day, month and year are left dotted to be written by hand, never today's year."""
    place = plan.place or plan.unit.name
    day, month, year = decree_date(plan.issued_on) if plan.issued_on else (BLANK_DATE,) * 3
    return f"{place}, ngày {day} tháng {month} năm {year}"


def document_name(plan: Plan) -> str:
    """ "Kế hoạch", "Báo cáo": the document's kind as its title names it."""
    return issuing.document_spec(plan)["name"]


def plan_title(plan: Plan) -> str:
    """ "Thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững năm 2023": the line under
    the document's name, per plan type (the rules' ``subtitle``); the programme's name comes
    from the period (2026-2030: the merged programme)."""
    period = plan.cycle.period
    return issuing.document_spec(plan)["subtitle"].format(
        programme=programme_name(plan), year=plan.cycle.year, period=f"{period.first_year} - {period.last_year}"
    )


def budget_title(plan: Plan) -> str:
    short = programme_name(plan).replace("Chương trình mục tiêu quốc gia", "Chương trình MTQG")
    return f"Kế hoạch vốn thực hiện {short} năm {plan.cycle.year}"


def resolution_basis(plan: Plan) -> tuple[str, str]:
    """(number, legal basis) of the council's resolution, once the People's Council approved
    the plan: ("25/NQ-HĐND", "Căn cứ Nghị quyết số 25/NQ-HĐND ngày 08/12/2023 của Hội đồng nhân
    dân tỉnh Lai Châu phê duyệt kế hoạch vốn …;"); ("", "") before."""
    from workflows.selectors import plan_resolution  # the workflow's reads load only for a document

    resolution = plan_resolution(plan)
    if resolution is None:
        return "", ""
    number = resolution.number.strip()
    if "/" not in number:  # the bare number: the symbol of a council's resolution follows it
        number = f"{number}/NQ-HĐND"
    subject = budget_title(plan)
    return number, (
        f"Căn cứ Nghị quyết số {number} ngày {resolution.date:%d/%m/%Y} của Hội đồng nhân dân "
        f"{unit_label(plan.unit)} phê duyệt {subject[:1].lower()}{subject[1:]};"
    )


def legal_bases(plan: Plan) -> list[str]:
    """The plan's "Căn cứ" lines, then the council's resolution unless a line already cites it."""
    bases = _lines(plan.legal_bases)
    number, basis = resolution_basis(plan)
    if basis and not any(number in line for line in bases):
        bases.append(basis)
    return bases


def recipients(plan: Plan) -> list[str]:
    """ "Nơi nhận": the plan's own list, else the one its route implies (``route_recipients``)."""
    return _lines(plan.recipients) or issuing.route_recipients(plan)


# --- signature block -------------------------------------------------------------------------


def signature_block(plan: Plan, signer: User | None = None, on_behalf_of: User | None = None) -> list[str]:
    """The lines of the signature block, bottom right of the document: the capacity lines of
    the issuing rules (``approvals.selectors.signature_lines``: "TM. ỦY BAN NHÂN DÂN" / "KT.
    CHỦ TỊCH" / "PHÓ CHỦ TỊCH", a department's "GIÁM ĐỐC"), a blank line for the signature and
    the seal, and the signer's name. Without a signer the block has the head's title and no
    name, so the draft can be printed and signed by whoever signs."""
    if on_behalf_of is not None and signer is None:
        raise ValueError("A deputy signs on behalf of the principal: name the signer too.")
    lines = issuing.signature_lines(plan, signer, on_behalf_of)
    return [*lines, "", signer.display_name] if signer is not None else lines


def _in_sentence(text: str) -> str:
    """A title as it reads inside a sentence: first letter lower-cased, abbreviations kept."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _within_group(source: FundingSource) -> str:
    """A source's title inside its group's parenthesis, without the group's name:
    "Ngân sách Trung ương - vốn đầu tư" reads "vốn đầu tư" after "NSTW …"."""
    with translation.override("vi"):
        group = str(FundingSource.Group(source.group).label)
    title = source.title_vi
    if title.casefold().startswith(group.casefold()):
        title = title[len(group) :].lstrip(" -–:")
    return _in_sentence(title)


def _money(value: Decimal) -> str:
    return f"{vn_number(value)} triệu đồng"


def funding_sentence(plan: Plan, sums: dict, sources: Sequence[FundingSource] | None = None) -> str:
    """Section III's opening sentence, with the same figures as the budget table: the total, then
    each source of the period that has money; the central group as "NSTW x (vốn đầu tư y, vốn sự
    nghiệp z)" when it has several sources, a source alone in a group by the group's abbreviation."""
    sources = list(sources) if sources is not None else selectors.plan_sources(plan)
    central = [s for s in sources if s.group == CENTRAL]
    parts: list[str] = []
    for source in sources:
        if source.group == CENTRAL and len(central) > 1:
            if source is central[0] and sums["central"]:
                inner = ", ".join(f"{_within_group(s)} {_money(sums[s.code])}" for s in central if sums[s.code])
                parts.append(f"{GROUP_ABBREVIATIONS[CENTRAL]} {_money(sums['central'])} ({inner})")
            continue
        if not sums[source.code]:
            continue  # seven sources, most of them often empty: the sentence names those with money
        alone = sum(1 for s in sources if s.group == source.group) == 1
        name = GROUP_ABBREVIATIONS.get(source.group) if alone else None
        parts.append(f"{name or _in_sentence(source.title_vi)} {_money(sums[source.code])}")
    total = f"Tổng kế hoạch vốn thực hiện Chương trình năm {plan.cycle.year} là {_money(sums['total'])}"
    return f"{total}, trong đó: {'; '.join(parts)}." if parts else f"{total}."


def share_sentence(sums: dict) -> str:
    """For a plan with money of its own and from the plans below: how the total splits
    ("kinh phí của đơn vị … / của cấp dưới …"); else ""."""
    own, below = sums.get("own"), sums.get("below")
    if not (own and below and own["total"] and below["total"]):
        return ""
    return f"Trong tổng số: kinh phí của đơn vị {_money(own['total'])}, kinh phí của cấp dưới {_money(below['total'])}."


def catalogue_sentence(sections: Sequence[CatalogueSection]) -> str:
    """In a dual-catalogue year, how the total splits between the catalogues; else ""."""
    if len(sections) < 2:
        return ""
    parts = "; ".join(f"{_in_sentence(s.label)} {_money(s.sums['total'])}" for s in sections)
    return f"Theo danh mục: {parts}."


# --- .xlsx -----------------------------------------------------------------------------------

XLSX_NUMBER_WIDTH, XLSX_CONTENT_WIDTH, XLSX_AMOUNT_WIDTH = 10, 58, 15
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_TOP = 6  # rows 1-4 carry the document's title block


def xlsx_font(**kwargs) -> Font:
    return Font(name=FONT_NAME, size=kwargs.pop("size", 12), **kwargs)


def budget_xlsx(plan: Plan) -> bytes:
    """The plan's budget table as an .xlsx, laid out like the annex of a printed plan: one
    column per source of the plan's period, the sums of ``selectors.plan_totals`` as numbers."""
    sources = selectors.plan_sources(plan)
    columns = budget_columns(sources)
    sums = selectors.plan_totals(plan)
    sections = catalogue_sections(plan, sums, sources=sources)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Kế hoạch vốn"
    last_column = get_column_letter(2 + len(columns))
    _xlsx_title_block(sheet, plan, last_column)
    first_data_row = _xlsx_header(sheet, HEADER_TOP, columns, content_label(sections))
    rows = budget_rows(plan, sums, sections, detail=line_detail(plan, sums, sources))
    for offset, row in enumerate(rows):
        _xlsx_budget_row(sheet, first_data_row + offset, row, columns)
    sheet.column_dimensions["A"].width = XLSX_NUMBER_WIDTH
    sheet.column_dimensions["B"].width = XLSX_CONTENT_WIDTH
    for index in range(len(columns)):
        sheet.column_dimensions[get_column_letter(3 + index)].width = XLSX_AMOUNT_WIDTH
    sheet.freeze_panes = f"C{first_data_row}"
    _xlsx_print_setup(sheet, f"{HEADER_TOP}:{first_data_row - 1}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_title_block(sheet: Worksheet, plan: Plan, last_column: str) -> None:
    body = issuing_body_lines(plan)
    reference = f"(Kèm theo {document_name(plan)} số {document_number(plan)})"
    lines = [
        (1, "\n".join(body), xlsx_font(bold=True), "A1:B1", "center"),
        (2, budget_title(plan), xlsx_font(bold=True, size=14), f"A2:{last_column}2", "center"),
        (3, reference, xlsx_font(italic=True), f"A3:{last_column}3", "center"),
        (4, UNIT_NOTE, xlsx_font(italic=True), f"A4:{last_column}4", "right"),
    ]
    for row, text, font, merged, horizontal in lines:
        cell = put(sheet, row, 1, text)
        cell.font = font
        cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        sheet.merge_cells(merged)
    sheet.row_dimensions[1].height = 16 * max(2, len(body))
    sheet.row_dimensions[2].height = 36


def group_spans(columns: Sequence[Column], first: int) -> list[tuple[int, int, str]]:
    """(first, last column index, heading) of each run of columns under one spanning header."""
    spans = []
    index = first
    for heading, run in itertools.groupby(columns, key=lambda c: c.group):
        count = len(list(run))
        if heading:
            spans.append((index, index + count - 1, heading))
        index += count
    return spans


def _xlsx_header(sheet: Worksheet, top: int, columns: Sequence[Column], content: str) -> int:
    """Two header rows (a group of sources spans its columns) and the column-number row;
    returns the next row."""
    bold = xlsx_font(bold=True)
    centered = Alignment(horizontal="center", vertical="center", wrap_text=True)
    put(sheet, top, 1, STT_LABEL)
    put(sheet, top, 2, content)
    put(sheet, top + 2, 1, "A")
    put(sheet, top + 2, 2, "B")
    for index, column in enumerate(columns, start=3):
        if column.group:
            put(sheet, top + 1, index, column.label)
        else:
            put(sheet, top, index, column.label)
        put(sheet, top + 2, index, column.formula)
    for index in range(1, 3 + len(columns)):
        for row in (top, top + 1, top + 2):
            cell = sheet.cell(row, index)
            cell.font = xlsx_font(italic=True, size=10) if row == top + 2 else bold
            cell.alignment, cell.border = centered, BOX
        if index < 3 or not columns[index - 3].group:
            sheet.merge_cells(start_row=top, start_column=index, end_row=top + 1, end_column=index)
    for start, end, heading in group_spans(columns, 3):
        put(sheet, top, start, heading)
        if end > start:
            sheet.merge_cells(start_row=top, start_column=start, end_row=top, end_column=end)
    sheet.row_dimensions[top + 1].height = 48
    return top + 3


def _xlsx_budget_row(sheet: Worksheet, row_number: int, row: BudgetRow, columns: Sequence[Column]) -> None:
    font = xlsx_font(bold=row.bold, italic=row.italic)
    values: list[tuple[object, str | None]] = [(row.number, "@"), (row.label, None)]
    values += [excel_amount(row.amounts[column.key]) for column in columns]
    for index, (value, number_format) in enumerate(values, start=1):
        cell = put(sheet, row_number, index, value)
        cell.font, cell.border = font, BOX
        cell.alignment = Alignment(horizontal="center" if index == 1 else None, vertical="center", wrap_text=index == 2)
        if number_format:
            cell.number_format = number_format


def _xlsx_print_setup(sheet: Worksheet, title_rows: str) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = title_rows
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5


# --- .docx -----------------------------------------------------------------------------------

# Decree 30/2020, appendix I: A4, margins top/bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
PAGE_MARGINS = {"top_margin": Cm(2), "bottom_margin": Cm(2), "left_margin": Cm(3), "right_margin": Cm(1.5)}
# The budget table's landscape pages are bound along their top edge: the portrait margins, turned.
LANDSCAPE_MARGINS = {"top_margin": Cm(3), "bottom_margin": Cm(1.5), "left_margin": Cm(2), "right_margin": Cm(2)}
A4_SHORT, A4_LONG = Cm(21), Cm(29.7)
HEADER_WIDTHS = (Cm(6), Cm(10.5))
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
ANNEX_LABEL = "PHỤ LỤC"
ANNEX_REFERENCE = "(Chi tiết kế hoạch vốn theo nội dung và nguồn vốn tại Phụ lục kèm theo.)"
LEFT, CENTER, RIGHT = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
INDICATOR_SIZE = 12
MIN_UNIT_CM, MAX_UNIT_CM = 2.2, 4.5

# The budget table: the largest font (pt) at which every amount fits its column on one line.
TABLE_FONT_SIZES = (10, 9.5, 9, 8.5, 8, 7.5, 7)
CELL_PADDING_CM = 0.1  # left and right, set on the table (Word's default is 0.19)
MIN_NUMBER_CM, MIN_AMOUNT_CM = 1.1, 1.5
MIN_CONTENT_CM, MAX_CONTENT_CM = 4.5, 11.0
# Advance widths in Times New Roman, in em: every digit is 0.5 (regular and bold alike), the
# separators a quarter, "=" and "+" 0.564; other characters (codes like "C1.02.01") are taken as wide as a capital.
ADVANCE_EM = {**dict.fromkeys("0123456789", 0.5), ".": 0.25, ",": 0.25, "-": 0.333, " ": 0.25, "=": 0.564, "+": 0.564}
WIDE_EM = 0.722
CM_PER_PT = 2.54 / 72


# Room for what the estimate leaves out (kerning, a renderer's rounding): 5 % and half a millimetre.
SLACK_FACTOR, SLACK_CM = 1.05, 0.05


def text_width_cm(text: str, size_pt: float) -> float:
    """The printed width of a one-line text in Times New Roman (an upper bound for letters)."""
    return sum(ADVANCE_EM.get(char, WIDE_EM) for char in text) * size_pt * CM_PER_PT


def cell_width_needed_cm(text: str, size_pt: float) -> float:
    """The narrowest column that keeps ``text`` on one line, padding and slack included."""
    return text_width_cm(text, size_pt) * SLACK_FACTOR + SLACK_CM + 2 * CELL_PADDING_CM


@dataclass(frozen=True)
class TableLayout:
    size: float  # font size of the body rows, pt
    widths: tuple[float, ...]  # cm: number, content, then each amount column


def budget_layout(rows: Sequence[BudgetRow], columns: Sequence[Column], usable_cm: float) -> TableLayout:
    """Column widths from the content, filling ``usable_cm``, that keep every amount on one
    line: the largest font of ``TABLE_FONT_SIZES`` at which each amount column holds its widest
    amount and its column number ("1=2+5+6") while the content column keeps at least
    ``MIN_CONTENT_CM``. The content column then takes what is left, up to ``MAX_CONTENT_CM``
    (fewer wrapped titles, fewer pages), and the amount columns share the rest. Beyond any real
    plan (amounts over a trillion VND at 7 pt) the amounts share what is left and their cells'
    ``noWrap`` still keeps each on one line."""
    count = len(columns)
    for size in TABLE_FONT_SIZES:
        number = max([MIN_NUMBER_CM, *(cell_width_needed_cm(r.number, size) for r in rows)])
        needs = [
            max(
                MIN_AMOUNT_CM,
                cell_width_needed_cm(column.formula, max(size - 1, 6)),
                *(cell_width_needed_cm(amount_text(r.amounts[column.key]), size) for r in rows),
            )
            for column in columns
        ]
        rest = usable_cm - number - sum(needs)
        if rest >= MIN_CONTENT_CM or size == TABLE_FONT_SIZES[-1]:
            if rest < MIN_CONTENT_CM:  # past the smallest font: the amounts share what is left
                content = MIN_CONTENT_CM
                amounts = [(usable_cm - number - content) / count] * count
            else:
                content = min(rest, MAX_CONTENT_CM)
                spare = (rest - content) / count
                amounts = [need + spare for need in needs]
            return TableLayout(size, (number, content, *amounts))
    raise AssertionError("unreachable")  # pragma: no cover


def plan_docx(plan: Plan, *, signer: User | None = None, on_behalf_of: User | None = None) -> bytes:
    """The plan as a Word document in the Decree 30/2020 layout, ready to be finished and signed.

    The plan's text, up to the signature, is portrait; section III states the money and refers to
    the budget table, which follows the signature as the plan's annex on landscape pages (one
    column per source of the period, the same rows as the .xlsx), as printed plans attach it.
    ``signer`` and ``on_behalf_of`` sign the block (``approvals.selectors.document_signer``
    finds them); without them the block has no name."""
    document = Document()
    _docx_page_and_styles(document)
    _docx_header(document, plan)
    _docx_title(document, plan)
    for basis in legal_bases(plan):
        _paragraph(document, basis, italic=True, indent=True)
    _docx_heading(document, "I. MỤC ĐÍCH, YÊU CẦU")
    for text in _lines(plan.purpose):
        _paragraph(document, text, indent=True)
    _docx_heading(document, f"II. MỤC TIÊU NĂM {plan.cycle.year}")
    for text in _lines(plan.objectives):
        _paragraph(document, text, indent=True)
    _docx_indicators(document, plan)
    _docx_heading(document, f"III. KẾ HOẠCH VỐN NĂM {plan.cycle.year}")
    sums = selectors.plan_totals(plan)
    sources = selectors.plan_sources(plan)
    sections = catalogue_sections(plan, sums, sources=sources)
    _paragraph(document, funding_sentence(plan, sums, sources), indent=True)
    if plan.no_money_statement.strip():
        _paragraph(document, plan.no_money_statement.strip(), indent=True)
    for sentence in (share_sentence(sums), catalogue_sentence(sections)):
        if sentence:
            _paragraph(document, sentence, indent=True)
    # The last paragraph goes with the closing block: no page holds a signature alone.
    _paragraph(document, ANNEX_REFERENCE, indent=True, keep_with_next=True)
    _docx_closing(document, plan, signature_block(plan, signer, on_behalf_of))
    # Word turns pages only at a section break: the annex is a landscape section of its own.
    _docx_landscape_section(document)
    _docx_annex_title(document, plan)
    rows = budget_rows(plan, sums, sections, detail=line_detail(plan, sums, sources))
    _docx_budget_table(document, rows, budget_columns(sources), content_label(sections))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


FONT_SLOTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
THEME_SLOTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _use_font(r_fonts) -> None:
    """Times New Roman in every slot of an ``rFonts`` element, theme fonts removed: Word picks
    the East Asian slot for some Vietnamese characters, and a theme font wins over a name."""
    for slot in THEME_SLOTS:
        if r_fonts.get(qn(slot)) is not None:
            del r_fonts.attrib[qn(slot)]
    for slot in FONT_SLOTS:
        r_fonts.set(qn(slot), FONT_NAME)


def _docx_page_and_styles(document: Document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = A4_SHORT, A4_LONG
    for name, value in PAGE_MARGINS.items():
        setattr(section, name, value)
    # The document's defaults, then every style that names a font of its own.
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        for r_fonts in defaults.iter(qn("w:rFonts")):
            _use_font(r_fonts)
    for r_fonts in styles.iter(qn("w:rFonts")):
        _use_font(r_fonts)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT_NAME, Pt(14)
    _use_font(normal.element.get_or_add_rPr().get_or_add_rFonts())
    normal.paragraph_format.space_before, normal.paragraph_format.space_after = Pt(0), Pt(6)
    normal.paragraph_format.line_spacing = 1.0


def _docx_landscape_section(document: Document) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = A4_LONG, A4_SHORT
    for name, value in LANDSCAPE_MARGINS.items():
        setattr(section, name, value)


def _docx_annex_title(document: Document, plan: Plan) -> None:
    """The annex's title, kept on the page where the table starts (keep with next)."""
    style = {"align": WD_ALIGN_PARAGRAPH.CENTER, "keep_with_next": True}
    _paragraph(document, ANNEX_LABEL, bold=True, space_after=0, **style)
    _paragraph(document, budget_title(plan).upper(), bold=True, space_after=0, **style)
    reference = f"(Kèm theo {document_name(plan)} số {document_number(plan)})"
    _paragraph(document, reference, italic=True, **style)


def usable_width_cm(document: Document) -> float:
    section = document.sections[-1]
    return Emu(section.page_width - section.left_margin - section.right_margin).cm


def _paragraph(
    container: Document | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = False,
    space_after: float | None = None,
    keep_with_next: bool = False,
) -> Paragraph:
    paragraph = container.add_paragraph()
    run = paragraph.add_run(xml_safe(text))  # stored text XML cannot hold never fails the file
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
    if space_after is not None:
        paragraph.paragraph_format.space_after = Pt(space_after)
    if keep_with_next:
        paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _cell_paragraph(cell: _Cell, text: str, **style) -> Paragraph:
    """Write into a table cell, reusing the empty paragraph every new cell starts with."""
    existing = cell.paragraphs[0]
    if not existing.text and len(cell.paragraphs) == 1 and not existing.runs:
        existing._element.getparent().remove(existing._element)
    return _paragraph(cell, text, **{"align": WD_ALIGN_PARAGRAPH.CENTER, "space_after": 0, **style})


def _table(document: Document, rows: int, widths: Sequence[Cm], *, grid: bool) -> Table:
    table = document.add_table(rows=rows, cols=len(widths))
    if grid:
        table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Word reads each cell's width, LibreOffice the grid's: set both.
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    return table


def _docx_header(document: Document, plan: Plan) -> None:
    """Issuing body and number top left, the national motto and the date top right, no borders
    and no cell padding (the motto fills its column in 13 pt)."""
    table = _table(document, 1, HEADER_WIDTHS, grid=False)
    _set_cell_padding(table, 0)
    left, right = table.rows[0].cells
    superior, body = issuing_body_parts(plan)
    if superior:
        _cell_paragraph(left, superior, size=13)
    for line in body:
        _cell_paragraph(left, line, bold=True, size=13)
    _cell_paragraph(left, "", size=6)
    _cell_paragraph(left, f"Số: {document_number(plan)}", size=13)
    _cell_paragraph(right, MOTTO[0], bold=True, size=13)
    _cell_paragraph(right, MOTTO[1], bold=True, size=14)
    _cell_paragraph(right, "", size=6)
    _cell_paragraph(right, date_line(plan), italic=True, size=14)


def _docx_title(document: Document, plan: Plan) -> None:
    _paragraph(document, "", space_after=0)
    name = document_name(plan).upper()
    _paragraph(document, name, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0, keep_with_next=True)
    _paragraph(document, plan_title(plan), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)


def _docx_heading(document: Document, text: str) -> None:
    _paragraph(document, text, bold=True, indent=True, keep_with_next=True)


def _fill_row(
    table: Table, index: int, texts: Sequence[str], aligns: Sequence[WD_ALIGN_PARAGRAPH], **style: object
) -> None:
    for cell, text, align in zip(table.rows[index].cells, texts, aligns, strict=True):
        _cell_paragraph(cell, text, align=align, **style)


def indicator_widths(texts: Sequence[Sequence[str]], usable_cm: float, size: float) -> tuple[float, ...]:
    """Widths of the indicators' table (STT, indicator, unit, value): STT, unit and value as
    wide as their longest word or value (a unit such as "triệu đồng/người/năm" breaks only at its
    spaces), the indicator's name takes the rest."""

    def widest(column: int, *, words: bool) -> float:
        tokens = [t for row in texts for t in (row[column].split() if words else [row[column]])]
        return max(cell_width_needed_cm(token, size) for token in tokens)

    number = max(MIN_NUMBER_CM, widest(0, words=False))
    unit = min(MAX_UNIT_CM, max(MIN_UNIT_CM, widest(2, words=True)))
    value = max(MIN_UNIT_CM, widest(3, words=False))
    return number, usable_cm - number - unit - value, unit, value


def _docx_indicators(document: Document, plan: Plan) -> None:
    indicators = list(plan.indicators.order_by("position"))
    if not indicators:
        return
    header = ["STT", "Chỉ tiêu", "Đơn vị tính", "Giá trị"]
    rows = []
    for index, indicator in enumerate(indicators, start=1):
        value = vn_number(indicator.value)
        if indicator.value_max is not None:
            value = f"{value} - {vn_number(indicator.value_max)}"
        rows.append([str(index), indicator.name, indicator.unit_of_measure, value])
    widths = indicator_widths([header, *rows], usable_width_cm(document), INDICATOR_SIZE)
    table = _table(document, 1 + len(rows), [Cm(w) for w in widths], grid=True)
    _set_cell_padding(table, CELL_PADDING_CM)
    _fill_row(table, 0, header, [CENTER] * 4, bold=True, size=INDICATOR_SIZE, keep_with_next=True)
    _repeat_as_header(table.rows[0])
    for index, texts in enumerate(rows, start=1):
        _fill_row(table, index, texts, [CENTER, LEFT, CENTER, RIGHT], size=INDICATOR_SIZE)
        _cant_split(table.rows[index])
    _paragraph(document, "", space_after=0)


def _docx_budget_table(document: Document, rows: list[BudgetRow], columns: Sequence[Column], content: str) -> None:
    """The same table as the .xlsx: two header rows (a group of sources spans its columns), the
    column-number row, then the rows; sized so that every amount stays on one line. The header
    rows repeat on every page, no row splits across pages, and the table's title and unit note
    stay with its first rows."""
    _paragraph(document, UNIT_NOTE, italic=True, size=12, align=RIGHT, space_after=0, keep_with_next=True)
    layout = budget_layout(rows, columns, usable_width_cm(document))
    table = _table(document, 3 + len(rows), [Cm(w) for w in layout.widths], grid=True)
    _set_cell_padding(table, CELL_PADDING_CM)
    _docx_budget_header(table, columns, content, layout.size)
    aligns = (CENTER, LEFT, *[RIGHT] * len(columns))
    for index, row in enumerate(rows, start=3):
        amounts = [amount_text(row.amounts[c.key]) for c in columns]
        texts = [row.number, row.label, *amounts]
        _fill_row(table, index, texts, aligns, bold=row.bold, italic=row.italic, size=layout.size)
        for cell in table.rows[index].cells[2:]:
            _no_wrap(cell)
    for index, row in enumerate(table.rows):
        _cant_split(row)
        if index < 3:
            _repeat_as_header(row)
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True


def _docx_budget_header(table: Table, columns: Sequence[Column], content: str, size: float) -> None:
    """Merge first, then write each merged cell once (merging concatenates the cells' paragraphs)."""
    header = {0: STT_LABEL, 1: content}
    header |= {i: c.label for i, c in enumerate(columns, start=2) if not c.group}
    for column, text in header.items():
        _cell_paragraph(table.cell(0, column).merge(table.cell(1, column)), text, bold=True, size=size)
    for start, end, heading in group_spans(columns, 2):
        _cell_paragraph(table.cell(0, start).merge(table.cell(0, end)), heading, bold=True, size=size)
    for column, spec in enumerate(columns, start=2):
        if spec.group:
            _cell_paragraph(table.cell(1, column), spec.label, bold=True, size=size)
    numbers = ["A", "B", *[c.formula for c in columns]]
    _fill_row(table, 2, numbers, [CENTER] * len(numbers), size=max(size - 1, 6))


def _set_cell_padding(table: Table, cm: float) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(round(cm * 567)))  # twentieths of a point: 567 per cm
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def _no_wrap(cell: _Cell) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    if tc_pr.find(qn("w:noWrap")) is None:
        successors = ("w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers")
        tc_pr.insert_element_before(OxmlElement("w:noWrap"), *successors, "w:cellIns", "w:cellDel", "w:cellMerge")


# The children of ``w:trPr`` in schema order (CT_TrPr is a sequence in Word's reading).
TR_PR_ORDER = (
    "w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter", "w:cantSplit",
    "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange",
)  # fmt: skip


def _row_property(row, tag: str) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn(tag)) is None:
        tr_pr.insert_element_before(OxmlElement(tag), *TR_PR_ORDER[TR_PR_ORDER.index(tag) + 1 :])


def _repeat_as_header(row) -> None:
    """Repeat the header rows at the top of every page the table runs onto."""
    _row_property(row, "w:tblHeader")


def _cant_split(row) -> None:
    """Keep a row on one page: a row's label never continues on the next page."""
    _row_property(row, "w:cantSplit")


def _docx_closing(document: Document, plan: Plan, signature: list[str]) -> None:
    """ "Nơi nhận:" bottom left (the plan's own list, else the one its route implies), the
    signature block bottom right, side by side without borders, kept on one page."""
    _paragraph(document, "", space_after=0, keep_with_next=True)
    table = _table(document, 1, HEADER_WIDTHS, grid=False)
    _cant_split(table.rows[0])
    left, right = table.rows[0].cells
    _cell_paragraph(left, "Nơi nhận:", bold=True, italic=True, size=12, align=LEFT)
    for recipient in recipients(plan):
        _cell_paragraph(left, f"- {recipient}", size=11, align=LEFT)
    # A blank line is the room for the signature and the seal; a draft without a signer needs it too.
    for line in signature if "" in signature else [*signature, ""]:
        for _ in range(1 if line else SIGNATURE_ROOM_LINES):
            _cell_paragraph(right, line, bold=True, size=14)

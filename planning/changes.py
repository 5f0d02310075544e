"""What changed between two rounds of a plan, in the officer's words (task page, history).

``planning.diff`` answers in the snapshot's terms (``legal_bases``, ``central_investment``,
"45500.000"); here each change names what the plan pages name: the field by its label
("Căn cứ"), a line by its catalogue item ("C1.02.01. Cứng hóa …"), an amount by its source's
column header and in the page's notation without trailing zeros ("NSTW - ĐTPT 45.500 → 40.000"),
and each row points at the section of the plan page it is about.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import formats
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from directory.models import Tier
from planning import diff as plan_diff
from planning import selectors
from planning.models import BudgetLine, CatalogueItem, FundingSource, Household, Indicator, LocalLabel, Plan, PlanRound

# Where each part of the plan is on the plan page (templates/planning/plan_detail.html ids).
ANCHORS = {
    "legal_bases": "legal-bases",
    "purpose": "purpose",
    "objectives": "objectives",
    "recipients": "recipients",
    "indicators": "objectives",  # the indicators table is in section II
    "lines": "budget",
    "totals": "budget",
    "households": "households",
}
# Header fields printed one entry a line: a change says which entries came and went.
LIST_FIELDS = ("legal_bases", "recipients")
SHORT_FIELDS = ("issuing_body", "number_symbol", "place", "issued_on")
LINE_TEXTS = ("content", "lead_agency", "coordinating_agencies", "beneficiaries")
INDICATOR_FIELDS = {
    "code": "code",
    "criterion": "criterion",
    "unit": "unit_of_measure",
    "kind": "kind",
    "value": "value",
    "value_max": "value_max",
    "baseline": "baseline",
}
HOUSEHOLD_FIELDS = ("head_name", "cause", "planned_support", "responsible_organisation")
QUOTE_CHARS = 140


def amount_text(value: Any) -> str:
    """An amount as the pages print it: "45.500", "13.200,5", "0" (no trailing zeros)."""
    try:
        number = Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return str(value)
    return formats.number_format(number.normalize() if number else Decimal("0"), use_l10n=True, force_grouping=True)


def _quoted(text: Any) -> str:
    return "“" + Truncator(str(text).strip()).chars(QUOTE_CHARS) + "”"


def _blank() -> str:
    return _("(trống)")


def _text_change(label: str, old: Any, new: Any) -> Detail:
    """A changed text: “old” → “new”, a blank side as "(trống)"."""
    old, new = str(old or ""), str(new or "")
    return Detail(label, _quoted(old) if old else _blank(), _quoted(new) if new else _blank())


def _label(model: type, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


@dataclass
class Detail:
    """One changed value: "NSTW - SN 1.450,5 → 1.500", "thêm “Căn cứ …”"."""

    label: str
    old: str | None = None
    new: str | None = None

    @property
    def text(self) -> str:
        values = " → ".join(v for v in (self.old, self.new) if v is not None)
        return f"{self.label} {values}".strip()


@dataclass
class Change:
    """One row of the change list: what happened to which part of the plan."""

    kind: str  # added, removed, changed
    part: str  # header, indicator, line, household, total
    subject: str
    anchor: str = ""
    note: str = ""
    title: str = ""  # the subject in full when ``subject`` is shortened
    details: list[Detail] = field(default_factory=list)

    @property
    def heading(self) -> str:
        words = {
            ("header", "changed"): _("Sửa"),
            ("line", "added"): _("Thêm dòng"),
            ("line", "removed"): _("Bỏ dòng"),
            ("line", "changed"): _("Sửa dòng"),
            ("indicator", "added"): _("Thêm chỉ tiêu"),
            ("indicator", "removed"): _("Bỏ chỉ tiêu"),
            ("indicator", "changed"): _("Sửa chỉ tiêu"),
            ("household", "added"): _("Thêm hộ"),
            ("household", "removed"): _("Bỏ hộ"),
            ("household", "changed"): _("Sửa thông tin hộ"),
            ("total", "changed"): _("Thay đổi"),
        }
        return words.get((self.part, self.kind), "")


class _Words:
    """The labels of one plan's period: sources, catalogue items (with a province's own labels)."""

    def __init__(self, plan: Plan, diffs: list[dict[str, Any]], codes: tuple[str, ...] = ()) -> None:
        self.plan = plan
        self.sources: list[FundingSource] = selectors.plan_sources(plan)
        self.source_labels = {s.code: capfirst(s.short) for s in self.sources}
        period = plan.cycle.period.code
        keys = {
            (line.get("catalogue") or period, line["item"])
            for d in diffs
            for kind in ("added", "removed", "changed")
            for line in d["lines"][kind]
        }
        self.items = self._items(keys | {(period, code) for code in codes})

    def _items(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Two queries: the items named, and the province's own labels of them."""
        if not keys:
            return {}
        items = CatalogueItem.objects.filter(
            period__code__in={k[0] for k in keys}, code__in={k[1] for k in keys}
        ).select_related("period")
        province = self.plan.unit if self.plan.unit.tier == Tier.PROVINCE else self.plan.province
        local = {}
        if province is not None:
            local = {
                label.item_id: label
                for label in LocalLabel.objects.filter(province=province, item__in=[i.pk for i in items])
            }
        out = {}
        for item in items:
            label = local.get(item.pk)
            if label is not None:
                out[(item.period.code, item.code)] = _("%(local)s. %(title)s (mã quốc gia %(code)s)") % {
                    "local": label.local_code,
                    "title": label.local_title or item.title,
                    "code": item.code,
                }
            else:
                out[(item.period.code, item.code)] = str(item)
        return out

    def item(self, catalogue: str | None, code: str) -> str:
        """ "C1.02.01. Cứng hóa …" (the code alone for an item the catalogue no longer has)."""
        return self.items.get((catalogue or self.plan.cycle.period.code, code), code)

    def source(self, code: str) -> str:
        if code == "total":
            return _("Tổng cộng")
        if code == "central":
            return _("Ngân sách trung ương")
        return self.source_labels.get(code, code)

    def source_order(self, codes: set[str]) -> list[str]:
        ordered = [s.code for s in self.sources if s.code in codes]
        return ordered + sorted(codes - set(ordered))


def _header_changes(header: dict[str, dict[str, Any]]) -> list[Change]:
    order = [f for f in (*SHORT_FIELDS, "legal_bases", "purpose", "objectives", "recipients") if f in header]
    order += sorted(set(header) - set(order))
    rows = []
    for name in order:
        old, new = header[name].get("old") or "", header[name].get("new") or ""
        try:
            label = _label(Plan, name)
        except FieldDoesNotExist:  # a field of an older round the model no longer has
            label = name
        row = Change("changed", "header", label, anchor=ANCHORS.get(name, ""))
        if name == "issued_on":
            row.details = [Detail("", _date(old) or _blank(), _date(new) or _blank())]
        elif name in SHORT_FIELDS:
            row.details = [_text_change("", old, new)]
        elif name in LIST_FIELDS:
            before, after = _entries(old), _entries(new)
            row.details = [Detail(_("thêm"), new=_quoted(e)) for e in after if e not in before]
            row.details += [Detail(_("bỏ"), old=_quoted(e)) for e in before if e not in after]
            if not row.details:  # the same entries in another order
                row.details = [Detail(_("đổi thứ tự"))]
        elif not old:
            row.details = [Detail(_("viết mới"), new=_quoted(new))]
        elif not new:
            row.details = [Detail(_("xóa nội dung"), old=_quoted(old))]
        else:
            row.details = [Detail("", _quoted(old), _quoted(new))]
        rows.append(row)
    return rows


def _entries(text: str) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def _date(value: str) -> str:
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def _subject(words: _Words, catalogue: str | None, code: str) -> tuple[str, str]:
    full = words.item(catalogue, code)
    short = Truncator(full).chars(90)
    return short, full if short != full else ""


def _line_amounts(words: _Words, line: dict[str, Any], side: str) -> list[Detail]:
    codes = {k for k in line if k in words.source_labels and line[k] not in (None, "")}
    details = []
    total = Decimal("0")
    for code in words.source_order(codes):
        amount = Decimal(str(line[code]))
        if not amount:
            continue
        total += amount
        details.append(Detail(words.source(code), **{side: amount_text(amount)}))
    if len(details) > 1:
        details.append(Detail(_("cộng"), **{side: amount_text(total)}))
    return details


def _line_rows(words: _Words, lines: dict[str, list[dict[str, Any]]]) -> list[Change]:
    rows = []
    for change in lines["changed"]:
        changes = change["changes"]
        subject, title = _subject(words, change.get("catalogue"), change["item"])
        row = Change("changed", "line", subject, anchor=ANCHORS["lines"], title=title)
        content = change.get("content") or ""
        if content and "content" not in changes and content not in subject:
            row.note = _quoted(content)
        for name in LINE_TEXTS:
            if name in changes:
                row.details.append(
                    _text_change(_label(BudgetLine, name), changes[name].get("old"), changes[name].get("new"))
                )
        if "catalogue" in changes and changes["catalogue"].get("old"):
            row.details.append(
                Detail(_("Danh mục giai đoạn"), changes["catalogue"]["old"], changes["catalogue"].get("new") or "")
            )
        amounts = {k for k in changes if k in words.source_labels}
        for code in words.source_order(amounts):
            row.details.append(
                Detail(words.source(code), amount_text(changes[code].get("old")), amount_text(changes[code].get("new")))
            )
        rows.append(row)
    for kind, side in (("added", "new"), ("removed", "old")):
        for line in lines[kind]:
            subject, title = _subject(words, line.get("catalogue"), line["item"])
            row = Change(kind, "line", subject, anchor=ANCHORS["lines"], title=title)
            content = line.get("content") or ""
            if content and content not in subject:
                row.note = _quoted(content)
            row.details = _line_amounts(words, line, side) or [Detail(_("chưa có số tiền"))]
            rows.append(row)
    return rows


def _number(value: Any) -> str:
    return "" if value in (None, "") else amount_text(value)


def _indicator_value(row: dict[str, Any]) -> str:
    value = _number(row.get("value"))
    if row.get("value_max") not in (None, ""):
        value = f"{value} – {_number(row['value_max'])}"
    unit = row.get("unit") or ""
    return f"{value} {unit}".strip()


def _indicator_field(name: str, value: Any) -> str:
    if value in (None, ""):
        return _blank()
    if name in ("value", "value_max", "baseline"):
        return _number(value)
    if name == "kind":
        return str(Indicator.Kind(value).label) if value in Indicator.Kind.values else str(value)
    return str(value)


def _indicator_rows(indicators: dict[str, list[dict[str, Any]]]) -> list[Change]:
    rows = []
    for change in indicators["changed"]:
        row = Change("changed", "indicator", _quoted(change["name"]), anchor=ANCHORS["indicators"])
        for name, model_field in INDICATOR_FIELDS.items():
            if name in change["changes"]:
                old, new = change["changes"][name].get("old"), change["changes"][name].get("new")
                row.details.append(
                    Detail(_label(Indicator, model_field), _indicator_field(name, old), _indicator_field(name, new))
                )
        rows.append(row)
    for kind, side in (("added", "new"), ("removed", "old")):
        for indicator in indicators[kind]:
            row = Change(kind, "indicator", _quoted(indicator["name"]), anchor=ANCHORS["indicators"])
            row.details = [Detail(_label(Indicator, "value"), **{side: _indicator_value(indicator)})]
            rows.append(row)
    return rows


def _household_rows(households: dict[str, list[dict[str, Any]]]) -> list[Change]:
    rows = []
    for change in households["changed"]:
        row = Change("changed", "household", str(change["code"]), anchor=ANCHORS["households"])
        for name in HOUSEHOLD_FIELDS:
            if name in change["changes"]:
                values = change["changes"][name]
                row.details.append(_text_change(_label(Household, name), values.get("old"), values.get("new")))
        rows.append(row)
    for kind in ("added", "removed"):
        for household in households[kind]:
            subject = f"{household['code']} — {household.get('head_name') or ''}".strip(" —")
            rows.append(Change(kind, "household", subject, anchor=ANCHORS["households"]))
    return rows


def _total_row(words: _Words, totals: dict[str, dict[str, Any]]) -> list[Change]:
    codes = {k for k in totals if k in words.source_labels}
    shown = [*words.source_order(codes), *(["total"] if "total" in totals else [])]
    if not shown:
        return []
    row = Change("changed", "total", _("Tổng kinh phí (triệu đồng)"), anchor=ANCHORS["totals"])
    row.details = [
        Detail(words.source(code), amount_text(totals[code].get("old")), amount_text(totals[code].get("new")))
        for code in shown
    ]
    return [row]


def readable(diff: dict[str, Any], *, plan: Plan, words: _Words | None = None) -> list[Change]:
    """A ``planning.diff.snapshot_diff`` in words, in the plan's order: the document's header and
    sections, the indicators, the budget lines, the households, then the totals."""
    words = words or _Words(plan, [diff])
    return [
        *_header_changes(diff["header"]),
        *_indicator_rows(diff["indicators"]),
        *_line_rows(words, diff["lines"]),
        *_household_rows(diff["households"]),
        *_total_row(words, diff.get("totals", {})),
    ]


def since_last_round(plan: Plan) -> tuple[int | None, list[Change] | None]:
    """What changed since the last frozen round: for a plan being edited, the draft against the
    round last submitted; otherwise that round against the one before. (None, None) when there
    is nothing to compare."""
    from planning import services  # services imports this app's selectors; keep the import local

    rounds = list(selectors.rounds_of(plan))
    if not rounds:
        return None, None
    current = rounds[-1]
    if plan.is_editable:
        return current.number, readable(plan_diff.snapshot_diff(current.snapshot, services.snapshot(plan)), plan=plan)
    if len(rounds) < 2:
        return None, None
    previous = rounds[-2]
    return previous.number, readable(plan_diff.snapshot_diff(previous.snapshot, current.snapshot), plan=plan)


@dataclass
class RoundChanges:
    round: PlanRound
    since: int
    changes: list[Change]


def round_history(plan: Plan) -> list[RoundChanges]:
    """Every round after the first with what changed since the round before it."""
    rounds = list(selectors.rounds_of(plan))
    pairs = list(itertools.pairwise(rounds))
    diffs = [plan_diff.snapshot_diff(a.snapshot, b.snapshot) for a, b in pairs]
    if not diffs:
        return []
    words = _Words(plan, diffs)
    return [
        RoundChanges(round=b, since=a.number, changes=readable(d, plan=plan, words=words))
        for (a, b), d in zip(pairs, diffs, strict=True)
    ]


def line_comments(plan: Plan, comments: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A return's line comments (``{"line": item code or line number, "comment"}``) with the line
    named by its catalogue item ("C1.02.01. Cứng hóa …") where the reference is an item code."""
    words = _Words(plan, [], codes=tuple(str(c.get("line", "")) for c in comments))
    return [
        {
            "line": words.item(None, str(c.get("line", ""))) or _("(cả kế hoạch)"),
            "comment": str(c.get("comment", "")),
            "anchor": ANCHORS["lines"],
        }
        for c in comments
    ]

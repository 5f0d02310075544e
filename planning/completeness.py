"""What a plan still lacks before its unit may submit it (``planning/data/completeness.json``).

The rules are data per plan type and level: the sections that must be written, at least one
budget line with money (for a parent plan, its own or one counted below it, as
``selectors.plan_totals`` counts them; or the plan's statement that the unit has no programme
money this year), the least number of indicators and of households. ``missing(plan)`` lists
what a plan lacks, in document order, as JSON-ready items; ``workflows.services`` refuses a
submission while the list is not empty, and the task page shows it before the officer clicks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import IntegerField, Subquery
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import Tier
from planning import selectors
from planning.models import Plan, PlanType

RULES_PATH = Path(__file__).resolve().parent / "data" / "completeness.json"
TIERS = ("commune", "district", "province")
BUDGET_RULES = ("line", "line_or_statement")


@dataclass(frozen=True)
class Rule:
    """What a plan of one type at one level must contain."""

    sections: tuple[str, ...]
    budget: str | None
    indicators: int
    households: int
    basis: str
    verified: bool


def rules_problems(data: dict[str, Any]) -> list[str]:
    """What is wrong with a rules document: an unknown plan type, level, section or budget rule."""
    problems = []
    for plan_type, spec in data.get("plan_types", {}).items():
        if plan_type not in PlanType.values:
            problems.append(f"unknown plan type {plan_type!r}")
        for tier, rule in spec.get("levels", {}).items():
            where = f"{plan_type}/{tier}"
            if tier not in TIERS:
                problems.append(f"{where}: unknown level")
            for name in rule.get("sections", []):
                if not _is_text_field(name):
                    problems.append(f"{where}: {name!r} is not a text field of a plan")
            if rule.get("budget") not in (None, *BUDGET_RULES):
                problems.append(f"{where}: budget must be one of {BUDGET_RULES} or null")
            for count in ("indicators", "households"):
                if not isinstance(rule.get(count, 0), int) or rule.get(count, 0) < 0:
                    problems.append(f"{where}: {count} must be a count")
    return problems


def _is_text_field(name: str) -> bool:
    try:
        field = Plan._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return field.get_internal_type() in ("CharField", "TextField")


@cache
def _data() -> dict[str, Any]:
    data = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    problems = rules_problems(data)
    if problems:
        raise ImproperlyConfigured(f"{RULES_PATH}: " + "; ".join(problems))
    return data


def rule_for(plan_type: str, tier: str) -> Rule | None:
    """The rule of a plan type at a level, or None when that level has none."""
    spec = _data()["plan_types"].get(plan_type, {})
    raw = spec.get("levels", {}).get(tier)
    if raw is None:
        return None
    return Rule(
        sections=tuple(raw.get("sections", ())),
        budget=raw.get("budget"),
        indicators=raw.get("indicators", 0),
        households=raw.get("households", 0),
        basis=spec.get("basis", ""),
        verified=spec.get("verified", False),
    )


def no_money_field() -> str | None:
    """The Plan field where a unit states it has no programme money this year, if the model has it."""
    name = _data().get("no_money_field") or ""
    return name if name and _is_text_field(name) else None


def field_label(name: str) -> str:
    """A plan field as the editor labels it ("Căn cứ", "Mục đích, yêu cầu")."""
    return capfirst(str(Plan._meta.get_field(name).verbose_name))


def _item(rule: str, field: str, label: str, message: str) -> dict[str, str]:
    return {"rule": rule, "field": field, "label": label, "message": message}


def missing(plan: Plan) -> list[dict[str, str]]:
    """What the plan lacks by the rule of its type and level, in document order (empty: complete).

    Each item: ``{"rule": "section" | "budget" | "budget_statement" | "indicators" |
    "households", "field": the Plan field or list ("lines", "indicators", "households"),
    "label": its name on the editor, "message": a sentence for the officer}``."""
    rule = rule_for(plan.plan_type, plan.unit.tier)
    if rule is None:
        return []
    out = []
    for name in rule.sections:
        if not str(getattr(plan, name, "") or "").strip():
            label = field_label(name)
            out.append(_item("section", name, label, _("Chưa soạn “%(section)s”.") % {"section": label}))
    counts = _counts(plan, rule)
    if rule.indicators:
        count = counts["indicators"]
        if count < rule.indicators:
            out.append(
                _item("indicators", "indicators", _("Chỉ tiêu"), _count_message(count, rule.indicators, "indicators"))
            )
    if rule.budget:
        out += _budget_missing(plan, rule.budget, has_money=bool(counts["money"]))
    if rule.households:
        count = counts["households"]
        if count < rule.households:
            out.append(
                _item(
                    "households",
                    "households",
                    _("Danh sách hộ"),
                    _count_message(count, rule.households, "households"),
                )
            )
    return out


class _Count(Subquery):
    """The number of rows of a queryset, as a column (0, not NULL, when there are none)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()


def _counts(plan: Plan, rule: Rule) -> dict[str, int]:
    """What the rule counts, in one statement: the plan's indicators and households, and
    whether it has money (1 or 0), its own or counted below it (``selectors.subtree_amounts``)."""
    wanted: dict[str, Any] = {}
    if rule.indicators:
        wanted["indicators"] = _Count(plan.indicators.order_by().values("pk"))
    if rule.households:
        wanted["households"] = _Count(plan.households.order_by().values("pk"))
    if rule.budget:
        # A parent plan's money is its own lines and those counted below it (selectors.plan_totals):
        # a province that only consolidates its districts has money without a line of its own.
        wanted["money"] = _Count(selectors.subtree_amounts(plan).order_by().values("pk")[:1])
    if not wanted:
        return {}
    # Named apart from the plan's relations (an annotation may not reuse "indicators").
    row = Plan.objects.filter(pk=plan.pk).values(**{f"n_{name}": value for name, value in wanted.items()}).get()
    return {name: row[f"n_{name}"] for name in wanted}


def _count_message(count: int, least: int, kind: str) -> str:
    if kind == "indicators":
        if count == 0:
            return _("Chưa có chỉ tiêu nào.")
        return ngettext(
            "Cần ít nhất %(least)d chỉ tiêu (mới có %(count)d).",
            "Cần ít nhất %(least)d chỉ tiêu (mới có %(count)d).",
            least,
        ) % {"least": least, "count": count}
    if count == 0:
        return _("Chưa có hộ nào trong danh sách hộ.")
    return ngettext(
        "Danh sách cần ít nhất %(least)d hộ (mới có %(count)d).",
        "Danh sách cần ít nhất %(least)d hộ (mới có %(count)d).",
        least,
    ) % {"least": least, "count": count}


def _budget_missing(plan: Plan, budget: str, *, has_money: bool) -> list[dict[str, str]]:
    statement_field = no_money_field() if budget == "line_or_statement" else None
    statement = str(getattr(plan, statement_field, "") or "").strip() if statement_field else ""
    if has_money and statement:
        label = field_label(statement_field)
        return [
            _item(
                "budget_statement",
                statement_field,
                label,
                _("Kế hoạch có dòng kinh phí nhưng lại ghi “%(label)s”: hãy bỏ một trong hai.") % {"label": label},
            )
        ]
    if has_money or statement:
        return []
    if plan.unit.tier == Tier.COMMUNE:
        message = _("Chưa có dòng kinh phí nào có số tiền.")
    else:
        message = _("Chưa có dòng kinh phí nào có số tiền, của đơn vị hay của cấp dưới.")
    if statement_field:
        message += " " + _("Nếu năm nay đơn vị không được bố trí kinh phí Chương trình, hãy ghi rõ ở “%(label)s”.") % {
            "label": field_label(statement_field)
        }
    return [_item("budget", "lines", _("Kinh phí"), message)]


def summary(items: list[dict[str, str]]) -> str:
    """One sentence naming what is missing, for the refusal's ``detail``."""
    return _("Kế hoạch chưa đủ nội dung để trình, còn thiếu: %(parts)s.") % {
        "parts": "; ".join(item["label"] for item in items)
    }

"""Writes to plan documents. Keyword-only, one transaction each, the plan row locked.

Validation errors are ``django.core.exceptions.ValidationError`` with a dict naming the field;
for lists, ``config.errors.StructuredValidationError`` (a subclass) whose ``detail`` names the row
too: ``{"lines": {3: {"local": [...]}}}`` (0-based). Nothing is saved when one is raised.
Status changes are not here: they belong to ``approvals.services``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from config import bulk
from config.errors import Conflict, StructuredValidationError
from config.text import as_text, model_text, text_error
from directory.models import AdministrativeUnit, Agency, AgencyKind, Role, Tier, User
from directory.services import unit_label
from planning import selectors
from planning.models import (
    AMOUNT_MAX,
    BudgetLine,
    CatalogueItem,
    Cycle,
    Envelope,
    EnvelopeCeiling,
    FundingSource,
    Household,
    Indicator,
    LineAmount,
    LocalLabel,
    Plan,
    PlanRound,
    PlanType,
    ProgrammePeriod,
    RuralCriterion,
    RuralIndicator,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
HEADER_FIELDS = (
    "issuing_body",
    "number_symbol",
    "place",
    "issued_on",
    "legal_bases",
    "purpose",
    "objectives",
    "recipients",
    "no_money_statement",
)
LINE_TEXT_FIELDS = ("content", "lead_agency", "coordinating_agencies", "beneficiaries")
HOUSEHOLD_FIELDS = ("code", "head_name", "cause", "planned_support", "responsible_organisation")
MULTILINE_LINE_FIELDS = ("content", "beneficiaries")  # the TextFields of BudgetLine


# --- catalogue and cycles -------------------------------------------------------------------


@transaction.atomic
def catalogue_load(*, path: Path) -> ProgrammePeriod:
    """Load one period's catalogue file (``planning/data/catalogue-<period>.json``): the
    period, its funding sources and its items. Idempotent; a source or item missing from the
    file is left in place (plans of the past refer to it)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    first, last = (int(y) for y in data["period"].split("-"))
    owner = data.get("owner", {})
    period, _created = ProgrammePeriod.objects.update_or_create(
        code=data["period"],
        defaults={
            "title_vi": data["title_vi"],
            "title_en": data.get("title_en", ""),
            "legal_basis": data.get("legal_basis", ""),
            "first_year": first,
            "last_year": last,
            "owner_vi": owner.get("title_vi", ""),
            "owner_en": owner.get("title_en", ""),
        },
    )
    if not data.get("sources"):
        raise ValidationError({"sources": f"{path.name}: a period needs its funding sources."})
    for position, row in enumerate(data["sources"]):
        if row["code"] in selectors.DERIVED_KEYS:
            raise ValidationError({"sources": f"{path.name}: “{row['code']}” is reserved for a subtotal."})
        FundingSource.objects.update_or_create(
            period=period,
            code=row["code"],
            defaults={
                "title_vi": row["title_vi"],
                "title_en": row.get("title_en", ""),
                "short_vi": row.get("short_vi", ""),
                "short_en": row.get("short_en", ""),
                "group": row["group"],
                "position": position,
            },
        )
    items: dict[str, CatalogueItem] = {}
    for position, row in enumerate(data["items"]):
        item, _created = CatalogueItem.objects.update_or_create(
            period=period,
            code=row["code"],
            defaults={
                "parent": items[row["parent"]] if row["parent"] else None,
                "title_vi": row["title_vi"],
                "title_en": row.get("title_en", ""),
                "lead_agency_kind": row["lead_agency_kind"],
                "budgetable": row["budgetable"],
                "kind": row.get("kind") or ("sub_project" if row["parent"] else "project"),
                "lead_ministries": row.get("lead_ministries", []),
                "levels": row.get("levels", []),
                "verified": row.get("verified", True),
                "position": position,
            },
        )
        items[row["code"]] = item
    return period


@transaction.atomic
def criteria_load(*, path: Path) -> int:
    """Load a period's national rural criteria (``rural-criteria-<period>.json``); returns how
    many indicators. Idempotent. The period's catalogue must be loaded first."""
    data = json.loads(path.read_text(encoding="utf-8"))
    period = ProgrammePeriod.objects.get(code=data["period"])
    count = 0
    for position, row in enumerate(data["criteria"]):
        criterion, _created = RuralCriterion.objects.update_or_create(
            period=period,
            code=row["code"],
            defaults={"title_vi": row["title_vi"], "title_en": row.get("title_en", ""), "position": position},
        )
        for index, ind in enumerate(row["indicators"]):
            RuralIndicator.objects.update_or_create(
                criterion=criterion,
                code=ind["code"],
                defaults={
                    "title_vi": ind["title_vi"],
                    "title_en": ind.get("title_en", ""),
                    "unit_of_measure": ind.get("unit", ""),
                    "kind": ind.get("kind", ""),
                    "targets": ind.get("targets", {}),
                    "verified": ind.get("verified", True),
                    "position": index,
                },
            )
            count += 1
    return count


def catalogue_load_all() -> list[ProgrammePeriod]:
    """Every period's catalogue, then every period's rural criteria."""
    periods = [catalogue_load(path=path) for path in sorted(DATA_DIR.glob("catalogue-*.json"))]
    for path in sorted(DATA_DIR.glob("rural-criteria-*.json")):
        criteria_load(path=path)
    return periods


@transaction.atomic
def local_labels_load(*, path: Path) -> int:
    """Load a province's own numbering of a period's catalogue (``local-labels-*.json``).

    Replaces the province's labels for that period; returns how many were loaded, 0 when the
    province is not in the database. Labels name national codes: a province's subset is the
    labelled items."""
    data = json.loads(path.read_text(encoding="utf-8"))
    province = AdministrativeUnit.objects.filter(structure=data["structure"], code=data["province"]).first()
    if province is None:
        return 0
    items = {i.code: i for i in CatalogueItem.objects.filter(period__code=data["period"])}
    unknown = [row["item"] for row in data["labels"] if row["item"] not in items]
    if unknown:
        raise ValidationError({"labels": f"{path.name}: unknown national codes {unknown}"})
    LocalLabel.objects.filter(province=province, item__period__code=data["period"]).delete()
    LocalLabel.objects.bulk_create(
        LocalLabel(
            province=province,
            item=items[row["item"]],
            local_code=row["local_code"],
            local_title=row.get("local_title", ""),
        )
        for row in data["labels"]
    )
    return len(data["labels"])


def local_labels_load_all() -> int:
    return sum(local_labels_load(path=path) for path in sorted(DATA_DIR.glob("local-labels-*.json")))


def cycle_period(year: int) -> ProgrammePeriod:
    """The period a cycle of ``year`` belongs to; ValidationError when there is none or it has
    no catalogue or sources yet (a cycle whose plans could never take a line)."""
    period = ProgrammePeriod.objects.filter(first_year__lte=year, last_year__gte=year).first()
    if period is None:
        raise ValidationError({"year": _("Năm %(year)s không thuộc giai đoạn chương trình nào.") % {"year": year}})
    if not period.items.filter(budgetable=True).exists() or not period.sources.exists():
        raise ValidationError(
            {
                "year": _(
                    "Giai đoạn %(period)s chưa có danh mục nội dung và nguồn vốn: chưa thể mở chu kỳ năm %(year)s."
                )
                % {"period": period.code, "year": year}
            }
        )
    return period


@transaction.atomic
def cycle_ensure(*, year: int, structure: str, plan_types: list[str] | None = None) -> Cycle:
    """Open (or update) the cycle of ``year`` in ``structure``; refused when its period has no
    catalogue (see ``cycle_period``)."""
    period = cycle_period(year)
    types = plan_types or [t.value for t in PlanType]
    # The name is stored data, in Vietnamese (the documents' language), not a UI string.
    label = "hai cấp" if structure == "two-tier" else "ba cấp"
    cycle, _created = Cycle.objects.update_or_create(
        year=year,
        structure=structure,
        defaults={"period": period, "plan_types": types, "name": f"Chu kỳ kế hoạch năm {year} ({label})"},
    )
    return cycle


# --- plans ----------------------------------------------------------------------------------


def plan_require_editor(actor: User, plan: Plan) -> None:
    """Raise PermissionDenied (not an editor of the plan's unit) or PlanLocked (it moved on)."""
    refusal = selectors.edit_refusal(actor, plan)
    if refusal == "role":
        raise PermissionDenied(_("Chỉ cán bộ của đơn vị lập kế hoạch mới được sửa nội dung."))
    if refusal == "locked":
        raise PlanLocked(plan)


class PlanLocked(Conflict):
    """The plan's content cannot change in its current state (a 409 for the caller)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        super().__init__(
            _("Kế hoạch đang ở trạng thái “%(status)s”, không thể sửa.") % {"status": plan.get_status_display()}
        )


def _default_header(unit: AdministrativeUnit) -> dict[str, str]:
    committee = Agency.objects.filter(unit=unit, kind=AgencyKind.PEOPLE_COMMITTEE).first()
    return {
        "issuing_body": committee.name.upper() if committee else unit_label(unit).upper(),
        "place": unit.name.split(" ", 1)[-1] if unit.division_type else unit.name,
    }


@transaction.atomic
def plan_create(*, actor: User, cycle: Cycle, unit: AdministrativeUnit, plan_type: str) -> Plan:
    """Open a plan of ``plan_type`` for ``unit`` in ``cycle``; links it to the plans above/below."""
    errors = {}
    if unit.structure != cycle.structure:
        errors["unit"] = _("Đơn vị không thuộc cơ cấu hành chính của chu kỳ này.")
    if plan_type not in cycle.plan_types:
        errors["type"] = _("Chu kỳ này không có loại kế hoạch đó.")
    if errors:
        raise ValidationError(errors)
    if not selectors.user_roles_on_unit(actor, unit) & {Role.DRAFTER, Role.HEAD}:
        raise PermissionDenied(_("Chỉ cán bộ của đơn vị mới được lập kế hoạch của đơn vị."))
    if Plan.objects.filter(cycle=cycle, unit=unit, plan_type=plan_type).exists():
        raise ValidationError({"unit": _("Đơn vị đã có kế hoạch loại này trong chu kỳ.")})
    parent = Plan.objects.filter(cycle=cycle, unit_id=unit.parent_id, plan_type=plan_type).first()
    plan = Plan.objects.create(
        cycle=cycle,
        unit=unit,
        plan_type=plan_type,
        parent=parent,
        province_id=unit.province_id,
        district_id=unit.district_id,
        created_by=actor,
        **_default_header(unit),
    )
    # Plans of the units below that were opened earlier now roll up into this one.
    Plan.objects.filter(cycle=cycle, plan_type=plan_type, unit__parent=unit, parent__isnull=True).update(parent=plan)
    return plan


def plan_lock(plan_id: int) -> Plan:
    """Re-read a plan under a row lock (inside a transaction)."""
    return Plan.objects.select_for_update(of=("self",)).select_related("unit", "cycle__period").get(pk=plan_id)


@transaction.atomic
def plan_header_update(*, actor: User, plan: Plan, data: dict[str, Any]) -> Plan:
    plan = plan_lock(plan.pk)
    plan_require_editor(actor, plan)
    unknown = set(data) - set(HEADER_FIELDS)
    if unknown:
        raise ValidationError({field: _("Trường không được phép sửa.") for field in unknown})
    for field, value in data.items():
        setattr(plan, field, value if value is not None or field == "issued_on" else "")
    plan.full_clean(
        exclude=[f.name for f in Plan._meta.fields if f.name not in data],
        validate_unique=False,
        validate_constraints=False,
    )
    plan.last_edited_by = actor
    plan.save(update_fields=[*data, "last_edited_by", "updated_at"])
    return plan


def _touch(plan: Plan, actor: User) -> None:
    plan.last_edited_by = actor
    plan.save(update_fields=["last_edited_by", "updated_at"])


# --- lines ----------------------------------------------------------------------------------


def parse_amount(raw: Any) -> Decimal:
    """A non-negative amount in million VND with at most 3 decimals, below AMOUNT_MAX.

    Accepts numbers and strings in either notation ("1.200,5" Vietnamese, "1200.5" plain).
    Raises ValueError with a message for the officer.
    """
    if raw is None or raw == "":
        return Decimal("0")
    if isinstance(raw, bool):
        raise ValueError(_("Không phải là số."))
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    else:
        text = str(raw).strip().replace(" ", "")
        if "," in text:  # Vietnamese notation: "." groups thousands, "," marks decimals
            text = text.replace(".", "").replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("“%(value)s” không phải là số.") % {"value": raw}) from None
    if not value.is_finite():
        raise ValueError(_("Không phải là số."))
    if value < 0:
        raise ValueError(_("Số tiền không được âm."))
    if value > AMOUNT_MAX:  # before quantize, which cannot hold 1e400 or 26 digits (a 500)
        raise ValueError(_("Số tiền quá lớn (tính bằng triệu đồng)."))
    exponent = value.as_tuple().exponent  # an int: the value is finite (checked above)
    if isinstance(exponent, int) and exponent < -3 and value != value.quantize(Decimal("0.001")):
        raise ValueError(_("Tối đa 3 chữ số thập phân (triệu đồng)."))
    return value.quantize(Decimal("0.001"))


@dataclass
class LineInput:
    item: CatalogueItem
    texts: dict[str, str]
    amounts: dict[FundingSource, Decimal]


# Keys a client may send back unchanged from a GET of the lines; they are computed, not stored.
LINE_READ_ONLY_KEYS = frozenset({"item_title", "catalogue_title", "total", "central"})
LINE_KEYS = frozenset({"item", "catalogue", "amounts", *LINE_TEXT_FIELDS}) | LINE_READ_ONLY_KEYS


def _source_error(code: str, sources: dict[str, FundingSource], period: ProgrammePeriod) -> str:
    others = list(
        FundingSource.objects.filter(code=code)
        .exclude(period=period)
        .order_by("period__first_year")
        .values_list("period__code", flat=True)
    )
    if others:
        return _("Nguồn vốn “%(code)s” thuộc giai đoạn %(other)s, không dùng trong kế hoạch giai đoạn %(period)s.") % {
            "code": code,
            "other": ", ".join(others),
            "period": period.code,
        }
    return _("Không có nguồn vốn “%(code)s”; các nguồn của giai đoạn %(period)s: %(codes)s.") % {
        "code": code,
        "period": period.code,
        "codes": ", ".join(sources),
    }


def validate_lines(*, plan: Plan, rows: object) -> list[LineInput]:
    """Check every row; raise one ValidationError naming each bad row and field.

    A row: ``{"item": "C1.02.01", "catalogue": "2026-2030" (default: the plan's period),
    "content": …, "lead_agency": …, "coordinating_agencies": …, "beneficiaries": …,
    "amounts": {"<source code>": "45500.000", …}}``; errors on amounts are
    ``{"amounts": {"<source code>": [msg]}}``."""
    if not isinstance(rows, list):
        raise ValidationError({"lines": _("Cần một danh sách các dòng.")})
    period = plan.cycle.period
    catalogues = selectors.plan_catalogues(plan)
    province = plan.unit if plan.unit.tier == Tier.PROVINCE else plan.province
    items_of: dict[str, dict[str, CatalogueItem]] = {}
    sources = {s.code: s for s in selectors.plan_sources(plan)}
    errors: dict[int, dict[str, Any]] = {}
    clean: list[LineInput] = []
    for index, row in enumerate(rows):
        row_errors: dict[str, Any] = {}
        if not isinstance(row, dict):
            errors[index] = {"non_field_errors": [_("Mỗi dòng phải là một đối tượng.")]}
            continue
        for key in sorted(set(row) - LINE_KEYS):
            row_errors[key] = [_("Trường không xác định.")]
        try:
            catalogue = as_text(row.get("catalogue")) or period.code
        except ValueError as exc:
            row_errors["catalogue"], catalogue = [str(exc)], ""
        item = None
        if "catalogue" in row_errors:
            pass
        elif catalogue not in catalogues:
            row_errors["catalogue"] = [
                _("Không có danh mục giai đoạn “%(catalogue)s” cho kế hoạch năm %(year)s.")
                % {"catalogue": catalogue, "year": plan.cycle.year}
            ]
        elif catalogues[catalogue] is not None:
            row_errors["catalogue"] = [catalogues[catalogue]]
        else:
            if catalogue not in items_of:
                items_of[catalogue] = {i.code: i for i in selectors.catalogue_for_province(catalogue, province)}
            try:
                code = as_text(row.get("item"))
            except ValueError as exc:
                row_errors["item"], code = [str(exc)], ""
            item = items_of[catalogue].get(code)
            if "item" in row_errors:
                pass
            elif item is None:
                row_errors["item"] = [
                    _("Mã “%(code)s” không có trong danh mục giai đoạn %(period)s của địa phương.")
                    % {"code": code, "period": catalogue}
                ]
            elif not item.budgetable:
                row_errors["item"] = [
                    _("“%(code)s” có nội dung con: hãy ghi kinh phí vào từng nội dung con.") % {"code": code}
                ]
            elif item.levels and plan.unit.tier not in item.levels:
                row_errors["item"] = [
                    _("Nội dung %(code)s không bố trí kinh phí ở cấp %(tier)s.")
                    % {"code": code, "tier": plan.unit.get_tier_display().lower()}
                ]
        amounts: dict[FundingSource, Decimal] = {}
        raw_amounts = row.get("amounts", {})
        if not isinstance(raw_amounts, dict):
            row_errors["amounts"] = [_("Cần một đối tượng {mã nguồn vốn: số tiền}.")]
        else:
            amount_errors: dict[str, list[str]] = {}
            for code, raw in raw_amounts.items():
                source = sources.get(code)
                if source is None:
                    amount_errors[code] = [_source_error(code, sources, period)]
                    continue
                try:
                    value = parse_amount(raw)
                except ValueError as exc:
                    amount_errors[code] = [str(exc)]
                    continue
                if value:
                    amounts[source] = value
            if amount_errors:
                row_errors["amounts"] = amount_errors
        texts: dict[str, str] = {}
        for field in LINE_TEXT_FIELDS:
            text = row.get(field) or ""
            if not isinstance(text, str):
                row_errors[field] = [_("Cần một chuỗi ký tự.")]
            elif message := text_error(text, multiline=field in MULTILINE_LINE_FIELDS):
                row_errors[field] = [message]
            elif len(text) > (bulk.concrete_fields(BudgetLine, field)[0].max_length or 10_000):
                row_errors[field] = [_("Quá dài.")]
            texts[field] = text.strip() if isinstance(text, str) else ""
        if row_errors:
            errors[index] = row_errors
        elif item is None:  # every branch that leaves the item unknown records an error
            raise ValueError(f"line {index}: no catalogue item and no error")
        else:
            clean.append(LineInput(item=item, texts=texts, amounts=amounts))
    if errors:
        raise StructuredValidationError({"lines": errors})
    return clean


@transaction.atomic
def plan_lines_replace(*, actor: User, plan: Plan, rows: object) -> list[BudgetLine]:
    """Replace all budget lines at once; all rows are valid or nothing changes."""
    plan = plan_lock(plan.pk)
    plan_require_editor(actor, plan)
    clean = validate_lines(plan=plan, rows=rows)
    plan.lines.all().delete()
    lines = BudgetLine.objects.bulk_create(
        [BudgetLine(plan=plan, position=i, item=row.item, **row.texts) for i, row in enumerate(clean)]
    )
    LineAmount.objects.bulk_create(
        LineAmount(line=line, plan=plan, item=row.item, source=source, amount=amount)
        for line, row in zip(lines, clean, strict=True)
        for source, amount in row.amounts.items()
    )
    _touch(plan, actor)
    return list(selectors.plan_lines(plan))


@transaction.atomic
def plan_indicators_replace(*, actor: User, plan: Plan, rows: object) -> list[Indicator]:
    """Replace the plan's indicators; a row may name the national criterion indicator it
    measures (``"criterion": "6.1"``, a code of the period's rural criteria)."""
    plan = plan_lock(plan.pk)
    plan_require_editor(actor, plan)
    if not isinstance(rows, list):
        raise ValidationError({"indicators": _("Cần một danh sách các chỉ tiêu.")})
    criteria = {c.code: c for c in RuralIndicator.objects.filter(criterion__period_id=plan.cycle.period_id)}
    errors: dict[int, dict[str, list[str]]] = {}
    objects = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[index] = {"non_field_errors": [_("Mỗi dòng phải là một đối tượng.")]}
            continue
        row_errors: dict[str, list[str]] = {}
        texts: dict[str | None, str] = {}
        for key, field in INDICATOR_TEXT_KEYS.items():
            try:
                texts[field] = model_text(Indicator, field, row.get(key)) if field else as_text(row.get(key))
            except ValueError as exc:
                row_errors[key], texts[field] = [str(exc)], ""
        criterion_code = texts.pop(None)
        fields = {name: text for name, text in texts.items() if name is not None}  # (None popped above)
        indicator = Indicator(plan=plan, position=index, criterion=criteria.get(criterion_code), **fields)
        if criterion_code and criterion_code not in criteria:
            row_errors["criterion"] = [
                _("Không có chỉ tiêu “%(code)s” trong bộ tiêu chí giai đoạn %(period)s.")
                % {"code": criterion_code, "period": plan.cycle.period.code}
            ]
        for field in ("value", "value_max", "baseline"):
            raw = row.get(field)
            if raw in (None, "") and field != "value":
                continue
            try:
                setattr(indicator, field, _parse_signed(raw))
            except ValueError as exc:
                row_errors[field] = [str(exc)]
        try:
            indicator.full_clean(
                exclude=["plan", *row_errors, *(f for k in row_errors if (f := INDICATOR_TEXT_KEYS.get(k)))]
            )
        except ValidationError as exc:
            row_errors.update({("unit" if k == "unit_of_measure" else k): v for k, v in exc.message_dict.items()})
        if row_errors:
            errors[index] = row_errors
        objects.append(indicator)
    if errors:
        raise StructuredValidationError({"indicators": errors})
    plan.indicators.all().delete()
    _touch(plan, actor)
    return Indicator.objects.bulk_create(objects)


# A row's text keys and the Indicator field each fills (None: the criterion code, not stored as text).
INDICATOR_TEXT_KEYS = {"criterion": None, "code": "code", "name": "name", "unit": "unit_of_measure", "kind": "kind"}


def _parse_signed(raw: Any) -> Decimal:
    if isinstance(raw, str) and raw.strip().startswith("-"):
        return -parse_amount(raw.strip()[1:])
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool) and raw < 0:
        return -parse_amount(-raw)
    return parse_amount(raw)


@transaction.atomic
def plan_households_replace(*, actor: User, plan: Plan, rows: list[Any]) -> list[Household]:
    plan = plan_lock(plan.pk)
    plan_require_editor(actor, plan)
    errors: dict[int, dict[str, list[str]]] = {}
    objects, seen = [], set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[index] = {"non_field_errors": [_("Mỗi dòng phải là một đối tượng.")]}
            continue
        row_errors: dict[str, list[str]] = {}
        texts = {}
        for field in HOUSEHOLD_FIELDS:
            try:
                texts[field] = model_text(Household, field, row.get(field))
            except ValueError as exc:
                row_errors[field], texts[field] = [str(exc)], ""
        household = Household(plan=plan, position=index, **texts)
        try:
            household.full_clean(exclude=["plan", *row_errors], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            row_errors.update(exc.message_dict)
        if household.code and household.code in seen:
            row_errors["code"] = [_("Mã hộ bị trùng trong danh sách.")]
        seen.add(household.code)
        if row_errors:
            errors[index] = row_errors
        objects.append(household)
    if errors:
        raise StructuredValidationError({"households": errors})
    plan.households.all().delete()
    _touch(plan, actor)
    return Household.objects.bulk_create(objects)


# --- envelopes and rounds ------------------------------------------------------------------


@transaction.atomic
def envelope_set(*, actor: User, child: Plan, ceilings: dict[str, Any]) -> Envelope:
    """The parent plan's unit sets a ceiling per source for one child plan
    (``{"<source code>": amount or null}``; a source left out or null has no ceiling)."""
    if child.parent_id is None:
        raise ValidationError({"child": _("Kế hoạch này không có kế hoạch cấp trên.")})
    parent = plan_lock(child.parent_id)
    if not selectors.user_roles_on_unit(actor, parent.unit) & {Role.DRAFTER, Role.HEAD}:
        raise PermissionDenied(_("Chỉ cấp trên mới giao trần kinh phí."))
    sources = {s.code: s for s in selectors.plan_sources(child)}
    values, errors = {}, {}
    for code, raw in ceilings.items():
        if code not in sources:
            errors[code] = [_source_error(code, sources, child.cycle.period)]
            continue
        if raw in (None, ""):
            continue
        try:
            values[sources[code]] = parse_amount(raw)
        except ValueError as exc:
            errors[code] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    envelope, _created = Envelope.objects.get_or_create(parent=parent, child=child)
    envelope.ceilings.all().delete()
    EnvelopeCeiling.objects.bulk_create(
        EnvelopeCeiling(envelope=envelope, source=source, amount=amount) for source, amount in values.items()
    )
    return envelope


def envelope_violations(plan: Plan) -> list[dict[str, Any]]:
    """Sources where the plan (with everything below it) exceeds its envelope, naming the lines."""
    envelope = Envelope.objects.filter(child=plan).prefetch_related("ceilings__source").first()
    if envelope is None:
        return []
    sums = selectors.plan_totals(plan)
    violations = []
    for ceiling in envelope.ceilings.all():
        code = ceiling.source.code
        if sums[code] > ceiling.amount:
            amounts = LineAmount.objects.filter(plan=plan, source=ceiling.source).select_related("line__item")
            violations.append(
                {
                    "source": code,
                    "ceiling": str(ceiling.amount),
                    "planned": str(sums[code]),
                    "excess": str(sums[code] - ceiling.amount),
                    "lines": [
                        {"item": a.line.item.code, "content": a.line.content, "amount": str(a.amount)}
                        for a in amounts.order_by("line__position")
                    ],
                }
            )
    return violations


def _decimal_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def snapshot_lines(plan: Plan) -> list[dict[str, Any]]:
    """The lines as frozen in a round: item, catalogue, texts and the non-zero amounts."""
    return [
        {
            "item": line.item.code,
            "catalogue": line.item.period.code,
            **{f: getattr(line, f) for f in LINE_TEXT_FIELDS},
            "amounts": {code: str(value) for code, value in line.amount_map.items()},
        }
        for line in selectors.plan_lines(plan)
    ]


def snapshot_indicators(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "code": i.code,
            "criterion": i.criterion.code if i.criterion else None,
            "name": i.name,
            "unit": i.unit_of_measure,
            "kind": i.kind,
            "value": str(i.value),
            "value_max": _decimal_or_none(i.value_max),
            "baseline": _decimal_or_none(i.baseline),
        }
        for i in plan.indicators.select_related("criterion").order_by("position")
    ]


def snapshot_households(plan: Plan) -> list[dict[str, Any]]:
    return [{f: getattr(h, f) for f in HOUSEHOLD_FIELDS} for h in plan.households.order_by("position")]


def snapshot(plan: Plan) -> dict[str, Any]:
    """Everything a reviewer compares between rounds, as JSON-ready data."""
    header = {field: getattr(plan, field) for field in HEADER_FIELDS}
    header["issued_on"] = plan.issued_on.isoformat() if plan.issued_on else None
    sums = selectors.plan_totals(plan)
    return {
        "header": header,
        "lines": snapshot_lines(plan),
        "indicators": snapshot_indicators(plan),
        "households": snapshot_households(plan),
        "totals": {key: str(value) for key, value in sums.items() if not isinstance(value, dict)},
    }


@transaction.atomic(savepoint=False)  # all or nothing with the caller's transaction
def round_freeze(
    *,
    actor: User,
    plan: Plan,
    kind: str = PlanRound.Kind.SUBMISSION,
    locked: bool = False,
    save_number: bool = True,
) -> PlanRound:
    """Freeze the plan, as stored, as its next round (joins the caller's transaction and lock).

    ``locked``: the caller holds ``plan`` under its row lock as it is stored (``plan_act``), so
    it is not read again. ``save_number=False`` (only with ``locked``): the new number is set on
    ``plan`` for the caller to save in its own UPDATE of the row, in this transaction
    (``plan_act`` saves it with the new status)."""
    if not save_number and not locked:
        raise ValueError("round_freeze(save_number=False) needs the caller's lock (locked=True)")
    current = plan if locked else plan_lock(plan.pk)
    number = current.round_number + 1
    frozen = PlanRound.objects.create(
        plan=current, number=number, kind=kind, snapshot=snapshot(current), created_by=actor
    )
    if save_number:
        Plan.objects.filter(pk=plan.pk).update(round_number=number)
    plan.round_number = number
    from dossier.services import attachments_freeze  # the files attached for this round freeze with it

    attachments_freeze(plan=current, round_number=number)
    return frozen

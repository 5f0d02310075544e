"""The plan pages officers use every day: the list, the plan as a document, and its editor.

Every read goes through ``planning.selectors`` (scoped to the officer: a plan outside their
tree is a 404), every write through ``planning.services``; a view never saves a model itself.
Amounts are million VND; templates show them in the active language's notation ("162.756").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import BooleanField, Case, ExpressionWrapper, IntegerField, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import get_format, sanitize_separators
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.errors import Conflict, validation_detail
from directory.models import Tier, User
from dossier import selectors as dossier_selectors
from planning import search, selectors, services
from planning.forms import (
    AMOUNT_PREFIX,
    UNITS_OF_MEASURE,
    BudgetLineFormSet,
    HouseholdFormSet,
    IndicatorFormSet,
    PlanFilterForm,
    PlanHeaderForm,
    RowFormSet,
    item_choice_value,
)
from planning.models import BudgetLine, CatalogueItem, FundingSource, Plan
from workflows.selectors import plan_resolution

PAGE_SIZE = 50
ZERO = Decimal("0")
HUNDRED = Decimal("100")
# The list reads newest cycle first, and in a cycle each level before the units it consolidates.
TIERS_TOP_DOWN = (Tier.NATION, Tier.PROVINCE, Tier.DISTRICT, Tier.COMMUNE)
TIER_RANK = Case(
    *(When(unit__tier=tier, then=rank) for rank, tier in enumerate(TIERS_TOP_DOWN)), output_field=IntegerField()
)
LIST_ORDER = ("-cycle__year", "plan_type", TIER_RANK, "unit__code")


def _tidy(value: Decimal | None) -> Decimal:
    """An amount without trailing zeros, so it reads "162.756" rather than "162.756,000"."""
    return value.normalize() if value else ZERO


def _sources(sources: list[FundingSource]) -> list[tuple[str, str]]:
    """(code, column header) of the period's sources, in column order."""
    return [(source.code, capfirst(source.short)) for source in sources]


def _amounts(row: dict[str, Decimal], sources: list[FundingSource]) -> list[Decimal]:
    """A row's amounts (a dict of sums by source code) in column order."""
    return [_tidy(row.get(source.code)) for source in sources]


@dataclass(frozen=True)
class Money:
    """A plan's money as every page prints it (million VND, no trailing zeros): its figure and
    the two parts of it, its own lines and the plans counted below it (``selectors.COUNTED_BELOW``)."""

    total: Decimal
    own: Decimal
    below: Decimal

    @property
    def split(self) -> bool:
        """Both parts hold money: the page adds "of which: own / from the level below"."""
        return bool(self.own) and bool(self.below)


def money_of(sums: dict[str, Any]) -> Money:
    """The figures of a plan from ``selectors.plan_totals(plan)`` or from its entry in
    ``selectors.plan_money_for(plans)``: the only two sources of a plan's money."""
    total = sums["total"]
    return Money(
        total=_tidy(total["total"] if isinstance(total, dict) else total),
        own=_tidy(sums["own"]["total"]),
        below=_tidy(sums["below"]["total"]),
    )


# --- list -----------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """The plans the officer can see, filtered by cycle, type and status; one page at a time."""
    form = PlanFilterForm(request.GET or None)
    plans = selectors.plan_list(user=request.user, **form.filters()).order_by(*LIST_ORDER)
    plans = search.search(plans, request.GET.get("q"))  # "sin suoi ho" finds Sin Suối Hồ (planning/search.py)
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    # The plans' money in a few queries for the whole page (one sum per level that has plans below).
    money = selectors.plan_money_for(page.object_list)
    rows = [(plan, money_of(money[plan.pk])) for plan in page.object_list]
    return render(
        request, "planning/plan_list.html", {"form": form, "page": page, "rows": rows, "q": request.GET.get("q", "")}
    )


# --- detail ---------------------------------------------------------------------------------


@dataclass
class BudgetGroup:
    """A project's rows in a budget table, under the project's own row carrying its subtotal."""

    code: str
    title: str
    subtotal: list[Decimal]
    subtotal_total: Decimal
    catalogue: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def single(self) -> bool:
        """A project without sub-projects and with one row: its row is the project row."""
        return len(self.rows) == 1 and self.rows[0]["code"] == self.code


def _budget_groups(
    rows: list[dict[str, Any]],
    catalogue: list[CatalogueItem],
    by_project: dict[str, dict[str, Decimal]],
    sources: list[FundingSource],
) -> list[BudgetGroup]:
    """Rows (each with an item ``code`` and its ``catalogue``) grouped under their top-level
    item (project, component) in catalogue order, with subtotals; a continuing catalogue's
    groups come after the plan's own."""
    by_key = {(item.period.code, item.code): item for item in catalogue}
    order = {key: rank for rank, key in enumerate(by_key)}
    groups: dict[tuple[str, str], BudgetGroup] = {}
    for row in rows:
        item = by_key.get((row["catalogue"], row["code"]))
        top = item
        while top is not None and top.parent_id is not None:
            top = top.parent
        key = (row["catalogue"], top.code if top else row["code"])
        if key not in groups:
            sums = by_project.get(key[1], {})
            groups[key] = BudgetGroup(
                code=key[1],
                title=top.title if top else "",
                subtotal=_amounts(sums, sources),
                subtotal_total=_tidy(sums.get("total")),
                catalogue=row["catalogue"],
            )
        groups[key].rows.append(row)
    return [groups[key] for key in sorted(groups, key=lambda k: order.get(k, len(order)))]


def _line_rows(lines: list[BudgetLine], sources: list[FundingSource]) -> list[dict[str, Any]]:
    rows = []
    for line in lines:
        sums = selectors.line_amounts(line, sources)
        rows.append(
            {
                "code": line.item.code,
                "catalogue": line.item.period.code,
                "title": line.item.title,
                "content": line.content,
                "lead_agency": line.lead_agency,
                "amounts": _amounts(sums, sources),
                "total": _tidy(sums["total"]),
            }
        )
    return rows


def _item_rows(
    by_item: dict[str, dict[str, Decimal]], catalogue: list[CatalogueItem], sources: list[FundingSource]
) -> list[dict[str, Any]]:
    items = {item.code: item for item in catalogue}
    return [
        {
            "code": code,
            "catalogue": items[code].period.code if code in items else "",
            "title": items[code].title if code in items else "",
            "amounts": _amounts(sums, sources),
            "total": _tidy(sums["total"]),
        }
        for code, sums in by_item.items()
    ]


def _source_chart(sums: dict[str, Decimal], sources: list[FundingSource]) -> list[dict[str, Any]]:
    """Each source's share of the total, as bar widths (0-100, SVG user units) and percentages."""
    total = sums["total"]
    bars = []
    for name, label in _sources(sources):
        share = sums[name] * HUNDRED / total if total else ZERO
        # A source that has money stays visible however small its share.
        width = max(share, Decimal("0.6")) if sums[name] else ZERO
        bars.append(
            {
                "source": name,
                "label": label,
                "amount": _tidy(sums[name]),
                "share": share.quantize(Decimal("0.1")),
                # A plain string: SVG attributes need "12.50" in every language.
                "width": f"{width:.2f}",
            }
        )
    return bars


def _document_date(plan: Plan) -> dict[str, str]:
    """Decree 30/2020: days below 10 and the months January and February take a leading zero."""
    issued = plan.issued_on
    if issued is None:
        return {"place": plan.place or "…", "day": "…", "month": "…", "year": "…"}
    return {
        "place": plan.place or "…",
        "day": f"{issued.day:02d}",
        "month": f"{issued.month:02d}" if issued.month <= 2 else str(issued.month),
        "year": str(issued.year),
    }


def _indicator_number(value: Decimal | None, unit: str) -> Decimal | None:
    """Percentages read with two decimals when they have any ("38,50 %"); others as stored."""
    if value is None:
        return None
    value = _tidy(value)
    exponent = value.as_tuple().exponent
    if unit.strip() == "%" and isinstance(exponent, int) and -2 < exponent < 0:
        return value.quantize(Decimal("0.01"))
    return value


def _summary(sums: dict[str, Any], sources: list[FundingSource]) -> dict[str, Any]:
    """A total row (flat sums by source code) as the tables and the document's sentence print it."""
    return {
        "amounts": _amounts(sums, sources),
        "central": _tidy(sums["central"]),
        "total": _tidy(sums["total"]),
        # The document's sentence names each source in full ("Ngân sách Trung ương - vốn đầu tư").
        "by_source": [
            (capfirst(source.title), amount) for source, amount in zip(sources, _amounts(sums, sources), strict=True)
        ],
    }


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    return plan_page(request, plan_id)


def plan_page(
    request: HttpRequest, plan_id: int, *, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """The plan as officers read the document, with its money by project and by source;
    ``extra`` for a form of the page posted elsewhere and refused (the documents panel's issue
    form with its errors, answered 400 at its own URL).

    The plan's figure, in the header, the sentence of section III, its chart and the consolidated
    table, is ``selectors.plan_totals`` (its own lines and the plans counted below it), the same
    as on every other page, file and API answer; the table of the plan's own lines beside it is
    captioned as such."""
    from planning.exports import document_number, legal_bases  # python-docx and openpyxl load with the exports

    plan = selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    catalogue = selectors.catalogue_for_plan(plan)
    sources = selectors.plan_sources(plan)
    is_commune = plan.unit.tier == Tier.COMMUNE
    money = selectors.plan_totals(plan)
    # A commune has no plan below it: its figure is its own lines, by project too.
    own = money if is_commune else selectors.plan_totals(plan, include_children=False)
    lines = list(selectors.plan_lines(plan))
    resolution = plan_resolution(plan)
    context: dict[str, Any] = {
        "plan": plan,
        "can_edit": selectors.can_edit_content(request.user, plan),
        # The header's "Số:" as the .docx prints it, the issuer's symbol after a blank while a draft.
        "document_number": document_number(plan, blank="…"),
        "document_date": _document_date(plan),
        # The document's "Căn cứ" lines as the .docx prints them: the plan's own, then the
        # council's resolution once it approved the plan.
        "legal_bases": legal_bases(plan),
        "resolution": resolution,
        "recipients": [line.strip() for line in plan.recipients.splitlines() if line.strip()],
        "indicators": [
            {
                "indicator": indicator,
                "value": _indicator_number(indicator.value, indicator.unit_of_measure),
                "value_max": _indicator_number(indicator.value_max, indicator.unit_of_measure),
                "baseline": _indicator_number(indicator.baseline, indicator.unit_of_measure),
            }
            for indicator in plan.indicators.order_by("position")
        ],
        "sources": _sources(sources),
        "money": money_of(money),
        "summary": _summary(money, sources),
        "chart": _source_chart(money, sources),
        "budget": _budget_groups(_line_rows(lines, sources), catalogue, own["by_project"], sources),
        "own_total": _summary(own, sources),
        "rounds": selectors.rounds_of(plan),
        "is_commune": is_commune,
    }
    if is_commune:
        context["households"] = plan.households.order_by("position")
    else:
        # Children through the scoped list: the ministry sees a province's plan, not its communes'.
        children = list(
            selectors.plan_list(user=request.user, cycle=plan.cycle_id, plan_type=plan.plan_type)
            .filter(parent=plan)
            .annotate(counted=ExpressionWrapper(selectors.COUNTED_BELOW, output_field=BooleanField()))
        )
        children_money = selectors.plan_money_for(children)
        context.update(
            rollup=_budget_groups(
                _item_rows(money["by_item"], catalogue, sources), catalogue, money["by_project"], sources
            ),
            rollup_total=_summary(money, sources),
            children=[(child, money_of(children_money[child.pk])) for child in children],
        )
    context.update(extra or {})
    return render(request, "planning/plan_detail.html", context, status=status)


# --- editor ---------------------------------------------------------------------------------


def _item_choices(catalogue: list[CatalogueItem], plan_period: str) -> list[tuple[str, Any]]:
    """Only items that take money, grouped under their parent (sub-projects under their
    project; 2026-2030 contents under their component content); a continuing catalogue's
    items are labelled with its period."""
    choices: list[tuple[str, Any]] = []
    groups: dict[int, list[tuple[str, str]]] = {}
    for item in catalogue:
        prefix = "" if item.period.code == plan_period else f"[{item.period.code}] "
        label = f"{prefix}{item.code}. {item.title}"
        value = item_choice_value(item, plan_period)
        if not item.budgetable:
            groups[item.pk] = []
            choices.append((label, groups[item.pk]))
        elif item.parent_id in groups:
            groups[item.parent_id].append((value, label))
        else:
            choices.append((value, label))
    return [choice for choice in choices if not isinstance(choice[1], list) or choice[1]]


@dataclass
class Editor:
    """The editor's parts, each bound to the POST only when the POST carried it."""

    header: PlanHeaderForm
    lines: RowFormSet
    indicators: RowFormSet
    households: RowFormSet | None

    def replacements(self) -> list[tuple[RowFormSet, Any, str]]:
        """(formset, service, error key) for every list the POST carried."""
        parts = [
            (self.lines, services.plan_lines_replace, "lines"),
            (self.indicators, services.plan_indicators_replace, "indicators"),
            (self.households, services.plan_households_replace, "households"),
        ]
        return [part for part in parts if part[0] is not None and part[0].is_submitted()]

    def has_errors(self) -> bool:
        formsets = [f for f in (self.lines, self.indicators, self.households) if f is not None and f.is_bound]
        header_errors = self.header.is_bound and bool(self.header.errors)
        return header_errors or any(f.non_form_errors() or f.has_service_errors() for f in formsets)


def _bind(formset_class: type[RowFormSet], data: Any, **kwargs: Any) -> RowFormSet:
    formset = formset_class(data, **kwargs)
    return formset if formset.is_submitted() else formset_class(**kwargs)


def _editor(plan: Plan, catalogue: list[CatalogueItem], sources: list[FundingSource], data: Any) -> Editor:
    header_initial = PlanHeaderForm.initial_for(plan)
    header_posted = data is not None and any(f"header-{name}" in data for name in services.HEADER_FIELDS)
    lines = list(selectors.plan_lines(plan))
    plan_period = plan.cycle.period.code
    households = None
    if plan.unit.tier == Tier.COMMUNE:
        households = _bind(
            HouseholdFormSet,
            data,
            prefix="households",
            initial=[HouseholdFormSet.form.initial_for(h) for h in plan.households.order_by("position")],
        )
    return Editor(
        header=PlanHeaderForm(data if header_posted else None, prefix="header", initial=header_initial),
        lines=_bind(
            BudgetLineFormSet,
            data,
            prefix="lines",
            initial=[BudgetLineFormSet.form.initial_for(line, plan_period) for line in lines],
            form_kwargs={"item_choices": _item_choices(catalogue, plan_period), "sources": sources},
        ),
        indicators=_bind(
            IndicatorFormSet,
            data,
            prefix="indicators",
            initial=[IndicatorFormSet.form.initial_for(i) for i in plan.indicators.order_by("position")],
        ),
        households=households,
    )


def _list_changed(formset: RowFormSet) -> bool:
    # A POST that carries fewer rows than the plan has drops the rest: that is a change too.
    return formset.has_changed() or formset.total_form_count() < len(formset.initial or [])


def _attempt(service: Any, **kwargs: Any) -> ValidationError | None:
    """Run one service in a savepoint; return its validation error instead of raising it."""
    try:
        with transaction.atomic():
            service(**kwargs)
    except ValidationError as exc:
        return exc
    return None


def _save_header(header: PlanHeaderForm, *, actor: User, plan: Plan) -> bool:
    if not header.is_valid():
        return False
    changes = header.submitted_changes()
    error = _attempt(services.plan_header_update, actor=actor, plan=plan, data=changes) if changes else None
    if error:
        header.add_service_errors(validation_detail(error))
    return error is None


def _save_list(formset: RowFormSet, replace: Any, key: str, *, actor: User, plan: Plan) -> bool:
    if not formset.is_valid():
        return False
    error = _attempt(replace, actor=actor, plan=plan, rows=formset.rows()) if _list_changed(formset) else None
    if error:
        detail = validation_detail(error)
        formset.add_service_errors(detail.get(key, detail) if isinstance(detail, dict) else detail)
    return error is None


def _save_editor(editor: Editor, *, actor: User, plan: Plan) -> bool:
    """Save every part the officer changed, all or nothing.

    Every part is checked even after another has failed, so the officer sees all the errors at
    once: the services run in savepoints of one transaction, rolled back if any part failed.
    Raises ``services.PlanLocked`` (a ``Conflict``) when the plan left an editable state meanwhile.
    """
    with transaction.atomic():
        results = [_save_header(editor.header, actor=actor, plan=plan)] if editor.header.is_bound else []
        results += [
            _save_list(formset, replace, key, actor=actor, plan=plan) for formset, replace, key in editor.replacements()
        ]
        saved = all(results)
        if not saved:
            transaction.set_rollback(True)
    return saved


def _typed_amount(raw: Any) -> Decimal:
    try:
        return services.parse_amount(sanitize_separators(str(raw or "").strip()))
    except ValueError:
        return ZERO  # the service names the error on save; the running totals skip it


def _typed_totals(formset: RowFormSet, catalogue: list[CatalogueItem], sources: list[FundingSource]) -> dict[str, Any]:
    """The totals of what is in the form (saved or just typed), as the page first shows them.

    ``static/js/plan-editor.js`` recomputes the same figures while the officer types: per
    top-level item (the part of the choice's code before the first "."), per source, overall."""
    codes = [s.code for s in sources]
    plan_period = sources[0].period.code if sources else ""
    tops = [item for item in catalogue if item.parent_id is None]
    projects = {item_choice_value(item, plan_period): dict.fromkeys(codes, ZERO) for item in tops}
    totals = dict.fromkeys(codes, ZERO)
    for form in formset.forms:
        form.line_total = ZERO
        if form["DELETE"].value():
            continue
        amounts = {code: _typed_amount(form[AMOUNT_PREFIX + code].value()) for code in codes}
        form.line_total = _tidy(sum(amounts.values(), ZERO))
        project = projects.get(str(form["item"].value() or "").split(".")[0])
        for code, amount in amounts.items():
            totals[code] += amount
            if project is not None:
                project[code] += amount
    return {
        "projects": [
            {
                "code": item_choice_value(item, plan_period),
                "label": item.code,  # as printed: "1", not the choice value "2021-2025:1"
                "catalogue": item.period.code,
                "title": item.title,
                "amounts": list(
                    zip(codes, _amounts(projects[item_choice_value(item, plan_period)], sources), strict=True)
                ),
                "total": _tidy(sum(projects[item_choice_value(item, plan_period)].values(), ZERO)),
            }
            for item in tops
        ],
        "sources": list(zip(codes, _amounts(totals, sources), strict=True)),
        "total": _tidy(sum(totals.values(), ZERO)),
    }


def _render_editor(
    request: HttpRequest,
    plan: Plan,
    editor: Editor,
    catalogue: list[CatalogueItem],
    sources: list[FundingSource],
    *,
    locked: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "plan": plan,
        "editor": editor,
        "header": editor.header,
        "lines": editor.lines,
        "indicators": editor.indicators,
        "households": editor.households,
        "sources": _sources(sources),
        "typed": _typed_totals(editor.lines, catalogue, sources),
        "units_of_measure": UNITS_OF_MEASURE,
        "locked": locked,
        "has_errors": editor.has_errors(),
        "decimal_separator": get_format("DECIMAL_SEPARATOR"),
        "thousand_separator": get_format("THOUSAND_SEPARATOR"),
        # What was said about each line (the open return's line comments, the thread's): beside it.
        "dossier_line_notes": dossier_selectors.line_notes(plan),
    }
    return render(request, "planning/plan_edit.html", context, status=status)


def _refuse_edit(request: HttpRequest, plan: Plan) -> HttpResponse:
    """403 for officers of other units; 409 for the plan's own officers once it has moved on."""
    if selectors.edit_refusal(request.user, plan) == "locked":
        message, status = str(services.PlanLocked(plan)), 409
    else:
        message, status = _("Chỉ cán bộ soạn thảo hoặc lãnh đạo của đơn vị lập kế hoạch mới được sửa kế hoạch."), 403
    return render(request, "planning/plan_unavailable.html", {"plan": plan, "message": message}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Header, budget lines, indicators and (commune plans) households, saved in one POST."""
    plan = selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    if not selectors.can_edit_content(request.user, plan):
        return _refuse_edit(request, plan)
    catalogue = selectors.catalogue_for_plan(plan)
    sources = selectors.plan_sources(plan)
    data = request.POST if request.method == "POST" else None
    editor = _editor(plan, catalogue, sources, data)
    if data is not None:
        try:
            saved = _save_editor(editor, actor=request.user, plan=plan)
        except Conflict as exc:  # services.PlanLocked: the plan left an editable state meanwhile
            return _render_editor(request, plan, editor, catalogue, sources, locked=str(exc), status=409)
        if saved:
            messages.success(request, _("Đã lưu kế hoạch."))
            return redirect("planning:edit", plan_id=plan.pk)
    return _render_editor(request, plan, editor, catalogue, sources)


IMPORTERS = {"lines": "import_lines_xlsx", "households": "import_households_xlsx"}


@login_required
@require_http_methods(["POST"])
def plan_import(request: HttpRequest, plan_id: int, kind: str) -> HttpResponse:
    """Replace the budget lines or the household list from an uploaded .xlsx; on any error the
    plan is unchanged and the page names the Excel rows to fix."""
    from django.http import Http404

    from config.errors import StructuredValidationError
    from planning import imports

    plan = selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    if kind not in IMPORTERS:
        raise Http404
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": _("Chọn tệp .xlsx để nhập.")})
        getattr(imports, IMPORTERS[kind])(actor=request.user, plan=plan, fileobj=upload)
    except StructuredValidationError as exc:
        for row, errors in exc.detail["rows"].items():
            details = "; ".join(f"{field}: {' '.join(messages_)}" for field, messages_ in errors.items())
            messages.error(request, _("Dòng %(row)s: %(errors)s") % {"row": row, "errors": details})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except services.PlanLocked as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã nhập dữ liệu từ tệp."))
    return redirect("planning:edit", plan.pk)

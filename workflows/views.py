"""Web pages for acting on plans: the inbox, a plan's task page, its history, the workbench."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from approvals import selectors as decisions
from config.errors import SERVICE_ERRORS, Conflict, error_answer
from config.pagination import CountingPaginator, with_full_count
from deadlines import clock
from planning import search as plan_search
from planning import selectors as plan_selectors
from planning.models import Plan, PlanStatus, PlanType
from planning.views import money_of
from workflows import routes, selectors, services, task_selectors
from workflows.action_request import parse_action_request


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The officer's open tasks (or the archive), 50 a page, with each plan's money and
    resolution and the tab's counts: a constant number of queries (the page's own query counts
    the list, and, unfiltered, its overdue tasks; ``tests/workflows/test_query_budget.py``)."""
    agency_ids = selectors.agency_ids_of(request.user)
    archived = request.GET.get("archive") == "1"
    filters = selectors.InboxFilters.from_params(request.GET)
    now = clock.now()
    if archived:
        items = selectors.archive(user=request.user, agency_ids=agency_ids)
    else:
        items = selectors.inbox(user=request.user, filters=filters, agency_ids=agency_ids)
    # Every open task on the list: the tab's counts are the list's own.
    everything = not archived and filters == selectors.InboxFilters() and not plan_search.words(request.GET.get("q"))
    items = plan_search.search(items, request.GET.get("q"), prefix="plan__")  # "sin suoi ho" → Sin Suối Hồ
    items = selectors.with_resolution(with_full_count(items))
    if everything:
        items = selectors.with_overdue_count(items, now=now)
    page = CountingPaginator(items, 50).get_page(request.GET.get("page"))
    if everything:
        counts = {"total": page.paginator.count, "overdue": page[0].overdue_count if page else 0}
    else:
        counts = selectors.inbox_counts(user=request.user, agency_ids=agency_ids)
    plans = list({item.plan_id: item.plan for item in page}.values())
    money = plan_selectors.plan_money_for(plans)  # a few queries for the whole page
    rows = [(item, money_of(money[item.plan_id]), selectors.resolution_of(item)) for item in page]
    return render(
        request,
        "workflows/inbox.html",
        {
            "page": page,
            "rows": rows,
            "now": now,
            "archived": archived,
            "counts": {"total": counts["total"], "overdue": counts["overdue"]},
            "filters": request.GET,
            "q": request.GET.get("q", ""),
            "plan_types": PlanType.choices,
            "steps": [(name, routes.step_spec(name).title) for name in routes.all_steps()],
        },
    )


def _tidy(value: Decimal | None) -> Decimal:
    """An amount as the plan pages print it ("1.890,5", not "1.890,500"): no trailing zeros."""
    return value.normalize() if value else Decimal("0")


def _source_headers(plan) -> list[tuple[str, str]]:
    """(code, column header) of the funding sources of the plan's period, in column order."""
    return [(source.code, capfirst(source.short)) for source in plan_selectors.plan_sources(plan)]


def _excess(violation: dict, labels: dict[str, str]) -> dict:
    """An envelope violation (``planning.services.envelope_violations``) as the task page shows it."""
    return {
        **violation,
        "source": labels.get(violation["source"], violation["source"]),
        "planned": _tidy(Decimal(violation["planned"])),
        "ceiling": _tidy(Decimal(violation["ceiling"])),
    }


@login_required
@require_http_methods(["GET", "POST"])
def plan_task(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            body = parse_action_request(action=action, data=request.POST, headers=request.headers)
            result = services.plan_act(actor=request.user, plan_id=plan.pk, **body.act_kwargs())
        except SERVICE_ERRORS as exc:  # the API's mapping (config.errors), shown on the page
            answer = error_answer(exc)
            status = answer.status
            if status == 400:
                errors = answer.form_errors
            else:
                messages.error(request, answer.detail)
                errors = dict(answer.extra)
        else:
            messages.success(request, _("Đã thực hiện: %(action)s.") % {"action": services.action_label(action)})
            # Where the plan went and who holds it now (unit, agency, role).
            moved = Plan.objects.select_related("cycle__period", "unit__parent").get(pk=plan.pk)
            messages.info(request, task_selectors.whereabouts(moved))
            if result.get("status") in (PlanStatus.DRAFT, PlanStatus.RETURNED) and action == "amend":
                return redirect("planning:edit", plan.pk)
            return redirect("workflows:plan-task", plan.pk)
        plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)

    # What changed since the last round is worded by templates/workflows/_changes.html (planning.changes).
    sources = _source_headers(plan)
    labels = dict(sources)
    totals = plan_selectors.plan_totals(plan)  # the plan's figure: its own lines and the plans below it
    if errors.get("blocking"):  # an envelope's excess: the source's header, the amounts in the page's notation
        errors["blocking"] = [
            _excess(b, labels) if isinstance(b, dict) and "source" in b else b for b in errors["blocking"]
        ]
    options = task_selectors.option_views(plan, services.plan_options(user=request.user, plan=plan))
    return render(
        request,
        "workflows/task.html",
        {
            "plan": plan,
            "sources": sources,
            "totals": totals,
            "source_totals": [_tidy(totals[code]) for code, _label in sources],
            "grand_total": _tidy(totals["total"]),
            "money": money_of(totals),
            "resolution": selectors.plan_resolution(plan),
            "items": selectors.open_items_of(plan),
            "options": options,
            "can_act": any(option.allowed for option in options),
            "can_edit": plan_selectors.can_edit_content(request.user, plan),
            "lines": plan.lines.select_related("item").order_by("position"),
            "errors": errors,
            "posted": request.POST if request.method == "POST" else {},
            "idempotency_key": uuid.uuid4().hex,
        },
        status=status,
    )


@login_required
def plan_history(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    return render(
        request,
        "workflows/history.html",
        {
            "plan": plan,
            "events": decisions.history(plan),
            "rounds": plan_selectors.rounds_of(plan),
        },
    )


# What the workbench offers to do to several children at once, and the states in which a child
# can still be accepted or waived (its row gets a checkbox). plan_act decides each plan.
BULK_ACTIONS = ("accept", "waive")
BULK_STATUSES = (PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED)


def _refusal(exc: Exception) -> str:
    """Why plan_act refused one plan, in the officer's words."""
    if isinstance(exc, ValidationError):
        return " ".join(message for messages_ in exc.message_dict.values() for message in messages_)
    if isinstance(exc, Http404):
        return _("Không tìm thấy kế hoạch.")
    return str(exc) or _("Bạn không có quyền thực hiện thao tác này.")


def _workbench_act(request: HttpRequest, plan) -> dict[str, list[str]]:
    """Bulk accept or waive the chosen children, each through ``plan_act`` in its own transaction.

    Each plan stands alone, as when an officer acts on them one by one: plan_act locks one plan
    (then its process) and commits it with its audit row and notifications, so one commune that
    was returned or submitted meanwhile is refused (409) while the others go through, and no lock
    is held on fourteen plans at once. Every plan's outcome (done, or refused and why) is kept for
    the next page. The idempotency key is the form's batch and the plan: a double click or a
    re-sent form replays the first answers instead of acting twice. Returns the field errors (the
    page answers 400 naming them) or {} once it acted."""
    errors: dict[str, list[str]] = {}
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "").strip()
    chosen = request.POST.getlist("plan")
    if action not in BULK_ACTIONS:
        errors["action"] = [_("Chọn “Chấp nhận” hoặc “Miễn”.")]
    if not chosen:
        errors["plan"] = [_("Chọn ít nhất một kế hoạch.")]
    elif not all(value.isdigit() for value in chosen):
        errors["plan"] = [_("Kế hoạch đã chọn không hợp lệ.")]
    if action == "waive" and not comment:
        errors["comment"] = [_("Cần ghi lý do miễn.")]
    if errors:
        return errors
    batch = request.POST.get("batch", "")
    if not (batch.isalnum() and len(batch) <= 32):
        batch = uuid.uuid4().hex
    children = {child.pk: child for child in selectors.workbench_children(user=request.user, plan=plan)}
    results = []
    for child_id in dict.fromkeys(int(value) for value in chosen):
        child = children.get(child_id)
        row = {"plan": child_id, "unit": child.unit.name if child else str(child_id), "done": False, "reason": ""}
        if child is None:
            row["reason"] = _("Không phải kế hoạch cấp dưới trực tiếp của kế hoạch này.")
        else:
            try:
                services.plan_act(
                    actor=request.user,
                    plan_id=child_id,
                    action=action,
                    comment=comment,
                    idempotency_key=f"workbench-{batch}-{child_id}-{action}",
                )
                row["done"] = True
            except (Conflict, PermissionDenied, ValidationError, Http404) as exc:
                row["reason"] = _refusal(exc)
        results.append(row)
    done = sum(1 for row in results if row["done"])
    label = services.action_label(action)
    request.session[f"workbench-results-{plan.pk}"] = {"action": label, "rows": results}
    if done:
        messages.success(
            request,
            ngettext("%(action)s: đã thực hiện %(n)d kế hoạch.", "%(action)s: đã thực hiện %(n)d kế hoạch.", done)
            % {"action": label, "n": done},
        )
    if done < len(results):
        refused = len(results) - done
        messages.error(
            request,
            ngettext(
                "%(action)s: %(n)d kế hoạch không thực hiện được (xem lý do bên dưới).",
                "%(action)s: %(n)d kế hoạch không thực hiện được (xem lý do bên dưới).",
                refused,
            )
            % {"action": label, "n": refused},
        )
    return {}


@login_required
@require_http_methods(["GET", "POST"])
def workbench(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A parent plan's children: status, round, money, change since last round, the totals row
    (the parent's ``below``); sorted by ``?sort=``; bulk accept and bulk waive (with a reason)."""
    plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    sort = request.GET.get("sort", "")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = _workbench_act(request, plan)
        if not errors:
            url = reverse("workflows:workbench", args=[plan.pk])
            return redirect(f"{url}?{urlencode({'sort': sort})}" if sort else url)
    results = request.session.pop(f"workbench-results-{plan.pk}", None) if request.method == "GET" else None
    sources = plan_selectors.plan_sources(plan)
    bench = selectors.workbench(user=request.user, plan=plan, sources=sources, sort=sort)
    labels = [capfirst(source.short) for source in sources]
    rows = []
    for row in bench["rows"]:
        figures = row["money"]
        change = row["change"]
        rows.append(
            {
                **row,
                "amounts": [_tidy(figures["total"].get(source.code)) for source in sources],
                "figures": money_of(figures),
                "change": None
                if change is None
                else {
                    "since_round": change.since_round,
                    "total": _tidy(change.total),
                    # Only the sources that moved, named by their column header.
                    "by_source": [
                        (label, _tidy(change.by_source[source.code]))
                        for source, label in zip(sources, labels, strict=True)
                        if change.by_source[source.code]
                    ],
                },
            }
        )
    done = sum(1 for row in rows if row["done"])
    other = bench["other_below"]
    column, descending = selectors.workbench_sort_key(sort, sources)
    sort_columns = [
        ("code", _("Mã đơn vị")),
        ("unit", _("Tên đơn vị")),
        ("status", _("Trạng thái")),
        ("round", _("Lần trình")),
        ("total", _("Tổng kinh phí")),
        ("change", _("Thay đổi so với lần trình trước")),
        *((source.code, label) for source, label in zip(sources, labels, strict=True)),
    ]
    response_status = 400 if errors else 200
    return render(
        request,
        "workflows/workbench.html",
        {
            "plan": plan,
            "bulk_statuses": BULK_STATUSES,
            "errors": errors,
            "posted": request.POST if errors else {},
            "chosen": set(request.POST.getlist("plan")) if errors else set(),
            "results": results,
            "batch": uuid.uuid4().hex,
            "sort": f"{'-' if descending else ''}{column}",
            "sort_column": column,
            "sort_descending": descending,
            "sort_options": [
                (f"{prefix}{code}", f"{name} ({direction})")
                for code, name in sort_columns
                for prefix, direction in (("", _("tăng dần")), ("-", _("giảm dần")))
            ],
            "rows": rows,
            "done": done,
            "total": len(rows),
            "percent": round(100 * done / len(rows)) if rows else 0,
            "sources": [(source.code, label) for source, label in zip(sources, labels, strict=True)],
            # The parent's ``below``: what its counted children add up to.
            "below": {
                "amounts": [_tidy(bench["below"].get(source.code)) for source in sources],
                "total": _tidy(bench["below"].get("total")),
            },
            "other_below": None
            if not other.get("total")
            else {"amounts": [_tidy(other.get(source.code)) for source in sources], "total": _tidy(other["total"])},
        },
        status=response_status,
    )

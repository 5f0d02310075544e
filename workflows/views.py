"""Web pages for acting on plans: the inbox, a plan's task page, its history, the workbench."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from approvals import services as approvals
from config.errors import Conflict
from deadlines import clock
from planning import selectors as plan_selectors
from planning.models import PlanStatus, PlanType
from planning.views import money_of
from workflows import routes, selectors, services


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    agency_ids = selectors.agency_ids_of(request.user)
    archived = request.GET.get("archive") == "1"
    if archived:
        items = selectors.archive(user=request.user, agency_ids=agency_ids)
    else:
        items = selectors.inbox(
            user=request.user, filters=selectors.InboxFilters.from_params(request.GET), agency_ids=agency_ids
        )
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    plans = list({item.plan_id: item.plan for item in page}.values())
    money = plan_selectors.plan_money_for(plans)  # a few queries for the whole page
    resolutions = selectors.plan_resolutions_for(plans)
    rows = [(item, money_of(money[item.plan_id]), resolutions.get(item.plan_id)) for item in page]
    return render(
        request,
        "workflows/inbox.html",
        {
            "page": page,
            "rows": rows,
            "now": clock.now(),
            "archived": archived,
            "counts": selectors.inbox_counts(user=request.user, agency_ids=agency_ids),
            "filters": request.GET,
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
        fields = {k: request.POST.get(k) for k in ("resolution_number", "resolution_date") if request.POST.get(k)}
        line_comments = [
            {"line": line, "comment": text.strip()}
            for line, text in zip(request.POST.getlist("line_ref"), request.POST.getlist("line_comment"), strict=False)
            if text.strip()
        ]
        if line_comments:
            fields["line_comments"] = line_comments
        try:
            result = services.plan_act(
                actor=request.user,
                plan_id=plan.pk,
                action=action,
                comment=request.POST.get("comment", ""),
                fields=fields,
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict
            status = 400
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Bạn không có quyền thực hiện thao tác này."))
            status = 403
        except services.PreconditionFailed as exc:
            messages.error(request, str(exc))
            errors = {"blocking": exc.detail}
            status = 409
        except Conflict as exc:
            messages.error(request, str(exc))
            status = 409
        else:
            messages.success(request, _("Đã thực hiện: %(action)s.") % {"action": services.action_label(action)})
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
            "options": services.plan_options(user=request.user, plan=plan),
            "can_edit": plan_selectors.can_edit_content(request.user, plan),
            "comments": [e for e in approvals.history(plan) if e.comment or e.data.get("line_comments")],
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
            "events": approvals.history(plan),
            "rounds": plan_selectors.rounds_of(plan),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def workbench(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A parent plan's children: status, round, totals, change since last round; bulk accept."""
    plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    if request.method == "POST":
        accepted, failed = 0, []
        for child_id in request.POST.getlist("accept"):
            try:
                services.plan_act(actor=request.user, plan_id=int(child_id), action="accept")
                accepted += 1
            except Http404:  # a plan the officer cannot see (or none): named, never revealed
                failed.append(f"{child_id}: {_('Không tìm thấy kế hoạch.')}")
            except (Conflict, PermissionDenied, ValidationError, ValueError) as exc:
                failed.append(f"{child_id}: {exc}")
        if accepted:
            messages.success(
                request,
                ngettext("Đã chấp nhận %(n)d kế hoạch.", "Đã chấp nhận %(n)d kế hoạch.", accepted) % {"n": accepted},
            )
        for failure in failed:
            messages.error(request, failure)
        return redirect("workflows:workbench", plan.pk)
    sources = plan_selectors.plan_sources(plan)
    bench = selectors.workbench(user=request.user, plan=plan, sources=sources)
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
    return render(
        request,
        "workflows/workbench.html",
        {
            "plan": plan,
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
    )

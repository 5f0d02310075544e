"""Deadline pages: the dashboard (per level and unit: on time, at risk, late) and the extension
form. Both are scoped to the caller's tree of units; the extension also checks authority."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from config.db_router import replica_reads
from deadlines import chart, clock, conf, selectors, services
from deadlines.forms import ExtensionForm
from deadlines.workdays import WorkingCalendar
from planning import selectors as plan_selectors
from planning.models import Plan
from workflows import routes


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_GET
@replica_reads
def dashboard(request: HttpRequest) -> HttpResponse:
    cycles = list(selectors.cycles_for(request.user))
    wanted = _int(request.GET.get("cycle"))
    cycle = next((c for c in cycles if c.pk == wanted), cycles[0] if cycles else None)
    plan_types = selectors.plan_type_choices(cycle)
    plan_type = request.GET.get("type") or ""
    if plan_type not in {value for value, _label in plan_types}:
        plan_type = selectors.busiest_plan_type(user=request.user, cycle=cycle) if cycle else ""
    calendar = WorkingCalendar.load()
    levels = (
        selectors.dashboard(user=request.user, cycle=cycle, plan_type=plan_type, calendar=calendar) if cycle else []
    )
    provinces = {selectors.province_id_of(row.plan) for level in levels for row in level.rows}
    calendar_rows = (
        selectors.cycle_milestones(
            cycle=cycle,
            plan_type=plan_type,
            province_id=provinces.pop() if len(provinces) == 1 else None,
            calendar=calendar,
        )
        if cycle and plan_type
        else []
    )
    return render(
        request,
        "deadlines/dashboard.html",
        {
            "cycles": cycles,
            "cycle": cycle,
            "plan_types": plan_types,
            "plan_type": plan_type,
            "levels": levels,
            "chart": chart.build(levels),
            "milestones": calendar_rows,
            "today": clock.today(),
            "at_risk_days": conf.at_risk_days(),
            "query": urlencode({"cycle": cycle.pk if cycle else "", "type": plan_type}),
        },
    )


def _plan_for(request: HttpRequest, plan_id: int) -> Plan:
    if request.user.is_superuser:
        plan = Plan.objects.select_related("unit__parent", "cycle__period").filter(pk=plan_id).first()
        if plan is None:
            raise Http404
        return plan
    return plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)


@login_required
@require_http_methods(["GET", "POST"])
def extend(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_for(request, plan_id)
    authority = selectors.extension_authority(user=request.user, plan=plan)
    if not authority.allowed:
        raise PermissionDenied(_("Chỉ lãnh đạo cơ quan thường trực cấp trên hoặc quản trị viên mới được gia hạn."))
    step = request.POST.get("step") or request.GET.get("step") or selectors.current_step(plan)
    if step not in routes.steps_for(plan):
        raise Http404
    calendar = WorkingCalendar.load()
    items = list(selectors.open_items_for(plan=plan, step=step))
    current = next((item.due_at for item in items if item.due_at), None)
    current_day = (
        selectors.timezone_date(current) if current else selectors.deadline_of(plan=plan, step=step, calendar=calendar)
    )
    back = f"{reverse('deadlines:dashboard')}?{urlencode({'cycle': plan.cycle_id, 'type': plan.plan_type})}"
    form = ExtensionForm(request.POST or None, initial={"step": step})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                extension = services.deadline_extend(
                    actor=request.user,
                    plan_id=plan.pk,
                    step=step,
                    due_on=form.cleaned_data["due_on"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("Đã gia hạn cho %(unit)s đến hết ngày %(date)s.")
                    % {"unit": plan.unit.name, "date": f"{extension.due_on:%d/%m/%Y}"},
                )
                return redirect(back)
        status = 400
    return render(
        request,
        "deadlines/extend.html",
        {
            "plan": plan,
            "form": form,
            "step_title": routes.step_spec(step).title,
            "current_day": current_day,
            "extensions": plan.deadline_extensions.filter(step=step).select_related("extended_by").order_by("-id"),
            "back": back,
        },
        status=status,
    )

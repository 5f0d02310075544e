from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from directory import selectors
from directory.models import Structure

RECENT_NOTIFICATIONS = 5


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The officer's landing page: what needs them now (their open tasks by step, overdue first,
    the soonest due), their latest notifications, then who they are, for which agency and unit,
    in which role."""
    from notifications import selectors as notifications  # apps above directory, read only here
    from workflows import selectors as workflows

    memberships = selectors.memberships_of(request.user)
    delegations = selectors.delegations_active_for(deputy=request.user)  # on the application's today
    language = translation.get_language()
    recent = [(n, n.text_for(language)) for n in notifications.notifications_for(request.user)[:RECENT_NOTIFICATIONS]]
    return render(
        request,
        "directory/home.html",
        {
            "memberships": memberships,
            "delegations": delegations,
            "work": workflows.needs_me_now(user=request.user),
            "recent": recent,
            "unread": notifications.unread_count(request.user),
        },
    )


@login_required
def unit_detail(request: HttpRequest, structure: str, code: str) -> HttpResponse:
    """One unit: its place in the tree, both sides of the 1 July 2025 conversion, and the plans
    of the unit and of the units it came from that the caller may see.

    Units are reference data every officer may read; the plans come from
    ``planning.selectors.plan_list``, so the caller's scope (with its history: an officer of a
    new commune sees its former communes' plans) decides which appear, and each plan page
    checks again.
    """
    from planning.selectors import plan_list  # planning depends on directory, not the reverse

    if structure not in Structure.values:
        raise Http404
    unit = selectors.unit_get(code=code, structure=structure)
    successors = list(selectors.unit_successors(unit))
    predecessors = list(selectors.unit_predecessors(unit))
    plans = (
        plan_list(user=request.user)
        .filter(unit__in=[unit, *predecessors])
        .select_related("unit")
        .order_by("-cycle__year", "plan_type", "unit__code")
    )
    return render(
        request,
        "directory/unit.html",
        {
            "unit": unit,
            "ancestors": list(reversed(unit.ancestors())),
            "successors": successors,
            "predecessors": predecessors,
            "plans": plans,
        },
    )

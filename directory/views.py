from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from directory import selectors
from directory.models import Structure


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The officer's landing page: who they are, for which agency and unit, in which role."""
    memberships = selectors.memberships_of(request.user)
    delegations = selectors.delegations_active_for(deputy=request.user)  # on the application's today
    return render(request, "directory/home.html", {"memberships": memberships, "delegations": delegations})


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

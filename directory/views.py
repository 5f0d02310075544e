from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from directory import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The officer's landing page: who they are, for which agency and unit, in which role."""
    memberships = selectors.memberships_of(request.user)
    delegations = selectors.delegations_active_for(deputy=request.user, on=timezone.localdate())
    return render(request, "directory/home.html", {"memberships": memberships, "delegations": delegations})

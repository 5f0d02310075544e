"""The notification centre pages, under /notifications/ (notifications/urls.py).

Reads go through ``notifications.selectors`` (the officer's own rows only: another officer's id
is a 404), writes through ``notifications.services``. Every write is a POST with CSRF.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import selectors, services
from notifications.forms import EmailPreferenceForm

PAGE_SIZE = 30


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` if it points inside this site, else the notification centre."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("notifications:list")


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The officer's notifications, newest first, one page at a time (3 queries: count, rows, bell)."""
    page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    # The text follows the language the page is shown in; both are stored.
    language = translation.get_language()
    rows = [(n, n.text_for(language)) for n in page.object_list]
    return render(request, "notifications/list.html", {"page": page, "rows": rows})


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponseRedirect:
    notification = selectors.notification_get_for_user(request.user, notification_id)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect(_safe_next(request, request.POST.get("next")))


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponseRedirect:
    """Mark read and follow the notification's link (a POST, so reading cannot be forged)."""
    notification = selectors.notification_get_for_user(request.user, notification_id)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect(_safe_next(request, notification.link))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponseRedirect:
    updated = services.notifications_mark_read(user=request.user, all_unread=True)
    if updated:
        messages.success(
            request,
            ngettext(
                "Đã đánh dấu %(count)d thông báo là đã đọc.", "Đã đánh dấu %(count)d thông báo là đã đọc.", updated
            )
            % {"count": updated},
        )
    return redirect(_safe_next(request, request.POST.get("next")))


@login_required
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest) -> HttpResponse:
    preference = selectors.email_preference_for(request.user)
    form = EmailPreferenceForm(
        request.POST or None, initial={"mode": preference.mode, "digest_hour": preference.digest_hour}
    )
    if request.method == "POST" and form.is_valid():
        services.email_preference_set(
            user=request.user, mode=form.cleaned_data["mode"], digest_hour=form.cleaned_data["digest_hour"]
        )
        messages.success(request, _("Đã lưu tùy chọn thư điện tử."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})

"""The home page says what needs the officer now: their open tasks counted by step with the
overdue ones first, the soonest due tasks linked to their task pages, and their latest
notifications; the table of agencies and roles is folded lower on the page.

Persona: the head of Phong Thổ's labour office (``D_HEAD``), who drafts the district's 2023 plan
and reviews its communes' plans; the commune of Sin Suối Hồ submits one."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from deadlines import clock
from directory.models import User
from notifications.models import Notification
from tests.complete import complete
from tests.workflows.conftest import C_HEAD, D_HEAD, plan_of
from workflows import services
from workflows.models import WorkItem

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def test_home_lists_what_needs_the_officer_now_overdue_first_and_the_latest_notifications(demo, client):
    commune = complete(plan_of("03592"))
    services.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=commune.pk, action="submit")
    head = User.objects.get(username=D_HEAD)
    # The review is due in a week; the district's own draft is overdue (the 2023 calendar).
    WorkItem.objects.filter(plan=commune, is_open=True).update(due_at=clock.now() + dt.timedelta(days=7))
    draft = WorkItem.objects.get(plan=plan_of("109"), is_open=True)
    assert draft.due_at < clock.now()

    client.force_login(head, backend=MODEL_BACKEND)
    page = client.get(reverse("home")).content.decode()
    needs = page.split('data-testid="needs-me"', 1)[1].split("</section>", 1)[0]
    assert "2 việc đang chờ bạn" in needs and "1 việc quá hạn" in needs
    assert f'href="{reverse("workflows:inbox")}?overdue=1"' in needs
    steps = re.findall(r'<tr data-step="(\w+)"( class="overdue")?>', needs)
    assert steps == [("draft", ' class="overdue"'), ("review", "")]
    assert f'href="{reverse("workflows:inbox")}?step=review"' in needs
    soonest = re.findall(r'<a href="/plans/(\d+)/task/">', needs.split('data-testid="soonest"', 1)[1])
    assert soonest == [str(plan_of("109").pk), str(commune.pk)]  # the overdue one first

    recent = page.split('data-testid="recent-notifications"', 1)[1].split("</section>", 1)[0]
    latest = Notification.objects.filter(recipient=head).order_by("-id").first()
    assert latest is not None and latest.plan_id == commune.pk
    assert latest.text_for("vi") in recent
    assert f'action="{reverse("notifications:open", args=[latest.pk])}"' in recent
    # Who the officer is comes after, folded.
    assert page.index('data-testid="needs-me"') < page.index("<details") < page.index('data-testid="memberships"')


def test_home_says_so_when_nothing_waits(demo, client):
    client.force_login(User.objects.get(username="t3-p12-planning-head"), backend=MODEL_BACKEND)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="nothing-open"' in page and "Không có việc nào đang chờ bạn." in page

"""``{% demo_clock_hint cycle %}``: in the demo, on a cycle whose open work is overdue under the
demo clock (the 2023 cycle, seen today), say that the clock can be moved and how
(``manage.py cycle_clock``, deadlines/clock.py). Nothing in production."""

from __future__ import annotations

import datetime as dt

from django import template
from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from deadlines import clock
from workflows.models import WorkItem

register = template.Library()

# Moved to a week before the first overdue task: the cycle is live, its tasks on time.
LEAD = dt.timedelta(days=7)


@register.inclusion_tag("workflows/_demo_clock.html")
def demo_clock_hint(cycle) -> dict:
    if not settings.DEMO or getattr(settings, "PRODUCTION", False) or cycle is None:
        return {"show": False}
    # Two queries whether it shows or not (the offset, the first overdue task): pages that
    # count their queries stay constant.
    now = timezone.now() + clock.offset()
    first = WorkItem.objects.filter(plan__cycle=cycle, is_open=True, due_at__lt=now).aggregate(first=Min("due_at"))
    if first["first"] is None:
        return {"show": False}
    return {
        "show": True,
        "cycle": cycle,
        "today": timezone.localdate(now),
        "suggest": timezone.localdate(first["first"] - LEAD),
    }

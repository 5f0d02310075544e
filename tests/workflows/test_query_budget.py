"""Query-count budgets: the inbox and the workbench cost the same number of queries whatever
the number of tasks or children."""

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deadlines import clock
from directory.demo import DEMO_PASSWORD
from directory.models import User
from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import D_HEAD, plan_of
from workflows import selectors, services
from workflows.models import WorkItem


def submit_communes(n: int) -> None:
    district = plan_of("109")
    drafts = Plan.objects.filter(parent=district, status="draft").select_related("unit").order_by("unit__code")
    for plan in drafts[:n]:
        head = User.objects.get(username=f"t3-c{plan.unit.code}-ubnd-head")
        complete(plan)
        services.plan_act(actor=head, plan_id=plan.pk, action="submit")


def count(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_inbox_query_count_does_not_grow_with_tasks(as_user, client):
    reviewer = as_user(D_HEAD)
    client.post(reverse("login"), {"username": D_HEAD, "password": DEMO_PASSWORD})
    submit_communes(2)
    api_small, response = count(reviewer.client, "/api/v1/tasks/")
    assert len(response.json()["results"]) == 3  # two reviews and the district's own draft
    # The first page of a process reads the periods' funding sources (kept per process:
    # planning.selectors.sources_of_periods); every later one costs the same.
    client.get(reverse("workflows:inbox"))
    page_small, _ = count(client, reverse("workflows:inbox"))
    submit_communes(15)
    api_large, response = count(reviewer.client, "/api/v1/tasks/")
    assert len(response.json()["results"]) == 18
    page_large, _ = count(client, reverse("workflows:inbox"))
    assert api_small == api_large
    assert page_small == page_large
    assert api_large <= 8
    assert page_large <= 8


def session_writes(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]


def test_inbox_page_costs_eight_queries_and_leaves_the_session_unwritten(as_user, client):
    """The session and the officer; the demo clock's offset (once); what the officer holds
    (directory.authority); the page of tasks, which counts the list and its overdue tasks and
    carries each plan's resolution; the plans' own sums; the sums below the district's plan;
    the bell. The page after sign-in is within the minute of its last-seen stamp
    (config/sessions.py): it writes no session."""
    client.post(reverse("login"), {"username": D_HEAD, "password": DEMO_PASSWORD})
    submit_communes(2)
    # A first page: the session's stamp, had the minute passed since the sign-in, and the
    # process's copy of the funding sources (planning.selectors.sources_of_periods).
    client.get(reverse("workflows:inbox"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("workflows:inbox"))
    assert response.status_code == 200
    assert len(ctx.captured_queries) <= 8, [q["sql"][:120] for q in ctx.captured_queries]
    assert session_writes(ctx) == []
    assert sum("django_session" in q["sql"] for q in ctx.captured_queries) == 1
    assert sum('FROM "deadlines_clockoffset"' in q["sql"] for q in ctx.captured_queries) <= 1


def badges(content: str) -> tuple[int, int | None]:
    """(open tasks on the tab, overdue tasks beside the filter's checkbox: None in the archive,
    which has no filter bar) as the page shows them."""
    total = re.search(r'data-testid="inbox-count">(\d+)<', content)
    overdue = re.search(r"Quá hạn\s*\((\d+)\)", content)
    assert total, content[:500]
    return int(total.group(1)), int(overdue.group(1)) if overdue else None


def test_inbox_counts_are_the_officers_open_tasks_filtered_or_not(as_user, client):
    """Unfiltered, the page's own query counts the tab (a window over the list); filtered or
    searched, selectors.inbox_counts does: the same numbers either way."""
    reviewer = User.objects.get(username=D_HEAD)
    client.post(reverse("login"), {"username": D_HEAD, "password": DEMO_PASSWORD})
    submit_communes(3)
    mine = selectors.inbox(user=reviewer).order_by("pk")
    late = list(mine.values_list("pk", flat=True)[:2])
    WorkItem.objects.filter(pk__in=late).update(due_at=clock.now() - dt.timedelta(days=1))
    expected = selectors.inbox_counts(user=reviewer, agency_ids=selectors.agency_ids_of(reviewer))
    assert (expected["total"], expected["overdue"]) == (4, 2)
    url = reverse("workflows:inbox")
    plain = client.get(url).content.decode()
    assert badges(plain) == (4, 2)
    assert plain.count('class="overdue"') == 2
    assert plain.count("data-plan=") == 4
    for params in ({"step": "review"}, {"q": "Phong Thổ"}, {"type": "annual"}):
        assert badges(client.get(url, params).content.decode()) == (4, 2), params
    assert badges(client.get(url, {"archive": "1"}).content.decode()) == (4, None)
    overdue_only = client.get(url, {"overdue": "1"}).content.decode()
    assert badges(overdue_only) == (4, 2)
    assert overdue_only.count("data-plan=") == 2


def test_workbench_query_count_does_not_grow_with_children(as_user, client):
    submit_communes(17)
    client.post(reverse("login"), {"username": "t3-p12-labour-head", "password": DEMO_PASSWORD})
    province_queries, page = count(client, reverse("workflows:workbench", args=[plan_of("12").pk]))
    assert page.content.decode().count('class="status') == 1  # one child: the district
    client.post(reverse("login"), {"username": D_HEAD, "password": DEMO_PASSWORD})
    district_queries, page = count(client, reverse("workflows:workbench", args=[plan_of("109").pk]))
    assert page.content.decode().count('class="status') == 17
    # Two-tier Lai Châu's 2027 plan over its six communes costs what Phong Thổ's over 17 costs.
    standing = User.objects.get(username="t2-p12-agri-head")  # Sở NN&MT, the standing agency
    client.force_login(standing, backend="django.contrib.auth.backends.ModelBackend")
    # The first page after a forced login stamps the session's last-seen time (a write at most
    # once a minute, config/sessions.py), as the form login's redirect did for the others.
    client.get(reverse("home"))
    two_tier = plan_of("12", year=2027, structure="two-tier")
    two_tier_queries, page = count(client, reverse("workflows:workbench", args=[two_tier.pk]))
    assert page.content.decode().count('class="status') == Plan.objects.filter(parent=two_tier).count() == 6
    assert two_tier_queries == district_queries
    # Each child's figure includes the plans below it (selectors.plan_money_for): the sums below
    # the page's district and province plans are one statement, so the province's page (its own
    # plan and a district child) costs what the district's does, whatever the communes below.
    assert province_queries == district_queries

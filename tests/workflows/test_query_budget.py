"""Query-count budgets: the inbox and the workbench cost the same number of queries whatever
the number of tasks or children."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.demo import DEMO_PASSWORD
from directory.models import User
from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import D_HEAD, plan_of
from workflows import services


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
    page_small, _ = count(client, reverse("workflows:inbox"))
    submit_communes(15)
    api_large, response = count(reviewer.client, "/api/v1/tasks/")
    assert len(response.json()["results"]) == 18
    page_large, _ = count(client, reverse("workflows:inbox"))
    assert api_small == api_large
    assert page_small == page_large
    assert api_large <= 8


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
    # Each child's figure includes the plans below it (selectors.plan_money_for): a district
    # child's take one more sum, whatever the number of communes below it.
    assert province_queries == district_queries + 1

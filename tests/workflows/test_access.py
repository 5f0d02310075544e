"""Outsiders: 404 for plans outside their tree on every endpoint; 403 where the role may not act;
and viewflow's own pages closed (process, task, dashboard, lists)."""

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from directory.models import AdministrativeUnit
from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_DRAFTER, D_HEAD, OUTSIDER, plan_of
from workflows.models import WorkItem


@pytest.fixture
def submitted(as_user):
    commune = complete(plan_of("03592"))
    as_user(C_HEAD).act(commune, "submit")
    return commune


def test_outsider_gets_404_on_every_workflow_endpoint(submitted, as_user):
    outsider = as_user(OUTSIDER)
    assert outsider.client.get(f"/api/v1/plans/{submitted.pk}/actions/").status_code == 404
    assert outsider.client.get(f"/api/v1/plans/{submitted.pk}/history/").status_code == 404
    for action in ("accept", "return", "submit", "waive", "approve"):
        response = outsider.client.post(
            f"/api/v1/plans/{submitted.pk}/actions/{action}/", {"comment": "x"}, format="json"
        )
        assert response.status_code == 404, action
    assert submitted.pk not in {t["plan"] for t in outsider.inbox()}
    # The outsider's archive holds only its own unit's work (its 2027 plan in the demo).
    archived = {t["plan"] for t in outsider.client.get("/api/v1/tasks/", {"archive": "1"}).json()["results"]}
    assert submitted.pk not in archived
    own_units = AdministrativeUnit.objects.filter(agencies__memberships__user__username=OUTSIDER)
    assert not Plan.objects.filter(pk__in=archived).exclude(unit__in=own_units).exists()


def test_a_visible_plan_where_the_role_may_not_act_is_403(submitted, as_user):
    # The district drafter sees the commune's plan but only the head decides.
    response = as_user(D_DRAFTER).client.post(f"/api/v1/plans/{submitted.pk}/actions/accept/", {}, format="json")
    assert response.status_code == 403
    # The commune cannot accept its own plan: that action is the district's.
    assert (
        as_user(C_DRAFTER).client.post(f"/api/v1/plans/{submitted.pk}/actions/accept/", {}, format="json").status_code
        == 403
    )


def test_an_action_the_state_does_not_allow_is_409(submitted, as_user):
    assert (
        as_user(C_HEAD).client.post(f"/api/v1/plans/{submitted.pk}/actions/submit/", {}, format="json").status_code
        == 409
    )
    assert (
        as_user(D_HEAD).client.post(f"/api/v1/plans/{submitted.pk}/actions/approve/", {}, format="json").status_code
        == 409
    )
    assert (
        as_user(D_HEAD).client.post(f"/api/v1/plans/{submitted.pk}/actions/frobnicate/", {}, format="json").status_code
        == 400
    )


def test_unauthenticated_api_is_refused(demo, api):
    assert api.get("/api/v1/tasks/").status_code in (401, 403)
    assert api.post("/api/v1/plans/1/actions/submit/", {}).status_code in (401, 403)


def login(client, username):
    from directory.demo import DEMO_PASSWORD

    client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    return client


def test_outsider_web_pages_are_404(submitted, client):
    login(client, OUTSIDER)
    for name in ("workflows:plan-task", "workflows:plan-history", "workflows:workbench"):
        assert client.get(reverse(name, args=[submitted.pk])).status_code == 404, name
    assert client.post(reverse("workflows:plan-task", args=[submitted.pk]), {"action": "accept"}).status_code == 404
    page = client.get(reverse("workflows:inbox")).content.decode()
    assert "Sin Suối Hồ" not in page


def test_viewflow_own_pages_are_closed_to_agency_officers(submitted, client):
    item = WorkItem.objects.get(plan=submitted, is_open=True)
    task = Task.objects.get(pk=item.task_id)
    process_id = task.process_id
    base = "/workflow/plan"
    step = task.flow_task.name
    urls = [
        "/workflow/",
        f"{base}/",
        f"{base}/inbox/",
        f"{base}/queue/",
        f"{base}/archive/",
        f"{base}/flows/",
        f"{base}/tasks/",
        f"{base}/chart/",
        f"{base}/{process_id}/",
        f"{base}/{process_id}/chart/",
        f"{base}/{process_id}/{step}/{task.pk}/",
        f"{base}/{process_id}/{step}/{task.pk}/detail/",
        f"{base}/{process_id}/{step}/{task.pk}/execute/",
        f"{base}/{process_id}/{step}/{task.pk}/assign/",
    ]
    for username in (OUTSIDER, D_DRAFTER):
        client.logout()
        login(client, username)
        for url in urls:
            response = client.get(url, follow=True)  # /workflow/ redirects to its (closed) index
            assert response.status_code in (403, 404), (username, url, response.status_code)
            assert "Sin Suối Hồ" not in response.content.decode(), (username, url)


def test_the_admin_cannot_change_a_plans_state(submitted, client):
    from directory.models import User

    User.objects.filter(username="admin").update(is_superuser=True, is_staff=True)
    login(client, "admin")
    page = client.get(f"/admin/planning/plan/{submitted.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    client.post(f"/admin/planning/plan/{submitted.pk}/change/", {"status": "approved"})
    assert plan_of("03592").status == "submitted"
    assert client.get(f"/admin/approvals/auditevent/{submitted.events.first().pk}/delete/").status_code == 403

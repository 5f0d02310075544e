"""Memberships change only through the services (``membership_add``, ``membership_remove``,
``membership_change_role``), whoever changes them — the service itself or the admin's real
POSTs (change page, delete page, the list's "delete selected", the inline on an officer) — and
the agency's guardian group follows: a removed officer loses sight of the unit's plans at once
(plan list, plan API, inbox), a role change moves what the officer may do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from directory import services
from directory.models import Agency, AgencyKind, Delegation, Membership, Role, Structure, User
from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_HEAD, plan_of
from workflows import services as workflows
from workflows.models import WorkItem


@pytest.fixture
def admin_user(demo) -> User:
    return User.objects.get(username="admin")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def committee(demo) -> Agency:
    """Ủy ban nhân dân xã Sin Suối Hồ (three-tier), where the commune's 2023 plan is drafted."""
    return Agency.objects.get(
        unit__structure=Structure.THREE_TIER, unit__code="03592", kind=AgencyKind.PEOPLE_COMMITTEE
    )


@pytest.fixture
def commune_plan(demo) -> Plan:
    return plan_of("03592")


def _membership(username: str, agency: Agency | None = None) -> Membership:
    memberships = Membership.objects.filter(user__username=username)
    if agency is not None:
        memberships = memberships.filter(agency=agency)
    return memberships.get()


def _sees(username: str, plan: Plan, login_api) -> dict[str, bool]:
    """What the officer sees of the plan, on every surface: the plan list page, the plan's page,
    the plan's API detail, the web inbox and the API inbox."""
    web = Client()
    web.force_login(User.objects.get(username=username))
    api = login_api(username)
    listing = web.get("/plans/", {"cycle": plan.cycle_id, "plan_type": plan.plan_type})
    inbox = web.get("/inbox/")
    assert (listing.status_code, inbox.status_code) == (200, 200)
    return {
        "list": plan.pk in {listed.pk for listed, _money in listing.context["rows"]},
        "page": web.get(f"/plans/{plan.pk}/").status_code == 200,
        "api": api.get(f"/api/v1/plans/{plan.pk}/").status_code == 200,
        "inbox": plan.pk in {item.plan_id for item, _money, _res in inbox.context["rows"]},
        "api_inbox": plan.pk in {t["plan"] for t in api.get("/api/v1/tasks/").json()["results"]},
    }


SEES_ALL = {"list": True, "page": True, "api": True, "inbox": True, "api_inbox": True}
SEES_NOTHING = dict.fromkeys(SEES_ALL, False)


@pytest.fixture
def sees(login_api):
    return lambda username, plan: _sees(username, plan, login_api)


# --- removal -----------------------------------------------------------------------------------


def test_a_removed_officer_loses_sight_of_the_plans_at_once(commune_plan, committee, admin_user, sees, login_api):
    assert sees(C_DRAFTER, commune_plan) == SEES_ALL
    membership = _membership(C_DRAFTER, committee)

    services.membership_remove(actor=admin_user, membership=membership)

    assert sees(C_DRAFTER, commune_plan) == SEES_NOTHING
    assert login_api(C_DRAFTER).get(f"/api/v1/plans/{commune_plan.pk}/").status_code == 404
    drafter = User.objects.get(username=C_DRAFTER)
    assert not drafter.groups.filter(pk=committee.group_id).exists()
    assert not Membership.objects.filter(user=drafter).exists()


def test_a_removed_head_can_no_longer_act_on_the_plans_below(commune_plan, admin_user, login_api):
    complete(commune_plan)
    workflows.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=commune_plan.pk, action="submit")
    head = login_api(D_HEAD)
    assert head.get(f"/api/v1/plans/{commune_plan.pk}/").status_code == 200

    for membership in Membership.objects.filter(user__username=D_HEAD):
        services.membership_remove(actor=admin_user, membership=membership)

    response = head.post(f"/api/v1/plans/{commune_plan.pk}/actions/accept/", {}, format="json")
    assert response.status_code == 404
    assert Plan.objects.get(pk=commune_plan.pk).status == "submitted"


def test_the_group_stays_while_another_role_in_the_same_agency_remains(committee, admin_user, demo):
    officer = User.objects.create_user(username="two-roles", full_name="Lò Thị Hoa")
    services.membership_add(user=officer, agency=committee, role=Role.DRAFTER)
    head = services.membership_add(user=officer, agency=committee, role=Role.HEAD, title="Phó Chủ tịch")

    services.membership_remove(actor=admin_user, membership=head)
    assert officer.groups.filter(pk=committee.group_id).exists()

    services.membership_remove(actor=admin_user, membership=_membership("two-roles"))
    assert not officer.groups.filter(pk=committee.group_id).exists()


def test_removing_a_membership_twice_changes_nothing_the_second_time(committee, admin_user):
    membership = _membership(C_DRAFTER, committee)
    services.membership_remove(actor=admin_user, membership=membership)
    services.membership_remove(actor=admin_user, membership=membership)
    assert not Membership.objects.filter(user__username=C_DRAFTER).exists()


def test_a_task_assigned_to_the_removed_officer_goes_back_to_the_agency(commune_plan, committee, admin_user):
    """A returned plan goes to its last editor; once they leave, the agency's inbox holds it."""
    drafter = User.objects.get(username=C_DRAFTER)
    complete(commune_plan, actor=drafter)
    workflows.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=commune_plan.pk, action="submit")
    workflows.plan_act(
        actor=User.objects.get(username=D_HEAD), plan_id=commune_plan.pk, action="return", comment="Bổ sung"
    )
    (item,) = WorkItem.objects.filter(plan=commune_plan, is_open=True)
    assert item.assignee == drafter

    services.membership_remove(actor=admin_user, membership=_membership(C_DRAFTER, committee))

    item.refresh_from_db()
    item.task.refresh_from_db()
    assert item.assignee is None and item.task.owner_id is None
    assert item.agency == committee
    # The head still in the agency submits it again.
    result = workflows.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=commune_plan.pk, action="submit")
    assert result["status"] == "submitted"


def test_a_return_never_assigns_the_task_to_an_officer_who_left(commune_plan, committee, admin_user):
    drafter = User.objects.get(username=C_DRAFTER)
    complete(commune_plan, actor=drafter)
    workflows.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=commune_plan.pk, action="submit")
    services.membership_remove(actor=admin_user, membership=_membership(C_DRAFTER, committee))

    workflows.plan_act(
        actor=User.objects.get(username=D_HEAD), plan_id=commune_plan.pk, action="return", comment="Bổ sung"
    )

    (item,) = WorkItem.objects.filter(plan=commune_plan, is_open=True)
    assert item.assignee is None and item.agency == committee


def test_the_removed_officers_delegations_in_the_agency_end(committee, admin_user):
    today = timezone.localdate()
    drafter, head = User.objects.get(username=C_DRAFTER), User.objects.get(username=C_HEAD)
    running = services.delegation_create(
        actor=admin_user,
        agency=committee,
        principal=head,
        deputy=drafter,
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=10),
        reason="Chủ tịch đi công tác",
    )
    future = services.delegation_create(
        actor=admin_user,
        agency=committee,
        principal=head,
        deputy=drafter,
        starts_on=today + dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=30),
        reason="Chủ tịch nghỉ phép",
    )

    services.membership_remove(actor=admin_user, membership=_membership(C_DRAFTER, committee))

    running.refresh_from_db()
    assert running.ends_on == today - dt.timedelta(days=1)  # the days already past stay on record
    assert not Delegation.objects.filter(pk=future.pk).exists()
    assert not Delegation.objects.filter(deputy=drafter, starts_on__lte=today, ends_on__gte=today).exists()


# --- role change -------------------------------------------------------------------------------


def test_a_role_change_moves_the_permissions(commune_plan, committee, admin_user):
    complete(commune_plan)
    drafter = User.objects.get(username=C_DRAFTER)
    head = User.objects.get(username=C_HEAD)
    assert "submit" not in {o.action for o in workflows.actions_for_user(user=drafter, plan=commune_plan)}

    services.membership_change_role(
        actor=admin_user, membership=_membership(C_DRAFTER, committee), role=Role.HEAD, title="Phó Chủ tịch"
    )
    services.membership_change_role(actor=admin_user, membership=_membership(C_HEAD, committee), role=Role.DRAFTER)

    assert "submit" in {o.action for o in workflows.actions_for_user(user=drafter, plan=commune_plan)}
    with pytest.raises(PermissionDenied):
        workflows.plan_act(actor=head, plan_id=commune_plan.pk, action="submit")
    assert workflows.plan_act(actor=drafter, plan_id=commune_plan.pk, action="submit")["status"] == "submitted"
    # Both still belong to the agency: they keep its group (every role of an agency implies it).
    assert drafter.groups.filter(pk=committee.group_id).exists()
    assert head.groups.filter(pk=committee.group_id).exists()
    assert _membership(C_HEAD, committee).title == "Chủ tịch"  # a title given is kept when none is passed


@pytest.mark.parametrize("title", ["", "  "])
def test_a_role_change_to_head_without_a_title_is_refused(committee, admin_user, title):
    membership = _membership(C_DRAFTER, committee)
    with pytest.raises(ValidationError) as error:
        services.membership_change_role(actor=admin_user, membership=membership, role=Role.HEAD, title=title)
    assert set(error.value.message_dict) == {"title"}
    membership.refresh_from_db()
    assert membership.role == Role.DRAFTER


def test_a_role_change_to_a_role_already_held_or_unknown_is_refused_naming_the_role(committee, admin_user):
    officer = User.objects.create_user(username="two-roles", full_name="Lò Thị Hoa")
    drafter = services.membership_add(user=officer, agency=committee, role=Role.DRAFTER)
    services.membership_add(user=officer, agency=committee, role=Role.HEAD, title="Phó Chủ tịch")
    for role in (Role.HEAD, "emperor"):
        with pytest.raises(ValidationError) as error:
            services.membership_change_role(actor=admin_user, membership=drafter, role=role, title="Phó Chủ tịch")
        assert set(error.value.message_dict) == {"role"}


# --- the admin's real POSTs --------------------------------------------------------------------


def test_the_admins_delete_page_removes_through_the_service(admin_client, commune_plan, committee, sees):
    membership = _membership(C_DRAFTER, committee)
    response = admin_client.post(f"/admin/directory/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert sees(C_DRAFTER, commune_plan) == SEES_NOTHING


def test_the_admins_delete_selected_action_removes_through_the_service(admin_client, commune_plan, committee, sees):
    memberships = [_membership(C_DRAFTER, committee), _membership(C_HEAD, committee)]
    response = admin_client.post(
        "/admin/directory/membership/",
        {"action": "delete_selected", "_selected_action": [m.pk for m in memberships], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk__in=[m.pk for m in memberships]).exists()
    assert sees(C_DRAFTER, commune_plan) == SEES_NOTHING
    assert sees(C_HEAD, commune_plan)["api"] is False


def test_the_admins_add_page_grants_the_agency_group(admin_client, committee, commune_plan, sees):
    officer = User.objects.create_user(username="newcomer", full_name="Giàng Thị Mai")
    response = admin_client.post(
        "/admin/directory/membership/add/",
        {"user": officer.pk, "agency": committee.pk, "role": Role.DRAFTER, "title": ""},
    )
    assert response.status_code == 302
    assert officer.groups.filter(pk=committee.group_id).exists()
    assert sees("newcomer", commune_plan) == SEES_ALL


def test_the_admins_change_page_moves_a_membership_to_another_agency(admin_client, committee, commune_plan, sees):
    """Another agency on the change page: out of the old agency's group, into the new one's."""
    other = Agency.objects.get(unit__structure=Structure.TWO_TIER, unit__code="03388", kind=AgencyKind.PEOPLE_COMMITTEE)
    membership = _membership(C_DRAFTER, committee)
    response = admin_client.post(
        f"/admin/directory/membership/{membership.pk}/change/",
        {"user": membership.user_id, "agency": other.pk, "role": Role.DRAFTER, "title": ""},
    )
    assert response.status_code == 302
    drafter = User.objects.get(username=C_DRAFTER)
    assert set(drafter.groups.filter(agency__isnull=False).values_list("pk", flat=True)) == {other.group_id}
    assert sees(C_DRAFTER, commune_plan) == SEES_NOTHING


def test_the_admins_change_page_changes_the_role_and_refuses_a_head_without_title(admin_client, committee):
    membership = _membership(C_DRAFTER, committee)
    url = f"/admin/directory/membership/{membership.pk}/change/"
    data = {"user": membership.user_id, "agency": committee.pk, "role": Role.HEAD, "title": ""}
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert list(refused.context["adminform"].form.errors) == ["title"]
    assert Membership.objects.get(pk=membership.pk).role == Role.DRAFTER

    assert admin_client.post(url, {**data, "title": "Phó Chủ tịch"}).status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.title) == (Role.HEAD, "Phó Chủ tịch")


def _user_change_data(admin_client, user: User) -> dict:
    """The officer's change form as the browser would post it back unchanged."""
    page = admin_client.get(f"/admin/directory/user/{user.pk}/change/")
    assert page.status_code == 200
    data = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or name == "password":
            continue
        if isinstance(value, list | tuple | set) or hasattr(value, "all"):
            # A multiple select posts back only what it renders: the choices of its queryset.
            offered = set(field.queryset.values_list("pk", flat=True))
            chosen = [getattr(v, "pk", v) for v in (value.all() if hasattr(value, "all") else value)]
            value = [pk for pk in chosen if pk in offered]
        if isinstance(value, dt.datetime):
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
            continue
        data[name] = value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, management[name].value())
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[f"{inline_form.prefix}-{name}"] = value
    return data


def test_the_inline_on_the_officer_removes_through_the_service(admin_client, commune_plan, committee, sees):
    drafter = User.objects.get(username=C_DRAFTER)
    data = _user_change_data(admin_client, drafter)
    membership = _membership(C_DRAFTER, committee)
    (prefix,) = [k[: -len("-id")] for k, v in data.items() if k.endswith("-id") and str(v) == str(membership.pk)]
    data[f"{prefix}-DELETE"] = "on"

    response = admin_client.post(f"/admin/directory/user/{drafter.pk}/change/", data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert sees(C_DRAFTER, commune_plan) == SEES_NOTHING


def test_the_inline_on_the_officer_adds_and_changes_through_the_services(admin_client, committee, commune_plan, sees):
    officer = User.objects.create_user(username="newcomer", full_name="Giàng Thị Mai")
    data = _user_change_data(admin_client, officer)
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-agency": committee.pk,
            "memberships-0-role": Role.DRAFTER,
            "memberships-0-title": "",
            "memberships-0-user": officer.pk,
        }
    )
    response = admin_client.post(f"/admin/directory/user/{officer.pk}/change/", data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert sees("newcomer", commune_plan) == SEES_ALL

    # The same inline row, now a head without a title: refused, naming the title.
    data = _user_change_data(admin_client, officer)
    data["memberships-0-role"] = Role.HEAD
    refused = admin_client.post(f"/admin/directory/user/{officer.pk}/change/", data)
    assert refused.status_code == 200
    assert "title" in refused.context["inline_admin_formsets"][0].formset.forms[0].errors
    data["memberships-0-title"] = "Phó Chủ tịch"
    assert admin_client.post(f"/admin/directory/user/{officer.pk}/change/", data).status_code == 302
    assert _membership("newcomer").role == Role.HEAD


def test_the_officers_form_cannot_tick_an_agencys_group_nor_drop_one(admin_client, committee):
    """An agency's group follows the memberships: the groups field offers only other groups, and
    saving the officer's form keeps the agencies' groups the memberships give."""
    drafter = User.objects.get(username=C_DRAFTER)
    page = admin_client.get(f"/admin/directory/user/{drafter.pk}/change/")
    offered = page.context["adminform"].form.fields["groups"].queryset
    assert not offered.filter(agency__isnull=False).exists()

    data = _user_change_data(admin_client, drafter)
    data["groups"] = []
    assert admin_client.post(f"/admin/directory/user/{drafter.pk}/change/", data).status_code == 302
    assert drafter.groups.filter(pk=committee.group_id).exists()

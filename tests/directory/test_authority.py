"""Who may act, decided in one place (``directory.authority``): own roles, delegations (“KT.”)
on the application's day, members by role, and the roles a step's task is for."""

import datetime as dt

import pytest

from config import clock
from deadlines import selectors as deadline_selectors
from deadlines.models import ClockOffset
from directory import services as directory_services
from directory.authority import MemberIndex, authority_of, members_with_roles
from directory.models import Agency, Role, User
from notifications.models import Notification
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_HEAD, plan_of
from workflows import routes
from workflows import services as workflow_services
from workflows.models import WorkItem

pytestmark = pytest.mark.django_db


def people(*usernames: str) -> list[User]:
    return [User.objects.get(username=name) for name in usernames]


@pytest.fixture
def committee(demo) -> Agency:
    """Sin Suối Hồ's People's Committee, where C_HEAD is head and C_DRAFTER a drafter."""
    return Agency.objects.get(unit=plan_of("03592").unit, kind="people_committee")


def delegate(committee: Agency, starts_on: dt.date, ends_on: dt.date) -> None:
    head, drafter = people(C_HEAD, C_DRAFTER)
    directory_services.delegation_create(
        actor=head,
        agency=committee,
        principal=head,
        deputy=drafter,
        starts_on=starts_on,
        ends_on=ends_on,
        reason="Chủ tịch đi công tác",
    )


def test_a_head_acts_in_their_own_name_and_a_drafter_may_not_decide(committee):
    head, drafter = people(C_HEAD, C_DRAFTER)
    assert authority_of(head).check(committee.pk, (Role.HEAD,)) == (True, None)
    assert authority_of(drafter).check(committee.pk, (Role.HEAD,)) == (False, None)
    assert authority_of(drafter).check(committee.pk, (Role.DRAFTER, Role.HEAD)) == (True, None)


def test_a_deputy_acts_for_the_head_only_while_the_delegation_runs(committee):
    head, drafter = people(C_HEAD, C_DRAFTER)
    delegate(committee, dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert authority_of(drafter, on=dt.date(2026, 3, 5)).check(committee.pk, (Role.HEAD,)) == (True, head)
    assert authority_of(drafter, on=dt.date(2026, 3, 11)).check(committee.pk, (Role.HEAD,)) == (False, None)
    assert authority_of(drafter, on=dt.date(2026, 2, 28)).may(committee.pk, (Role.HEAD,)) is False


def test_a_delegation_gives_the_principals_roles_in_its_own_agency_only(committee):
    drafter = people(C_DRAFTER)[0]
    delegate(committee, dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    district = Agency.objects.get(memberships__user__username=D_HEAD, memberships__role=Role.HEAD)
    authority = authority_of(drafter, on=dt.date(2026, 3, 5))
    assert authority.may(committee.pk, (Role.HEAD,))
    assert not authority.may(district.pk, (Role.HEAD,))
    assert not authority.may(committee.pk, (Role.COUNCIL_SECRETARY,))  # the head does not hold it either
    assert not authority.may(None, (Role.HEAD,))


def test_the_day_is_the_application_clocks_not_the_hosts(committee):
    head, drafter = people(C_HEAD, C_DRAFTER)
    today = dt.date.today()
    delegate(committee, today - dt.timedelta(days=1), today + dt.timedelta(days=7))
    assert authority_of(drafter).check(committee.pk, (Role.HEAD,)) == (True, head)
    ClockOffset.objects.create(offset=dt.timedelta(days=30))  # the demo moved the clock a month on
    assert clock.today() == today + dt.timedelta(days=30)
    assert authority_of(drafter).on == clock.today()
    assert authority_of(drafter).check(committee.pk, (Role.HEAD,)) == (False, None)


def test_the_inbox_agencies_are_the_own_ones_and_those_of_a_delegation(committee):
    drafter = people(C_DRAFTER)[0]
    own = sorted(drafter.memberships.values_list("agency_id", flat=True).distinct())
    assert authority_of(drafter).agency_ids == own
    delegate(committee, dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert committee.pk in authority_of(drafter, on=dt.date(2026, 3, 5)).agency_ids


def test_authority_costs_one_query_and_one_more_to_load_the_principals(committee, django_assert_num_queries):
    drafter = people(C_DRAFTER)[0]
    with django_assert_num_queries(1):
        authority = authority_of(drafter, on=dt.date(2026, 3, 5))
        authority.check(committee.pk, (Role.HEAD,))
        authority.agency_ids  # noqa: B018 (a property, read from memory)
    delegate(committee, dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    with django_assert_num_queries(2):
        authority = authority_of(drafter, on=dt.date(2026, 3, 5))
        assert authority.check(committee.pk, (Role.HEAD,))[1].username == C_HEAD


def test_an_administrator_is_a_superuser_or_holds_the_administrator_role(demo):
    assert authority_of(User.objects.get(username="admin")).is_administrator
    assert not authority_of(people(C_HEAD)[0]).is_administrator


def test_members_by_role_are_the_active_officers_holding_one_of_the_roles(committee):
    head, drafter = people(C_HEAD, C_DRAFTER)
    assert members_with_roles([committee.pk], (Role.HEAD,)) == [head]
    assert {u.pk for u in members_with_roles([committee.pk], (Role.DRAFTER, Role.HEAD))} >= {head.pk, drafter.pk}
    User.objects.filter(pk=head.pk).update(is_active=False)
    assert members_with_roles([committee.pk], (Role.HEAD,)) == []
    assert MemberIndex.load([]).members(committee.pk, (Role.HEAD,)) == []


def test_a_drafts_task_is_for_its_drafters_and_heads_a_reviews_for_heads():
    """The route decides (its actions' roles and a step's ``writers``): the draft is written
    by drafters, though only the head submits it; a review is decided by the head."""
    assert routes.step_roles("draft") == (Role.DRAFTER, Role.HEAD)
    assert routes.step_roles("review") == (Role.HEAD,)
    assert routes.step_roles("council") == (Role.COUNCIL_SECRETARY,)
    # The reminders and the task notice read the same answer.
    assert deadline_selectors.step_roles is routes.step_roles


def test_the_notice_of_a_new_draft_reaches_the_drafters_as_the_reminders_do(committee):
    head, drafter = people(C_HEAD, C_DRAFTER)
    item = WorkItem.objects.filter(plan=plan_of("03592"), step="draft", is_open=True).get()
    item.assignee = None
    Notification.objects.all().delete()
    workflow_services.announce_task(item=item, title_vi="Soạn", title_en="Draft")
    told = set(Notification.objects.filter(kind="task", plan=item.plan).values_list("recipient_id", flat=True))
    reminded = {u.pk for u in deadline_selectors.actors_of(item, MemberIndex.load([item.agency_id]))}
    assert {head.pk, drafter.pk} <= told
    assert told == reminded

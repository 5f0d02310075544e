"""A head signs documents, so a head's title is required where a membership is edited: the
service (``membership_add``) and the admin (alone and inline on an officer) refuse a head
without one, naming the title field; other roles may leave it empty."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from directory import services
from directory.admin import MembershipAdmin, MembershipInline
from directory.forms import MembershipForm
from directory.models import Agency, AgencyKind, Membership, Role, Structure, User

COMMUNE_HEAD = "t3-c03592-ubnd-head"  # Chủ tịch UBND xã Sin Suối Hồ


@pytest.fixture
def committee(demo) -> Agency:
    return Agency.objects.get(
        unit__structure=Structure.THREE_TIER, unit__code="03592", kind=AgencyKind.PEOPLE_COMMITTEE
    )


@pytest.fixture
def newcomer(demo) -> User:
    return User.objects.create_user(username="title-newcomer", full_name="Lò Văn Tâm")


@pytest.mark.parametrize("title", ["", "   "])
def test_a_head_without_a_title_is_refused_with_the_field_named(committee, newcomer, title):
    with pytest.raises(ValidationError) as error:
        services.membership_add(user=newcomer, agency=committee, role=Role.HEAD, title=title)
    assert set(error.value.message_dict) == {"title"}
    assert "chức danh" in error.value.message_dict["title"][0]
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_head_with_a_title_is_added_and_the_title_kept_trimmed(committee, newcomer):
    membership = services.membership_add(user=newcomer, agency=committee, role=Role.HEAD, title=" Phó Chủ tịch ")
    assert membership.title == "Phó Chủ tịch"
    assert newcomer.groups.filter(pk=committee.group_id).exists()


def test_a_drafter_needs_no_title(committee, newcomer):
    """Control: only the roles that sign need a title."""
    membership = services.membership_add(user=newcomer, agency=committee, role=Role.DRAFTER)
    assert membership.title == ""


def test_the_admin_edits_memberships_alone_and_inline_with_the_checking_form():
    assert MembershipAdmin.form is MembershipForm
    assert MembershipInline.form is MembershipForm


def test_the_membership_form_refuses_a_head_without_a_title(committee, newcomer):
    form = MembershipForm(data={"user": newcomer.pk, "agency": committee.pk, "role": Role.HEAD, "title": " "})
    assert not form.is_valid()
    assert list(form.errors) == ["title"]
    drafter = MembershipForm(data={"user": newcomer.pk, "agency": committee.pk, "role": Role.DRAFTER, "title": ""})
    assert drafter.is_valid(), drafter.errors


def test_the_admin_change_page_refuses_to_clear_a_heads_title(client, committee):
    client.force_login(User.objects.get(username="admin"))
    membership = Membership.objects.get(user__username=COMMUNE_HEAD, agency=committee, role=Role.HEAD)
    data = {"user": membership.user_id, "agency": committee.pk, "role": Role.HEAD, "title": ""}
    response = client.post(f"/admin/directory/membership/{membership.pk}/change/", data)
    assert response.status_code == 200  # the form again, not a redirect
    assert list(response.context["adminform"].form.errors) == ["title"]
    membership.refresh_from_db()
    assert membership.title == "Chủ tịch"
    data["title"] = "Chủ tịch"
    assert client.post(f"/admin/directory/membership/{membership.pk}/change/", data).status_code == 302

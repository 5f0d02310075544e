"""``units_operated_by`` answers what guardian's ``get_objects_for_user`` answers for
``operate_unit`` (groups and direct grants; never global permissions, never superuser
status), reading units by primary key instead of comparing every unit's id as text."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm, get_objects_for_user

from directory.models import AdministrativeUnit, Agency, Membership, User
from directory.selectors import units_operated_by

PERSONAS = (
    "t2-c03394-ubnd-drafter",
    "t2-p12-agri-head",
    "t2-p12-hdnd-council_secretary",
    "t3-d109-labour-head",
    "t3-c03592-ubnd-head",
    "admin",
)


def guardian_answer(user: User) -> set[int]:
    return set(
        get_objects_for_user(
            user,
            "directory.operate_unit",
            klass=AdministrativeUnit,
            use_groups=True,
            with_superuser=False,
            accept_global_perms=False,
        ).values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_the_same_units_as_guardian_for_every_kind_of_officer(demo, username):
    user = User.objects.get(username=username)
    ours = set(units_operated_by(user).values_list("pk", flat=True))
    assert ours == guardian_answer(user)
    if username != "admin":  # the admin belongs to no agency: nothing, not everything
        assert ours
    else:
        assert ours == set()


@pytest.mark.django_db
def test_a_direct_grant_counts_and_a_global_permission_or_another_permission_does_not(demo):
    user = User.objects.get(username="t3-d109-labour-head")
    before = set(units_operated_by(user).values_list("pk", flat=True))
    other = AdministrativeUnit.objects.exclude(pk__in=before).order_by("pk").first()
    assert other is not None

    user.user_permissions.add(Permission.objects.get(codename="operate_unit"))  # a stray global grant
    assign_perm("directory.change_administrativeunit", user, other)  # another permission on the unit
    user = User.objects.get(pk=user.pk)  # no cached permissions
    assert set(units_operated_by(user).values_list("pk", flat=True)) == before == guardian_answer(user)

    assign_perm("directory.operate_unit", user, other)  # a direct, per-user grant
    assert set(units_operated_by(user).values_list("pk", flat=True)) == before | {other.pk} == guardian_answer(user)


@pytest.mark.django_db
def test_a_grant_to_one_agency_reaches_its_members_only(demo):
    member = User.objects.get(username="t2-c03394-ubnd-drafter")
    outsider = User.objects.get(username="t3-d109-labour-head")
    agency = Agency.objects.get(pk=Membership.objects.filter(user=member).values("agency_id")[:1])
    granted = AdministrativeUnit.objects.exclude(pk__in=units_operated_by(member).values("pk")).order_by("pk")[0]
    assign_perm("directory.operate_unit", agency.group, granted)
    assert granted in units_operated_by(member)
    assert granted not in units_operated_by(outsider)


@pytest.mark.postgres
@pytest.mark.django_db
def test_units_are_read_by_key_not_by_their_id_as_text(demo):
    user = User.objects.get(username="t2-p12-agri-head")
    with CaptureQueriesContext(connection) as captured:
        list(units_operated_by(user).only("pk", "tier"))
    (query,) = captured.captured_queries
    assert "::varchar" not in query["sql"]
    with connection.cursor() as cursor:
        # The demo's few units fit in a page, where a scan is cheapest anyway: forbidding scans
        # asks whether the statement *can* be answered by key (guardian's cannot).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + query["sql"], query.get("params"))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on directory_administrativeunit" not in plan

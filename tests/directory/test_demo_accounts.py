"""Every demo account can log in over the API and sees its own agency and role."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from directory.models import User


@pytest.fixture
def demo_users(demo) -> list[dict]:
    out = StringIO()
    call_command("demo_users", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_demo_users_lists_every_role_at_every_level(demo_users):
    seen = {(row["role"], row["structure"], row["unit_code"][:2]) for row in demo_users}
    roles = {row["role"] for row in demo_users}
    assert roles == {"drafter", "head", "council_secretary", "administrator"}
    assert ("council_secretary", "three-tier", "12") in seen
    assert ("council_secretary", "two-tier", "12") in seen
    phong_tho_communes = {
        r["unit_code"] for r in demo_users if r["structure"] == "three-tier" and r["unit_code"].startswith("03")
    }
    assert len(phong_tho_communes) == 17


def test_every_demo_account_gets_a_token_and_sees_its_own_agency(demo_users, api):
    for row in demo_users:
        response = api.post(
            "/api/v1/auth/token/", {"username": row["username"], "password": row["password"]}, format="json"
        )
        assert response.status_code == 200, row["username"]
        me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        assert me.status_code == 200
        body = me.json()
        assert body["username"] == row["username"]
        if row["role"] == "administrator":
            continue
        assert {"agency": row["agency"], "role": row["role"], "unit": row["unit_code"]} in [
            {"agency": m["agency"], "role": m["role"], "unit": m["unit"]["code"]} for m in body["memberships"]
        ]


def test_loading_the_demo_twice_changes_nothing(demo):
    from directory import demo as demo_module

    users_before = User.objects.count()
    assert demo_module.load() == demo
    assert User.objects.count() == users_before


def test_no_agency_user_holds_a_global_model_permission(demo):
    from django.contrib.auth.models import Permission

    agency_users = User.objects.filter(memberships__isnull=False).distinct()
    assert agency_users.exists()
    assert not Permission.objects.filter(user__in=agency_users).exists()
    assert not Permission.objects.filter(group__user__in=agency_users).exists()
    assert not agency_users.filter(is_superuser=True).exists()


def test_demo_refused_outside_demo_mode(db, settings):
    from django.core.exceptions import ImproperlyConfigured

    from directory import demo as demo_module

    settings.DEMO = False
    with pytest.raises(ImproperlyConfigured):
        demo_module.load()
    with pytest.raises(ImproperlyConfigured):
        demo_module.accounts()

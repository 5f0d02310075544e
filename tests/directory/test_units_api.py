import pytest

DRAFTER = "t3-c03592-ubnd-drafter"


@pytest.fixture
def officer(demo, login_api):
    return login_api(DRAFTER)


def test_units_of_a_parent(officer):
    response = officer.get("/api/v1/units/", {"parent": "109", "structure": "three-tier"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 17
    assert {u["parent"] for u in body["results"]} == {"109"}
    assert "Xã Sin Suối Hồ" in {u["name"] for u in body["results"]}


def test_units_by_tier_in_the_current_structure(officer):
    body = officer.get("/api/v1/units/", {"tier": "commune", "parent": "12"}).json()
    assert body["count"] == 38
    assert {u["structure"] for u in body["results"]} == {"two-tier"}


def test_unit_detail_defaults_to_the_current_structure(officer):
    # Since 2026.1 the package names two-tier provinces with their type, like the three-tier ones.
    current = officer.get("/api/v1/units/12/").json()
    assert (current["structure"], current["name"]) == ("two-tier", "Tỉnh Lai Châu")
    old = officer.get("/api/v1/units/12/", {"structure": "three-tier"}).json()
    assert (old["structure"], old["name"]) == ("three-tier", "Tỉnh Lai Châu")


def test_unknown_unit_is_404_and_bad_filter_is_a_named_error(officer):
    assert officer.get("/api/v1/units/99999/").status_code == 404
    response = officer.get("/api/v1/units/", {"tier": "village"})
    assert response.status_code == 400
    assert "tier" in response.json()

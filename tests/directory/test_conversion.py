"""Official codes after a load, and the 1 July 2025 conversion: old commune -> new commune(s).

Personas (demo): the drafter of Sin Suối Hồ before the reform (three-tier 03592) and after it
(two-tier 03394, which joined Sin Suối Hồ, Nậm Xe and Thèn Sin).
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from directory import selectors, services, unitdata
from directory.models import AdministrativeUnit, Structure, Tier, UnitSuccession, User
from planning.models import Plan

OLD_DRAFTER = "t3-c03592-ubnd-drafter"  # xã Sin Suối Hồ, Phong Thổ, 2023
NEW_DRAFTER = "t2-c03394-ubnd-drafter"  # xã Sin Suối Hồ since 1 July 2025


def run(*args) -> str:
    out = StringIO()
    call_command("load_units", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def unit(structure: str, code: str) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(structure=structure, code=code)


# --- loading -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_national_load_holds_every_official_code_and_links_the_conversion():
    assert run("three-tier") == "provinces=63 districts=696 communes=10051"
    assert run("two-tier") == "provinces=34 communes=3321"
    two = AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER)
    communes = set(two.filter(tier=Tier.COMMUNE).values_list("code", flat=True))
    provinces = set(two.filter(tier=Tier.PROVINCE).values_list("code", flat=True))
    official = list(unitdata.two_tier_records())
    assert communes == {r.code for r in official if r.tier == Tier.COMMUNE} and len(communes) == 3321
    assert provinces == {r.code for r in official if r.tier == Tier.PROVINCE} and len(provinces) == 34
    assert {"00082", "00118", "00145"} <= communes  # not in the July-2025 draft list (2025.10.1)
    assert unit(Structure.TWO_TIER, "00082").name == "Phường Cửa Nam"

    links = UnitSuccession.objects.all()
    # 10,565 pairs less 11 of old communes formed in early 2025, which no three-tier list has.
    assert links.filter(old__tier=Tier.COMMUNE).count() == 10554
    assert links.filter(old__tier=Tier.PROVINCE).count() == 63
    assert not links.exclude(old__structure=Structure.THREE_TIER).exists()
    assert not links.exclude(new__structure=Structure.TWO_TIER).exists()
    # Idempotent, and 'conversion' relinks only.
    assert run("conversion") == "communes=10554 provinces=63"
    assert services.unit_successions_load().created == 0
    assert links.count() == 10554 + 63


def test_conversion_links_what_is_loaded(demo):
    from django.core.management.base import CommandError

    UnitSuccession.objects.all().delete()
    # The demo loads Lai Châu only, in both structures: its 106 old communes and the province.
    assert run("conversion") == "communes=106 provinces=1"
    with pytest.raises(CommandError, match="takes no"):
        run("conversion", "--province", "12")


# --- selectors -----------------------------------------------------------------------------------


def test_sin_suoi_ho_has_one_successor_which_came_from_three_communes(demo):
    old = unit(Structure.THREE_TIER, "03592")
    (new,) = selectors.unit_successors(old)
    assert (new.structure, new.code, new.name, new.partly_merged) == (
        Structure.TWO_TIER,
        "03394",
        "Xã Sin Suối Hồ",
        False,
    )
    predecessors = {(u.code, u.name) for u in selectors.unit_predecessors(new)}
    assert predecessors == {("03394", "Xã Thèn Sin"), ("03586", "Xã Nậm Xe"), ("03592", "Xã Sin Suối Hồ")}
    assert list(selectors.unit_predecessors(old)) == [] and list(selectors.unit_successors(new)) == []


def test_a_province_links_to_its_province(demo):
    (new,) = selectors.unit_successors(unit(Structure.THREE_TIER, "12"))
    assert (new.structure, new.code) == (Structure.TWO_TIER, "12")
    assert list(selectors.unit_successors(unit(Structure.THREE_TIER, "109"))) == []  # districts were abolished


@pytest.mark.django_db
def test_a_split_commune_has_several_successors_each_partly_merged(demo):
    run("three-tier", "--province", "01")
    run("two-tier", "--province", "01")
    dien_bien = unit(Structure.THREE_TIER, "00019")  # Phường Điện Biên, Ba Đình
    successors = list(selectors.unit_successors(dien_bien))
    assert [(s.code, s.partly_merged) for s in successors] == [
        ("00004", True),
        ("00070", True),
        ("00190", True),
        ("00226", True),
    ]
    assert successors[-1].name == "Phường Văn Miếu - Quốc Tử Giám"
    # Seen from a successor, the split commune is one predecessor among others, marked partly.
    predecessors = {u.code: u.partly_merged for u in selectors.unit_predecessors(successors[0])}
    assert predecessors["00019"] is True and predecessors["00004"] is False


# --- API -----------------------------------------------------------------------------------------


def test_api_leads_from_sin_suoi_ho_to_its_successor_and_back(demo, login_api):
    api = login_api(OLD_DRAFTER)
    old = api.get("/api/v1/units/03592/", {"structure": "three-tier"}).json()
    assert old["name"] == "Xã Sin Suối Hồ" and old["predecessors"] == []
    assert old["successors"] == [
        {"code": "03394", "name": "Xã Sin Suối Hồ", "structure": "two-tier", "partly_merged": False}
    ]
    new = api.get(f"/api/v1/units/{old['successors'][0]['code']}/", {"structure": "two-tier"}).json()
    assert new["successors"] == []
    assert {(p["code"], p["structure"]) for p in new["predecessors"]} == {
        ("03394", "three-tier"),
        ("03586", "three-tier"),
        ("03592", "three-tier"),
    }
    back = next(p for p in new["predecessors"] if p["name"] == "Xã Sin Suối Hồ")
    assert api.get(f"/api/v1/units/{back['code']}/", {"structure": back["structure"]}).json() == old


@pytest.mark.django_db
def test_api_marks_a_partly_merged_commune(demo, login_api):
    run("three-tier", "--province", "01")
    run("two-tier", "--province", "01")
    body = login_api(OLD_DRAFTER).get("/api/v1/units/00019/", {"structure": "three-tier"}).json()
    assert [(s["code"], s["partly_merged"]) for s in body["successors"]] == [
        ("00004", True),
        ("00070", True),
        ("00190", True),
        ("00226", True),
    ]


def test_unit_detail_needs_a_login(db, api):
    assert api.get("/api/v1/units/03592/").status_code in (401, 403)


# --- the unit page -----------------------------------------------------------------------------


def test_unit_page_leads_from_sin_suoi_ho_to_its_successor_and_back(demo, client):
    client.force_login(User.objects.get(username=OLD_DRAFTER))
    old_url = reverse("directory:unit", args=["three-tier", "03592"])
    new_url = reverse("directory:unit", args=["two-tier", "03394"])
    page = client.get(old_url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Xã Sin Suối Hồ" in content and "Huyện Phong Thổ" in content  # the unit and its parent
    assert f'href="{new_url}"' in content
    assert f'href="{reverse("directory:unit", args=["three-tier", "109"])}"' in content
    back = client.get(new_url).content.decode()
    assert f'href="{old_url}"' in back
    assert f'href="{reverse("directory:unit", args=["three-tier", "03586"])}"' in back  # Nậm Xe


def test_the_successors_officer_finds_the_2023_plans_of_the_communes_it_came_from(demo, client):
    client.force_login(User.objects.get(username=NEW_DRAFTER))
    content = client.get(reverse("directory:unit", args=["two-tier", "03394"])).content.decode()
    old_plan = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023)
    own_plan = Plan.objects.get(unit__structure="two-tier", unit__code="03394", cycle__year=2025)
    assert f'href="{reverse("planning:detail", args=[old_plan.pk])}"' in content
    assert f'href="{reverse("planning:detail", args=[own_plan.pk])}"' in content
    assert client.get(reverse("planning:detail", args=[old_plan.pk])).status_code == 200


def test_unit_page_shows_only_plans_the_officer_may_see(demo, client):
    # The old commune's officer reads its successor's page, but not the successor's plans.
    client.force_login(User.objects.get(username=OLD_DRAFTER))
    content = client.get(reverse("directory:unit", args=["two-tier", "03394"])).content.decode()
    own_plan = Plan.objects.get(unit__structure="two-tier", unit__code="03394", cycle__year=2025)
    old_plan = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023)
    assert reverse("planning:detail", args=[own_plan.pk]) not in content
    assert f'href="{reverse("planning:detail", args=[old_plan.pk])}"' in content


def test_unit_page_needs_a_login_and_a_real_unit(demo, client):
    url = reverse("directory:unit", args=["three-tier", "03592"])
    assert client.get(url).status_code == 302
    client.force_login(User.objects.get(username=OLD_DRAFTER))
    assert client.get(reverse("directory:unit", args=["three-tier", "99999"])).status_code == 404
    assert client.get(reverse("directory:unit", args=["four-tier", "03592"])).status_code == 404


def test_home_links_to_the_unit_page(demo, client):
    client.force_login(User.objects.get(username=NEW_DRAFTER))
    content = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("directory:unit", args=["two-tier", "03394"])}"' in content


# --- the demo -----------------------------------------------------------------------------------


def test_the_demo_staffs_sin_suoi_hos_successor(demo):
    successor = selectors.unit_successors(unit(Structure.THREE_TIER, "03592")).get()
    assert User.objects.filter(memberships__agency__unit=successor).exists()
    assert User.objects.filter(username=NEW_DRAFTER, memberships__agency__unit=successor).exists()

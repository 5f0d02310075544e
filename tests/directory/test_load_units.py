import pytest
from django.core.management import call_command

from directory.models import AdministrativeUnit, Agency, Structure, Tier


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_units", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.mark.django_db
def test_three_tier_load_prints_national_counts_and_is_idempotent():
    assert run("three-tier") == "provinces=63 districts=696 communes=10051"
    assert run("three-tier") == "provinces=63 districts=696 communes=10051"
    assert AdministrativeUnit.objects.filter(structure=Structure.THREE_TIER).count() == 63 + 696 + 10051


@pytest.mark.django_db
def test_two_tier_load_prints_current_counts():
    assert run("two-tier") == "provinces=34 communes=3321"
    commune = AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER, tier=Tier.COMMUNE).first()
    assert commune.parent.tier == Tier.PROVINCE
    assert commune.province_id == commune.parent_id
    assert commune.district_id is None


@pytest.mark.django_db
def test_one_province_loads_with_tree_columns_filled():
    assert run("three-tier", "--province", "12") == "provinces=1 districts=8 communes=106"
    phong_tho = AdministrativeUnit.objects.get(structure=Structure.THREE_TIER, code="109")
    communes = AdministrativeUnit.objects.filter(district=phong_tho)
    assert communes.count() == 17
    assert {c.province.code for c in communes} == {"12"}


@pytest.mark.django_db
def test_both_structures_live_side_by_side_with_the_same_codes():
    run("three-tier", "--province", "15")
    run("two-tier", "--province", "15")
    old = AdministrativeUnit.objects.get(structure=Structure.THREE_TIER, code="15")
    new = AdministrativeUnit.objects.get(structure=Structure.TWO_TIER, code="15")
    assert old.pk != new.pk
    assert (old.name, new.name) == ("Tỉnh Yên Bái", "Tỉnh Lào Cai")
    assert old.valid_to is not None and new.valid_from is not None and old.valid_to < new.valid_from


@pytest.mark.django_db
def test_unknown_province_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown province code"):
        run("three-tier", "--province", "99")


@pytest.mark.django_db
def test_agencies_get_a_permission_group_on_their_own_unit_only():
    from guardian.shortcuts import get_objects_for_group

    run("two-tier", "--province", "12", "--with-agencies")
    agency = Agency.objects.select_related("unit", "group").filter(unit__tier=Tier.COMMUNE).first()
    units = get_objects_for_group(agency.group, "directory.operate_unit", klass=AdministrativeUnit)
    assert list(units) == [agency.unit]
    again = run("two-tier", "--province", "12", "--with-agencies")
    assert again == "provinces=1 communes=38"
    assert Agency.objects.filter(unit=agency.unit).count() == 2

"""Tests for directory.unitdata: plain pytest, no Django settings or database.

The expected figures here (63/696/10,051 and 34/3,321, Lai Châu and Phong Thổ)
are the published sizes of Vietnam's two administrative structures; they live
in the tests rather than in the module so the module cannot agree with itself
by construction.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from directory import unitdata
from directory.unitdata import (
    COMMUNE,
    DISTRICT,
    PROVINCE,
    UnitRecord,
    count_by_tier,
    three_tier_records,
    two_tier_records,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Phong Thổ district (Lai Châu) in vietnam-provinces 0.6.0: 1 thị trấn + 16 xã.
PHONG_THO_COMMUNES = {
    "03391": "Xã Lả Nhì Thàng",
    "03490": "Xã Huổi Luông",
    "03549": "Thị trấn Phong Thổ",
    "03550": "Xã Sì Lở Lầu",
    "03553": "Xã Mồ Sì San",
    "03559": "Xã Pa Vây Sử",
    "03562": "Xã Vàng Ma Chải",
    "03565": "Xã Tông Qua Lìn",
    "03568": "Xã Mù Sang",
    "03571": "Xã Dào San",
    "03574": "Xã Ma Ly Pho",
    "03577": "Xã Bản Lang",
    "03580": "Xã Hoang Thèn",
    "03583": "Xã Khổng Lào",
    "03586": "Xã Nậm Xe",
    "03589": "Xã Mường So",
    "03592": "Xã Sin Suối Hồ",
}

THREE_TIER_TYPES = {
    PROVINCE: {"tỉnh", "thành phố trung ương"},
    DISTRICT: {"quận", "huyện", "thị xã", "thành phố"},
    COMMUNE: {"phường", "xã", "thị trấn"},
}
TWO_TIER_TYPES = {
    PROVINCE: {"tỉnh", "thành phố trung ương"},
    COMMUNE: {"phường", "xã", "đặc khu"},
}
WIDTH = {PROVINCE: 2, DISTRICT: 3, COMMUNE: 5}


@pytest.fixture(scope="module")
def three() -> list[UnitRecord]:
    return list(three_tier_records())


@pytest.fixture(scope="module")
def two() -> list[UnitRecord]:
    return list(two_tier_records())


# --- counts ---------------------------------------------------------------


def test_three_tier_counts(three: list[UnitRecord]) -> None:
    assert count_by_tier(three) == {PROVINCE: 63, DISTRICT: 696, COMMUNE: 10051}


def test_two_tier_counts(two: list[UnitRecord]) -> None:
    assert count_by_tier(two) == {PROVINCE: 34, COMMUNE: 3321}


def test_count_by_tier_empty() -> None:
    assert count_by_tier([]) == {}


# --- Lai Châu / Phong Thổ ---------------------------------------------------


def test_lai_chau_is_12_with_8_districts(three: list[UnitRecord]) -> None:
    provinces = {r.code: r for r in three if r.tier == PROVINCE}
    assert provinces["12"].name == "Tỉnh Lai Châu"
    assert provinces["01"].name == "Thành phố Hà Nội"  # leading zero kept
    districts = [r for r in three if r.tier == DISTRICT and r.parent_code == "12"]
    assert len(districts) == 8
    assert "Huyện Phong Thổ" in {d.name for d in districts}


def test_phong_tho_has_17_communes(three: list[UnitRecord]) -> None:
    (phong_tho,) = [r for r in three if r.tier == DISTRICT and r.name == "Huyện Phong Thổ"]
    assert (phong_tho.code, phong_tho.parent_code) == ("109", "12")
    communes = {r.code: r.name for r in three if r.tier == COMMUNE and r.parent_code == "109"}
    assert communes == PHONG_THO_COMMUNES


# --- structure integrity ----------------------------------------------------


@pytest.mark.parametrize("structure", ["three", "two"])
def test_parents_exist_and_come_first(structure: str, request: pytest.FixtureRequest) -> None:
    records: list[UnitRecord] = request.getfixturevalue(structure)
    commune_parent = DISTRICT if structure == "three" else PROVINCE
    parent_tier = {PROVINCE: None, DISTRICT: PROVINCE, COMMUNE: commune_parent}
    seen: set[tuple[str, str]] = set()
    for r in records:
        expected = parent_tier[r.tier]
        if expected is None:
            assert r.parent_code is None, r
        else:
            assert (expected, r.parent_code) in seen, f"parent missing or later: {r}"
        seen.add((r.tier, r.code))


@pytest.mark.parametrize("structure", ["three", "two"])
def test_tiers_in_order(structure: str, request: pytest.FixtureRequest) -> None:
    records: list[UnitRecord] = request.getfixturevalue(structure)
    order = [PROVINCE, DISTRICT, COMMUNE]
    ranks = [order.index(r.tier) for r in records]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize("structure", ["three", "two"])
def test_codes_padded_and_unique(structure: str, request: pytest.FixtureRequest) -> None:
    records: list[UnitRecord] = request.getfixturevalue(structure)
    for r in records:
        assert r.code.isdigit() and len(r.code) == WIDTH[r.tier], r
    # Padded codes are unique within a structure even across tiers.
    assert len({r.code for r in records}) == len(records)


def test_division_types(three: list[UnitRecord], two: list[UnitRecord]) -> None:
    for records, allowed in ((three, THREE_TIER_TYPES), (two, TWO_TIER_TYPES)):
        for r in records:
            assert r.division_type in allowed[r.tier], r
            assert r.name.strip() and r.name == r.name.strip(), r


def test_records_are_frozen(three: list[UnitRecord]) -> None:
    with pytest.raises(AttributeError):
        three[0].name = "x"  # type: ignore[misc]


# --- province filter --------------------------------------------------------


def test_three_tier_filter(three: list[UnitRecord]) -> None:
    subset = list(three_tier_records("12"))
    assert count_by_tier(subset) == {PROVINCE: 1, DISTRICT: 8, COMMUNE: 106}
    district_codes = {r.code for r in three if r.tier == DISTRICT and r.parent_code == "12"}
    expected = [
        r
        for r in three
        if (r.tier == PROVINCE and r.code == "12")
        or (r.tier == DISTRICT and r.parent_code == "12")
        or (r.tier == COMMUNE and r.parent_code in district_codes)
    ]
    assert subset == expected
    assert set(PHONG_THO_COMMUNES) <= {r.code for r in subset}


def test_two_tier_filter(two: list[UnitRecord]) -> None:
    subset = list(two_tier_records("12"))
    expected = [
        r for r in two if (r.tier == PROVINCE and r.code == "12") or (r.tier == COMMUNE and r.parent_code == "12")
    ]
    assert subset == expected
    assert subset[0].tier == PROVINCE and "Lai Châu" in subset[0].name
    assert len(subset) > 1


def test_filter_sums_to_whole(three: list[UnitRecord], two: list[UnitRecord]) -> None:
    for func, records in ((three_tier_records, three), (two_tier_records, two)):
        codes = [r.code for r in records if r.tier == PROVINCE]
        total = sum(len(list(func(c))) for c in codes)
        assert total == len(records)


def test_filter_accepts_unpadded_code() -> None:
    assert list(three_tier_records("1")) == list(three_tier_records("01")) == list(three_tier_records(1))
    assert list(two_tier_records(1)) == list(two_tier_records("01"))


@pytest.mark.parametrize("bad", ["99", "10x", ""])
def test_filter_rejects_unknown_province(bad: str) -> None:
    with pytest.raises(ValueError):
        three_tier_records(bad)
    with pytest.raises(ValueError):
        two_tier_records(bad)


def test_filter_rejects_province_missing_from_two_tier() -> None:
    # Lào Cai (10) existed before July 2025 and was merged into code 15.
    assert next(three_tier_records("10")).name == "Tỉnh Lào Cai"
    with pytest.raises(ValueError):
        two_tier_records("10")


# --- codes collide across structures ---------------------------------------


def test_same_code_means_different_province(three: list[UnitRecord], two: list[UnitRecord]) -> None:
    """Why the DB key must include the structure: code 24 changes meaning."""
    old = {r.code: r.name for r in three if r.tier == PROVINCE}
    new = {r.code: r.name for r in two if r.tier == PROVINCE}
    assert set(new) <= set(old)
    assert old["24"] == "Tỉnh Bắc Giang"
    assert "Bắc Ninh" in new["24"]


# --- data file, speed, no Django -------------------------------------------


def test_data_files_small() -> None:
    for path in (unitdata.THREE_TIER_PATH, *unitdata.OLD_TWO_TIER_RELEASES.values()):
        assert path.is_file()
        assert path.stat().st_size < 400_000


def test_three_tier_read_is_fast() -> None:
    unitdata._three_tier_all.cache_clear()
    start = time.perf_counter()
    n = sum(1 for _ in three_tier_records())
    elapsed = time.perf_counter() - start
    assert n == 63 + 696 + 10051
    assert elapsed < 2.0, elapsed


def test_two_tier_source_version() -> None:
    version = unitdata.two_tier_source_version()
    assert version and version[0].isdigit()


def test_module_does_not_import_django() -> None:
    code = (
        "import sys; import directory.unitdata as u; list(u.three_tier_records());"
        "list(u.two_tier_records()); list(u.two_tier_records(codes='2025.10.1')); list(u.commune_successions());"
        "u.rekey_map('2025.10.1'); assert 'django' not in sys.modules, 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True)


# --- official two-tier codes (vietnam-provinces 2026.x) ---------------------

# Communes whose official code the July-2025 draft list (2025.10.1) did not have.
OFFICIAL_ONLY = {"00082": "Phường Cửa Nam", "00118": "Phường Bồ Đề", "00145": "Phường Long Biên"}


def test_two_tier_codes_are_the_official_ones(two: list[UnitRecord]) -> None:
    communes = {r.code: r.name for r in two if r.tier == COMMUNE}
    for code, name in OFFICIAL_ONLY.items():
        assert communes[code] == name
    assert communes["00226"] == "Phường Văn Miếu - Quốc Tử Giám"


def test_old_two_tier_list_is_the_draft(two: list[UnitRecord]) -> None:
    old = list(two_tier_records(codes="2025.10.1"))
    assert count_by_tier(old) == {PROVINCE: 34, COMMUNE: 3321}
    old_codes = {r.code for r in old if r.tier == COMMUNE}
    official = {r.code for r in two if r.tier == COMMUNE}
    assert len(official - old_codes) == len(old_codes - official) == 114
    assert not set(OFFICIAL_ONLY) & old_codes
    assert {r.code: r.name for r in old}["00226"] == "Phường Kim Liên"
    assert next(two_tier_records("12", codes="2025.10.1")).name == "Lai Châu"  # no "Tỉnh" in 2025.x
    with pytest.raises(ValueError, match="unknown two-tier code list"):
        two_tier_records(codes="2024.1")


def test_rekey_map_is_a_bijection_onto_the_official_codes(two: list[UnitRecord]) -> None:
    remap = unitdata.rekey_map("2025.10.1")
    assert len(remap) == 123
    assert remap["00073"] == "00082"  # Cửa Nam
    # A three-commune cycle in Cao Bằng: whoever applies it must go through placeholders.
    assert (remap["01537"], remap["01561"], remap["01558"]) == ("01561", "01558", "01537")
    old = {r.code: r for r in two_tier_records(codes="2025.10.1") if r.tier == COMMUNE}
    official = {r.code: r for r in two if r.tier == COMMUNE}
    mapped = {remap.get(code, code) for code in old}
    assert mapped == set(official)
    for code, record in old.items():
        target = official[remap.get(code, code)]
        assert target.parent_code == record.parent_code
        assert unitdata.name_key(target.name) == unitdata.name_key(record.name)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Xã Đàm Thuỷ", "Xã Đàm Thủy"),
        ("Phường Hoà Bình", "Phường Hòa Bình"),
        ("Phường  An Nhơn", "Phường An Nhơn"),
        ("Xã Chân Mây – Lăng Cô", "Xã Chân Mây - Lăng Cô"),
        ("Xã Ea M’Droh", "Xã Ea M'Droh"),
        ("Xã Đắk song", "Xã Đắk Song"),
    ],
)
def test_name_key_folds_spelling_only(a: str, b: str) -> None:
    assert unitdata.name_key(a) == unitdata.name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Xã Hà Lang", "Xã Hạ Lang"), ("Xã Vinh Quý", "Xã Vĩnh Quý"), ("Xã Đa", "Xã Da")])
def test_name_key_keeps_different_names_apart(a: str, b: str) -> None:
    assert unitdata.name_key(a) != unitdata.name_key(b)


# --- three-tier data from the package's legacy module ------------------------


def test_legacy_module_matches_the_frozen_file(three: list[UnitRecord]) -> None:
    """The package's pre-2025 data is what installations loaded from 0.6.0, row for row and in
    the same order, precise division types included; one district is spelled differently."""
    frozen = list(unitdata.three_tier_frozen_records())
    assert [(r.tier, r.code, r.parent_code, r.division_type) for r in three] == [
        (r.tier, r.code, r.parent_code, r.division_type) for r in frozen
    ]
    renamed = {r.code: (f.name, r.name) for r, f in zip(three, frozen, strict=True) if r.name != f.name}
    assert renamed == {"582": ("Thành phố Phan Rang-Tháp Chàm", "Thành phố Phan Rang - Tháp Chàm")}


# --- the 1 July 2025 conversion ------------------------------------------------


@pytest.fixture(scope="module")
def successions() -> list[unitdata.SuccessionRecord]:
    return list(unitdata.commune_successions())


def test_sin_suoi_ho_went_into_03394(successions: list[unitdata.SuccessionRecord]) -> None:
    assert [(s.new_code, s.partly_merged) for s in successions if s.old_code == "03592"] == [("03394", False)]
    assert {s.old_code for s in successions if s.new_code == "03394"} == {"03394", "03586", "03592"}


def test_a_split_commune_has_several_successors_all_partly(successions: list[unitdata.SuccessionRecord]) -> None:
    # Phường Điện Biên (00019, Ba Đình) was divided between four new wards.
    split = [s for s in successions if s.old_code == "00019"]
    assert [s.new_code for s in split] == ["00004", "00070", "00190", "00226"]
    assert all(s.partly_merged for s in split)
    # Several successors always means partly merged.
    by_old: dict[str, list[unitdata.SuccessionRecord]] = {}
    for s in successions:
        by_old.setdefault(s.old_code, []).append(s)
    assert all(s.partly_merged for links in by_old.values() if len(links) > 1 for s in links)


def test_conversion_codes_are_known_units(
    successions: list[unitdata.SuccessionRecord], three: list[UnitRecord], two: list[UnitRecord]
) -> None:
    old = {r.code for r in three if r.tier == COMMUNE}
    new = {r.code for r in two if r.tier == COMMUNE}
    assert len(successions) == 10565
    assert {s.new_code for s in successions} <= new
    # Ten old codes are communes formed in early 2025, after the three-tier list was taken.
    assert len({s.old_code for s in successions} - old) == 10
    assert len(new - {s.new_code for s in successions}) == 5  # đặc khu (islands) with no predecessor


def test_province_pairs_are_the_2025_mergers() -> None:
    pairs = {(p.old_code, p.new_code) for p in unitdata.province_successions()}
    assert len(pairs) == 63 and len({old for old, _new in pairs}) == 63
    assert {old for old, new in pairs if new == "12"} == {"12"}
    assert {old for old, new in pairs if new == "15"} == {"10", "15"}  # Lào Cai + Yên Bái
    assert {old for old, new in pairs if new == "82"} == {"82", "87"}  # Tiền Giang + Đồng Tháp
    # The package's own province table adds Tiền Giang -> Tây Ninh, from one mis-filed ward.
    from vietnam_provinces._province_conversion_2025 import OLD_TO_NEW

    package = {(f"{o:02d}", f"{n.code:02d}") for o, e in OLD_TO_NEW.items() for n in e.new_provinces}
    assert package - pairs == {("82", "80")} and pairs <= package

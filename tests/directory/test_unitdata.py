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


def test_data_file_small() -> None:
    assert unitdata.THREE_TIER_PATH.is_file()
    assert unitdata.THREE_TIER_PATH.stat().st_size < 400_000


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
        "list(u.two_tier_records()); assert 'django' not in sys.modules, 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True)

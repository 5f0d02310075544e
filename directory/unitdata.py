"""Vietnam's administrative units in both structures, as plain Python records.

Plans made before 1 July 2025 refer to the three-tier structure (province ->
district -> commune); plans made since then refer to the two-tier structure
(province -> commune).  The database keeps both side by side, so this module
gives one record shape for both, plus the official conversion from the old
communes to the new ones.  It deliberately imports nothing from Django:
loaders, migrations, management commands and tests can all use it, and it can
be tested without settings or a database.

Sources (all from ``vietnam-provinces`` 2026.9.0, see ``data/PROVENANCE.md``)
--------------------------------------------------------------------------------
* **Two-tier** (34 provinces, 3,321 communes): ``vietnam_provinces.Province``
  and ``Ward``, the statistics office's (GSO/NSO) official codes.  Releases
  before 2026.1 built the commune list from the July-2025 *draft*: 114 of
  the 3,321 codes of 2025.10.1 are not official (e.g. 00082 Cửa Nam, 00118 Bồ
  Đề and 00145 Long Biên exist only in the official list) and 9 more name
  another commune there (00226 is Kim Liên in 2025.10.1 but Văn Miếu - Quốc
  Tử Giám officially).  That older list is frozen in
  ``data/units-two-tier-2025.10.1.csv.gz`` only so an installation loaded
  from it can be re-keyed (``rekey_units``) and tested; see
  :func:`two_tier_records` (``codes=``) and :func:`rekey_map`.
* **Three-tier** (63 provinces, 696 districts, 10,051 communes):
  ``vietnam_provinces.legacy``.  It carries everything the frozen 0.6.0 file
  ``data/units-three-tier.csv.gz`` carried, including the precise division
  types that file had to derive from name prefixes, and agrees with it row
  for row except one spelling (district 582); the frozen file stays as the
  record of what installations loaded before and as a regression check that
  an upgrade does not rewrite the past (``test_unitdata``).
* **Conversion** (1 July 2025): ``vietnam_provinces._ward_conversion_2025``,
  which old commune went into which new one(s), and whether it went only
  partly (:func:`commune_successions`); the province pairs follow from it
  (:func:`province_successions`).

Codes
-----
All codes are strings, zero-padded to the GSO widths: province 2 digits
(``"01"`` Hà Nội, ``"12"`` Lai Châu), district 3, commune 5.  The package
itself stores plain integers; padding makes the string form unambiguous and
keeps codes of different tiers distinct within one structure.

The two structures reuse the same code space, and the same code does NOT
mean the same unit:

* Province codes: all 34 two-tier codes are also three-tier codes.  For 7 of
  them the name changes (15 Yên Bái -> Lào Cai, 24 Bắc Giang -> Bắc Ninh,
  44 Quảng Bình -> Quảng Trị, 52 Bình Định -> Gia Lai, 80 Long An -> Tây Ninh,
  82 Tiền Giang -> Đồng Tháp, 91 Kiên Giang -> An Giang), because the merged
  province kept the code of one of its parts.  Even where the name is kept
  (e.g. 08 Tuyên Quang, which absorbed Hà Giang) the territory differs.
* Commune codes: 3,310 of the 3,321 official two-tier commune codes are
  also three-tier commune codes (a merged commune usually keeps one former
  commune's code), often with another name and sometimes in another
  province.  Sin Suối Hồ is 03592 before the reform and 03394 after it: the
  new commune joined Sin Suối Hồ, Nậm Xe (03586) and Thèn Sin (03394, of Tam
  Đường district) and kept Thèn Sin's code.

Therefore the database key must include the structure: unique on
``(structure, code)``, which is enough as long as codes are stored as these
zero-padded strings (widths differ per tier), but not if they are stored as
integers (district 1 Ba Đình vs province 1 Hà Nội).  A bare ``code`` is never
unique across the two structures; the link between them is the conversion.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

__all__ = [
    "COMMUNE",
    "DISTRICT",
    "OFFICIAL",
    "OLD_TWO_TIER_RELEASES",
    "PROVINCE",
    "STRUCTURES",
    "THREE_TIER",
    "THREE_TIER_PATH",
    "TWO_TIER",
    "SuccessionRecord",
    "UnitRecord",
    "commune_successions",
    "count_by_tier",
    "name_key",
    "province_successions",
    "rekey_map",
    "three_tier_frozen_records",
    "three_tier_records",
    "two_tier_records",
    "two_tier_source_version",
]

PROVINCE = "province"
DISTRICT = "district"
COMMUNE = "commune"

THREE_TIER = "three-tier"
TWO_TIER = "two-tier"

OFFICIAL = "official"
"""``codes=`` value for the installed package's official two-tier list (the default)."""

DATA_DIR = Path(__file__).parent / "data"
THREE_TIER_PATH = DATA_DIR / "units-three-tier.csv.gz"

# Superseded two-tier releases whose list is frozen here, and the file of each.  An
# installation loaded from one of them is re-keyed to the official codes by ``rekey_units``.
OLD_TWO_TIER_RELEASES: dict[str, Path] = {
    "2025.10.1": DATA_DIR / "units-two-tier-2025.10.1.csv.gz",
}
# Per superseded release: the communes whose code is not the official one (old -> official).
_REKEY_PATHS: dict[str, Path] = {
    "2025.10.1": DATA_DIR / "rekey-two-tier-2025.10.1.csv",
}

_CSV_HEADER = ["tier", "code", "name", "division_type", "parent_code"]
_REKEY_HEADER = ["province_code", "old_code", "old_name", "official_code", "official_name", "match"]
_WIDTH = {PROVINCE: 2, DISTRICT: 3, COMMUNE: 5}
_DISTRIBUTION = "vietnam-provinces"


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """One administrative unit, independent of where it was read from.

    Frozen so the cached tuples below can be shared by every caller without
    anyone mutating them.  ``parent_code`` is ``None`` for provinces; for a
    district it is the province code, for a commune its district code (three
    tiers) or its province code (two tiers).  ``division_type`` is the
    lower-case Vietnamese type, e.g. ``"tỉnh"``, ``"thành phố trung ương"``,
    ``"quận"``, ``"thị xã"``, ``"phường"``, ``"xã"``, ``"thị trấn"``,
    ``"đặc khu"``.
    """

    tier: str
    code: str
    name: str
    division_type: str
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class SuccessionRecord:
    """A three-tier unit (``old_code``) whose territory, all or in part, went into a two-tier
    unit (``new_code``) on 1 July 2025.  ``tier`` is the same on both sides (commune or
    province); ``partly_merged`` says the old unit was split (only part of it went here)."""

    tier: str
    old_code: str
    new_code: str
    partly_merged: bool


def _province_key(province: str | int) -> str:
    """Normalise a province code so ``"1"``, ``1`` and ``"01"`` all work.

    Callers pass codes from forms, URLs and the package's integer enums; being
    lenient here avoids silent empty results from a missing leading zero.
    """
    text = str(int(province)) if isinstance(province, int) else str(province).strip()
    if not text.isdigit():
        raise ValueError(f"province code must be digits, got {province!r}")
    return text.zfill(_WIDTH[PROVINCE])


def _pad(tier: str, code: object) -> str:
    return f"{int(code):0{_WIDTH[tier]}d}"  # type: ignore[call-overload]


def _kind(division_type: object) -> str:
    """The package's division types are ``str`` enums: ``.value`` is the plain string."""
    return getattr(division_type, "value", str(division_type))


def _read_csv(path: Path) -> tuple[UnitRecord, ...]:
    raw = gzip.decompress(path.read_bytes()).decode("utf-8")
    reader = csv.reader(io.StringIO(raw, newline=""))
    header = next(reader)
    if header != _CSV_HEADER:
        raise ValueError(f"{path.name}: unexpected header {header!r}")
    return tuple(
        UnitRecord(tier, code, name, division_type, parent or None)
        for tier, code, name, division_type, parent in reader
    )


@cache
def _three_tier_all() -> tuple[UnitRecord, ...]:
    """Build records from ``vietnam_provinces.legacy``, in the frozen file's order.

    Districts are grouped by province, communes by district, each by numeric code (GSO codes
    are not contiguous per parent: Phong Thổ (109) holds communes 03391 and 03490, moved in
    from neighbouring districts).  The import is local: the lookup tables are large and only
    callers that want three-tier data should pay for them (~0.1 s).
    """
    from vietnam_provinces.legacy import District, Province, Ward

    provinces = sorted(Province.iter_all(), key=lambda p: int(p.code))
    districts = sorted(District.iter_all(), key=lambda d: (int(d.province_code), int(d.code)))
    wards = sorted(Ward.iter_all(), key=lambda w: (int(w.district_code), int(w.code)))
    records = [UnitRecord(PROVINCE, _pad(PROVINCE, p.code), p.name, _kind(p.division_type), None) for p in provinces]
    records.extend(
        UnitRecord(DISTRICT, _pad(DISTRICT, d.code), d.name, _kind(d.division_type), _pad(PROVINCE, d.province_code))
        for d in districts
    )
    records.extend(
        UnitRecord(COMMUNE, _pad(COMMUNE, w.code), w.name, _kind(w.division_type), _pad(DISTRICT, w.district_code))
        for w in wards
    )
    return tuple(records)


@cache
def _three_tier_frozen() -> tuple[UnitRecord, ...]:
    return _read_csv(THREE_TIER_PATH)


@cache
def _two_tier_all() -> tuple[UnitRecord, ...]:
    """Build records from the installed package's official list, ordered like the CSVs."""
    from vietnam_provinces import Province, Ward

    provinces = sorted(Province.iter_all(), key=lambda p: int(p.code))
    wards = sorted(Ward.iter_all(), key=lambda w: (int(w.province_code), int(w.code)))
    records = [UnitRecord(PROVINCE, _pad(PROVINCE, p.code), p.name, _kind(p.division_type), None) for p in provinces]
    records.extend(
        UnitRecord(COMMUNE, _pad(COMMUNE, w.code), w.name, _kind(w.division_type), _pad(PROVINCE, w.province_code))
        for w in wards
    )
    return tuple(records)


@cache
def _two_tier_old(release: str) -> tuple[UnitRecord, ...]:
    return _read_csv(OLD_TWO_TIER_RELEASES[release])


def _filter_province(records: tuple[UnitRecord, ...], province: str | int) -> Iterator[UnitRecord]:
    """Keep one province and everything below it, in the original order.

    Works for either structure because input is parents-before-children: a
    record is kept when its parent was kept.  A commune's parent is a district
    in the three-tier structure and a province in the two-tier one.  Raises
    ``ValueError`` for an unknown code, eagerly (this is not a generator
    function), rather than yielding nothing, so typos surface at the call.
    """
    key = _province_key(province)
    if not any(r.tier == PROVINCE and r.code == key for r in records):
        raise ValueError(f"unknown province code {province!r}")
    commune_parent = DISTRICT if any(r.tier == DISTRICT for r in records) else PROVINCE
    parent_tier = {DISTRICT: PROVINCE, COMMUNE: commune_parent}

    def gen() -> Iterator[UnitRecord]:
        kept: set[tuple[str, str]] = {(PROVINCE, key)}
        for r in records:
            if r.tier == PROVINCE:
                if r.code == key:
                    yield r
            elif (parent_tier[r.tier], r.parent_code) in kept:
                kept.add((r.tier, r.code))
                yield r

    return gen()


def three_tier_records(province: str | int | None = None) -> Iterator[UnitRecord]:
    """Units before July 2025: provinces, then districts, then communes.

    Within each tier records are grouped by parent and sorted by code, so a
    loader can insert in order and always find the parent already present.
    With ``province`` (e.g. ``"12"``), yield that province, its districts and
    their communes only.
    """
    records = _three_tier_all()
    if province is None:
        return iter(records)
    return _filter_province(records, province)


def three_tier_frozen_records() -> Iterator[UnitRecord]:
    """The three-tier units as frozen from ``vietnam-provinces==0.6.0`` (what installations
    loaded before the package's ``legacy`` module became the source); for comparisons."""
    return iter(_three_tier_frozen())


def two_tier_records(province: str | int | None = None, *, codes: str = OFFICIAL) -> Iterator[UnitRecord]:
    """Units since 1 July 2025: provinces, then communes (parent = province).

    ``codes`` is ``OFFICIAL`` (the installed package's official list) or a superseded
    release in ``OLD_TWO_TIER_RELEASES`` (``"2025.10.1"``), to reproduce an installation
    loaded from it.  Same ordering and ``province`` filter as :func:`three_tier_records`.
    """
    if codes == OFFICIAL:
        records = _two_tier_all()
    elif codes in OLD_TWO_TIER_RELEASES:
        records = _two_tier_old(codes)
    else:
        raise ValueError(
            f"unknown two-tier code list {codes!r}; use {OFFICIAL!r} or one of {list(OLD_TWO_TIER_RELEASES)}"
        )
    if province is None:
        return iter(records)
    return _filter_province(records, province)


def two_tier_source_version() -> str:
    """Version of the installed ``vietnam-provinces`` distribution.

    Worth storing with imported two-tier rows: commune codes changed between
    releases (2025.x used the draft list, 2026.x the official one), so the
    version is part of what a code means.
    """
    return metadata.version(_DISTRIBUTION)


@cache
def rekey_map(release: str) -> dict[str, str]:
    """Commune codes of a superseded two-tier release that are not the official ones, mapped
    to the official code of the same commune (``{"00073": "00082", ...}``; 123 for 2025.10.1).

    Every other commune of that release keeps its code.  Frozen in
    ``data/rekey-two-tier-<release>.csv``; ``data/build_two_tier_2025.py`` derives it
    (same province, same name up to spelling: see :func:`name_key`) and ``PROVENANCE.md``
    says how.  The mapping is a bijection with chains and cycles (01537 -> 01561 -> 01558 ->
    01537 in Cao Bằng), so whoever applies it must do so in two phases.
    """
    path = _REKEY_PATHS[release]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header != _REKEY_HEADER:
            raise ValueError(f"{path.name}: unexpected header {header!r}")
        return {old: new for _province, old, _old_name, new, _new_name, _match in reader}


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


def name_key(name: str) -> str:
    """A comparison key for one place name written two ways (never for display).

    Releases spell the same commune differently: old or new tone placement (``Thuỷ`` /
    ``Thủy``, ``Hoà`` / ``Hòa``), doubled spaces, en dash or hyphen, curly or straight
    apostrophes (``Ea M’Droh``), letter case (``Đắk song``).  The key folds exactly these:
    case, whitespace, dashes, apostrophes, and where in a syllable its tone mark sits (the
    marks are moved to the end of each word).  Everything else that distinguishes two names
    (the letters, ơ/ư/â/ă/ê/ô/đ, which tone) is kept, so ``Hà`` and ``Hạ`` stay different.
    """
    text = unicodedata.normalize("NFD", name.casefold())
    text = re.sub(r"[’‘ʼ`´]", "'", text)
    text = re.sub(r"\s*[-–—]\s*", " - ", text)
    words = []
    for word in text.split():
        tones = "".join(ch for ch in word if ch in _TONE_MARKS)
        base = "".join(ch for ch in word if ch not in _TONE_MARKS)
        words.append(unicodedata.normalize("NFC", base) + tones)
    return " ".join(words)


@cache
def _succession_all() -> tuple[tuple[SuccessionRecord, ...], tuple[SuccessionRecord, ...]]:
    """Read the package's 2025 commune conversion; derive the province pairs from it.

    ``partly_merged`` comes from the old commune's own flag (``OLD_TO_NEW``: the value
    ``is_partly_merged(code)`` returns), on every pair of that commune.  The table's second
    half (``NEW_TO_OLD``) repeats the flag per pair and disagrees for 63 pairs, all of an
    old commune split across several new ones: a commune that went to several new ones did
    not go wholly into any, so the old commune's flag is the consistent one.

    Province pairs are taken from the commune pairs with each side's *own* province (the
    legacy tree for the old commune, the official list for the new one), not from the
    package's ``_province_conversion_2025``: that table is built from the conversion rows'
    own province column, which files Phường 4 of Tân An (27691, Long An) under Tiền Giang
    and so invents "Tiền Giang -> Tây Ninh".  Derived this way, the pairs are the
    Resolution 202/2025/QH15 mergers: every old province in exactly one new one.
    """
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW

    communes = []
    for code, entry in sorted(OLD_TO_NEW.items()):
        partly = bool(entry.old_ward.is_partly_merged)
        for new in sorted({ref.code for ref in entry.new_wards}):
            communes.append(SuccessionRecord(COMMUNE, _pad(COMMUNE, code), _pad(COMMUNE, new), partly))

    district_province = {r.code: r.parent_code for r in _three_tier_all() if r.tier == DISTRICT}
    old_province = {r.code: district_province[r.parent_code] for r in _three_tier_all() if r.tier == COMMUNE}
    new_province = {r.code: r.parent_code for r in _two_tier_all() if r.tier == COMMUNE}
    pairs = {
        (old_province[s.old_code], new_province[s.new_code])
        for s in communes
        if s.old_code in old_province and s.new_code in new_province
    }
    split = Counter(old for old, _new in pairs)
    provinces = [SuccessionRecord(PROVINCE, old, new, split[old] > 1) for old, new in sorted(pairs)]
    return tuple(communes), tuple(provinces)


def commune_successions() -> Iterator[SuccessionRecord]:
    """Old commune -> new commune pairs of 1 July 2025 (10,565 pairs, ordered by old code).

    Old codes are three-tier, new codes official two-tier.  A few old codes (10) are
    communes created in early 2025, after the three-tier list was taken, and so have no
    three-tier record; loaders skip pairs whose units they do not hold.
    """
    return iter(_succession_all()[0])


def province_successions() -> Iterator[SuccessionRecord]:
    """Old province -> new province pairs (63, one per old province; see ``_succession_all``)."""
    return iter(_succession_all()[1])


def count_by_tier(records: Iterable[UnitRecord]) -> dict[str, int]:
    """Count records per tier, e.g. ``{"province": 63, "district": 696, ...}``.

    Counts are computed rather than hard-coded so the source data, not a
    constant, is the single truth; tests compare them with known figures.
    Keys appear in the order tiers are first seen (provinces first).
    """
    return dict(Counter(r.tier for r in records))


STRUCTURES: dict[str, Callable[..., Iterator[UnitRecord]]] = {
    THREE_TIER: three_tier_records,
    TWO_TIER: two_tier_records,
}
"""Structure name -> record source, for loaders that import both."""

"""Vietnam's administrative units in both structures, as plain Python records.

Plans made before 1 July 2025 refer to the three-tier structure (province ->
district -> commune); plans made since then refer to the two-tier structure
(province -> commune).  The database keeps both side by side, so this module
gives one record shape for both.  It deliberately imports nothing from Django:
loaders, migrations, management commands and tests can all use it, and it can
be tested without settings or a database.

Sources
-------
* **Three-tier** (63 provinces, 696 districts, 10,051 communes): frozen from
  ``vietnam-provinces==0.6.0`` into ``data/units-three-tier.csv.gz`` because
  pip cannot install that release next to the current one.  See
  ``data/PROVENANCE.md`` and ``data/build_three_tier.py``.
* **Two-tier** (34 provinces, 3,321 communes): read at run time from the
  installed ``vietnam-provinces`` package (written against 2025.10.1, the
  newest release installable on Python 3.11; 2026.x needs Python >= 3.12 and
  has the same API used here: ``Province.iter_all()``, ``Ward.iter_all()``).
  Nothing from it is copied into the repository.
  ``two_tier_source_version()`` tells which release is actually loaded, so it
  can be recorded next to imported rows.  Beware when upgrading: 2025.x
  builds the commune list from the July-2025 *draft*, 2026.x from the
  official NSO catalogue, and about 120 of the 3,321 commune codes differ
  between 2025.10.1 and 2026.9.0 (same counts; some codes swap names within
  a province, e.g. 00226 is Kim Liên in 2025.10.1 but Văn Miếu - Quốc Tử
  Giám in 2026.9.0).  Province names also gain their prefix in 2026.x
  ("Lai Châu" -> "Tỉnh Lai Châu").

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
* Commune codes: 3,310 of the 3,321 two-tier commune codes are also
  three-tier commune codes (a merged commune usually keeps one former
  commune's code); for about 1,840 of those the name differs, and for 1,287
  the old commune lay in a province with a different code.  Only 11 codes are
  new.

Therefore the database key must include the structure: unique on
``(structure, tier, code)``.  ``(structure, code)`` alone is also unique as
long as codes are stored as these zero-padded strings (widths differ per
tier), but not if they are stored as integers (district 1 Ba Đình vs province
1 Hà Nội).  A bare ``code`` is never unique across the two structures.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

__all__ = [
    "COMMUNE",
    "DISTRICT",
    "PROVINCE",
    "STRUCTURES",
    "THREE_TIER",
    "THREE_TIER_PATH",
    "TWO_TIER",
    "UnitRecord",
    "count_by_tier",
    "three_tier_records",
    "two_tier_records",
    "two_tier_source_version",
]

PROVINCE = "province"
DISTRICT = "district"
COMMUNE = "commune"

THREE_TIER = "three-tier"
TWO_TIER = "two-tier"

THREE_TIER_PATH = Path(__file__).parent / "data" / "units-three-tier.csv.gz"

_CSV_HEADER = ["tier", "code", "name", "division_type", "parent_code"]
_WIDTH = {PROVINCE: 2, DISTRICT: 3, COMMUNE: 5}
_TWO_TIER_DISTRIBUTION = "vietnam-provinces"


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


def _province_key(province: str | int) -> str:
    """Normalise a province code so ``"1"``, ``1`` and ``"01"`` all work.

    Callers pass codes from forms, URLs and the package's integer enums; being
    lenient here avoids silent empty results from a missing leading zero.
    """
    text = str(int(province)) if isinstance(province, int) else str(province).strip()
    if not text.isdigit():
        raise ValueError(f"province code must be digits, got {province!r}")
    return text.zfill(_WIDTH[PROVINCE])


@cache
def _three_tier_all() -> tuple[UnitRecord, ...]:
    """Parse the gzip CSV once; ~11k rows take a few tens of milliseconds."""
    raw = gzip.decompress(THREE_TIER_PATH.read_bytes()).decode("utf-8")
    reader = csv.reader(io.StringIO(raw, newline=""))
    header = next(reader)
    if header != _CSV_HEADER:
        raise ValueError(f"{THREE_TIER_PATH.name}: unexpected header {header!r}")
    return tuple(
        UnitRecord(tier, code, name, division_type, parent or None)
        for tier, code, name, division_type, parent in reader
    )


@cache
def _two_tier_all() -> tuple[UnitRecord, ...]:
    """Build records from the installed package, ordered like the CSV.

    The import is local because the package's lookup table is large and only
    callers that want two-tier data should pay for it.  Codes are padded from
    the package's ints; ``division_type`` is a ``str`` enum, so ``.value``
    gives the plain string.
    """
    from vietnam_provinces import Province, Ward

    provinces = sorted(Province.iter_all(), key=lambda p: int(p.code))
    wards = sorted(Ward.iter_all(), key=lambda w: (int(w.province_code), int(w.code)))
    records = [
        UnitRecord(
            PROVINCE,
            f"{int(p.code):02d}",
            p.name,
            getattr(p.division_type, "value", str(p.division_type)),
            None,
        )
        for p in provinces
    ]
    records.extend(
        UnitRecord(
            COMMUNE,
            f"{int(w.code):05d}",
            w.name,
            getattr(w.division_type, "value", str(w.division_type)),
            f"{int(w.province_code):02d}",
        )
        for w in wards
    )
    return tuple(records)


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


def two_tier_records(province: str | int | None = None) -> Iterator[UnitRecord]:
    """Units since 1 July 2025: provinces, then communes (parent = province).

    Read from the installed ``vietnam-provinces`` package; same ordering and
    ``province`` filter as :func:`three_tier_records`.
    """
    records = _two_tier_all()
    if province is None:
        return iter(records)
    return _filter_province(records, province)


def two_tier_source_version() -> str:
    """Version of the installed ``vietnam-provinces`` distribution.

    Worth storing with imported two-tier rows: commune codes changed between
    releases (2025.x used the draft list, 2026.x the official one), so the
    version is part of what a code means.
    """
    return metadata.version(_TWO_TIER_DISTRIBUTION)


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

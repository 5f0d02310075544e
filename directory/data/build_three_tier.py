"""Rebuild ``units-three-tier.csv.gz`` from an unpacked ``vietnam-provinces==0.6.0``.

Why this exists: the project depends on the *current* ``vietnam-provinces``
(two-tier, post-July-2025 data), and pip cannot install 0.6.0 (the last
three-tier release) alongside it.  So the pre-2025 data is frozen into a small
gzip CSV in the repository, and this script is the audit trail showing exactly
how that file was made.  It uses only the standard library and does not import
the package (0.6.0 needs ``fastenumplus``/``Unidecode``); it reads the package's
``vietnam_provinces/data/nested-divisions.json``.

Usage::

    d=$(mktemp -d)
    pip download --no-deps vietnam-provinces==0.6.0 -d "$d"
    (cd "$d" && unzip -q vietnam_provinces-0.6.0-py3-none-any.whl)
    python directory/data/build_three_tier.py "$d"            # writes next to this script
    python directory/data/build_three_tier.py "$d" -o out.csv.gz

Output columns: ``tier,code,name,division_type,parent_code``.

* ``tier`` is ``province`` / ``district`` / ``commune``.
* ``code`` is the GSO code as a zero-padded string: 2 digits for provinces,
  3 for districts, 5 for communes (the package stores plain integers, e.g.
  ``1``; the official GSO form, also used by the package's own enum member
  names from 2025.8 on such as ``P_01`` / ``W_00070``, is ``01``).
* ``division_type`` is the precise type (``quận``, ``thị xã``, ``thị trấn``,
  ``phường`` …).  0.6.0's JSON only carries the generic level label
  (every district says ``huyện``, every commune ``xã``), so the precise type
  is derived from the name prefix, which the script checks is unambiguous for
  every row.  The vocabulary is the package's own ``VietNamDivisionType``.
* ``parent_code`` is empty for provinces.

Rows are ordered provinces, then districts, then communes (parents before
children); within a tier rows are grouped by parent code, then sorted by code
(numerically).  Grouping matters because GSO codes are not always contiguous
per parent, e.g. Phong Thổ district (109) holds communes 03391 and 03490 that
were moved in from neighbouring districts.  The gzip header carries no timestamp or file name, so the output
is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
from pathlib import Path

EXPECTED = {"province": 63, "district": 696, "commune": 10051}
WIDTH = {"province": 2, "district": 3, "commune": 5}
GENERIC = {"province": "tỉnh", "district": "huyện", "commune": "xã"}

# Name prefix -> precise division type, per tier.  Longest prefix first matters
# only for readability: no prefix here is a prefix of another in the same tier.
PREFIXES: dict[str, list[tuple[str, str]]] = {
    "province": [("Thành phố ", "thành phố trung ương"), ("Tỉnh ", "tỉnh")],
    "district": [
        ("Quận ", "quận"),
        ("Huyện ", "huyện"),
        ("Thị xã ", "thị xã"),
        ("Thành phố ", "thành phố"),
    ],
    "commune": [("Phường ", "phường"), ("Xã ", "xã"), ("Thị trấn ", "thị trấn")],
}

DEFAULT_OUT = Path(__file__).resolve().parent / "units-three-tier.csv.gz"


def find_json(root: Path) -> Path:
    """Locate nested-divisions.json given the unpack dir or the package dir."""
    for candidate in (
        root / "vietnam_provinces" / "data" / "nested-divisions.json",
        root / "data" / "nested-divisions.json",
        root,
    ):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"nested-divisions.json not found under {root}")


def precise_type(tier: str, name: str, generic: str) -> str:
    """Derive the precise division type from the name prefix, failing loudly."""
    if generic != GENERIC[tier]:
        raise SystemExit(f"unexpected division_type {generic!r} for {tier} {name!r}")
    # Case-insensitive: the data has quirks such as 'Thành Phố Bắc Kạn'.
    folded = name.casefold()
    for prefix, kind in PREFIXES[tier]:
        if folded.startswith(prefix.casefold()):
            return kind
    raise SystemExit(f"no known prefix for {tier} {name!r}")


def fmt(tier: str, code: int) -> str:
    return str(code).zfill(WIDTH[tier])


Row = tuple[str, str, str, str, str]


def row(tier: str, unit: dict, parent: str) -> Row:
    """One CSV row: tier, padded code, name, precise type, parent code."""
    kind = precise_type(tier, unit["name"], unit["division_type"])
    return (tier, fmt(tier, unit["code"]), unit["name"], kind, parent)


def build_rows(data: list[dict]) -> list[Row]:
    """Flatten the nested JSON into ordered rows, checking codes are unique."""
    # Each entry: ((parent code, own code) as ints for sorting, row).
    provinces: list[tuple[tuple[int, int], Row]] = []
    districts: list[tuple[tuple[int, int], Row]] = []
    communes: list[tuple[tuple[int, int], Row]] = []
    for p in data:
        provinces.append(((0, p["code"]), row("province", p, "")))
        pcode = fmt("province", p["code"])
        for d in p["districts"]:
            districts.append(((p["code"], d["code"]), row("district", d, pcode)))
            dcode = fmt("district", d["code"])
            for w in d["wards"]:
                communes.append(((d["code"], w["code"]), row("commune", w, dcode)))
    rows: list[Row] = []
    for tier_rows in (provinces, districts, communes):
        codes = [code for (_, code), _ in tier_rows]
        if len(codes) != len(set(codes)):
            raise SystemExit("duplicate code within a tier")
        rows.extend(r for _, r in sorted(tier_rows, key=lambda t: t[0]))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "package_dir", type=Path, help="unpacked vietnam-provinces 0.6.0 wheel/sdist"
    )
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    data = json.loads(find_json(args.package_dir).read_text(encoding="utf-8"))
    rows = build_rows(data)

    counts = {t: sum(1 for r in rows if r[0] == t) for t in EXPECTED}
    print("counts:", counts)
    if counts != EXPECTED:
        print(f"WARNING: counts differ from expected {EXPECTED}", file=sys.stderr)

    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("tier", "code", "name", "division_type", "parent_code"))
    writer.writerows(rows)
    raw = text.getvalue().encode("utf-8")
    # mtime=0 and no filename in the header -> reproducible bytes.
    buf = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0
    ) as gz:
        gz.write(raw)
    args.output.write_bytes(buf.getvalue())
    print(f"wrote {args.output} ({len(buf.getvalue())} bytes, {len(raw)} uncompressed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

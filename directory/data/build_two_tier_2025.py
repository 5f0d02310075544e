"""Freeze ``vietnam-provinces==2025.10.1``'s two-tier list and map its codes to the official ones.

Why this exists: installations loaded their two-tier units from 2025.10.1, whose commune list
is the July-2025 draft (114 of its 3,321 commune codes are not official, 9 more name another
commune officially).  ``rekey_units --from 2025.10.1`` moves such an installation to the official
codes, and its tests need to load "an installation with the old codes"; pip cannot install
2025.10.1 next to the current release, so what they need is frozen here.

Writes, next to this script:

* ``units-two-tier-2025.10.1.csv.gz``: the whole 2025.10.1 list (34 provinces, 3,321 communes),
  same format and order as ``units-three-tier.csv.gz``
  (``tier,code,name,division_type,parent_code``), read from the wheel's
  ``vietnam_provinces/data/nested-divisions.json`` (the same records as its
  ``Province.iter_all()`` / ``Ward.iter_all()``, checked when this was written);
* ``rekey-two-tier-2025.10.1.csv``: one row per commune whose 2025.10.1 code is not the official
  code of that commune: ``province_code,old_code,old_name,official_code,official_name,match``.

The mapping matches each 2025.10.1 commune with the official commune (the installed
``vietnam-provinces``, 2026.9.0) of the **same province and the same name**: ``match`` is
``exact`` when the names are identical, ``spelling`` when they are equal only under
``directory.unitdata.name_key`` (tone placement, spaces, dashes, apostrophes, case).  The script
stops unless every commune on each side matches exactly one on the other (a bijection), and
prints every name that needed ``spelling``.  Province codes are the same in both releases.

Usage (from the project root, with the project's virtualenv)::

    d=$(mktemp -d)
    pip download --no-deps vietnam-provinces==2025.10.1 -d "$d"
    (cd "$d" && unzip -q vietnam_provinces-2025.10.1-py3-none-any.whl)
    python directory/data/build_two_tier_2025.py "$d"

Both outputs are byte-for-byte reproducible (gzip without timestamp or file name).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from directory.unitdata import COMMUNE, PROVINCE, name_key, two_tier_records  # noqa: E402

RELEASE = "2025.10.1"
EXPECTED = {"province": 34, "commune": 3321}


def find_json(root: Path) -> Path:
    for candidate in (
        root / "vietnam_provinces" / "data" / "nested-divisions.json",
        root / "data" / "nested-divisions.json",
        root,
    ):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"nested-divisions.json not found under {root}")


def old_rows(data: list[dict]) -> list[tuple[str, str, str, str, str]]:
    provinces = sorted(data, key=lambda p: p["code"])
    rows = [("province", f"{p['code']:02d}", p["name"], p["division_type"], "") for p in provinces]
    for p in provinces:
        for w in sorted(p["wards"], key=lambda w: w["code"]):
            rows.append(("commune", f"{w['code']:05d}", w["name"], w["division_type"], f"{p['code']:02d}"))
    return rows


def gz_csv(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package_dir", type=Path, help="unpacked vietnam-provinces 2025.10.1 wheel")
    ap.add_argument("-o", "--output-dir", type=Path, default=HERE)
    args = ap.parse_args(argv)

    rows = old_rows(json.loads(find_json(args.package_dir).read_text(encoding="utf-8")))
    counts = {t: sum(1 for r in rows if r[0] == t) for t in EXPECTED}
    if counts != EXPECTED:
        raise SystemExit(f"counts {counts}, expected {EXPECTED}")

    official = [r for r in two_tier_records() if r.tier == COMMUNE]
    if {r[1] for r in rows if r[0] == "province"} != {r.code for r in two_tier_records() if r.tier == PROVINCE}:
        raise SystemExit("province codes differ between the releases")
    by_key: dict[tuple[str, str], list] = defaultdict(list)
    for r in official:
        by_key[(r.parent_code, name_key(r.name))].append(r)

    mapping, spelling, used = [], [], set()
    for tier, code, name, _kind, province in rows:
        if tier != "commune":
            continue
        found = by_key.get((province, name_key(name)), [])
        if len(found) != 1:
            raise SystemExit(f"{code} {name!r} (province {province}): {len(found)} official matches")
        match = found[0]
        if match.code in used:
            raise SystemExit(f"official {match.code} matched twice")
        used.add(match.code)
        kind = "exact" if match.name == name else "spelling"
        if kind == "spelling":
            spelling.append((code, name, match.code, match.name))
        if match.code != code:
            mapping.append((province, code, name, match.code, match.name, kind))
    if len(used) != len(official):
        raise SystemExit("some official communes matched no 2025.10.1 commune")

    units_path = args.output_dir / f"units-two-tier-{RELEASE}.csv.gz"
    units_path.write_bytes(gz_csv(rows, ("tier", "code", "name", "division_type", "parent_code")))
    rekey_path = args.output_dir / f"rekey-two-tier-{RELEASE}.csv"
    with rekey_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("province_code", "old_code", "old_name", "official_code", "official_name", "match"))
        writer.writerows(sorted(mapping, key=lambda m: (m[0], m[1])))

    only_old = {r[1] for r in rows if r[0] == "commune"} - {r.code for r in official}
    print(f"counts: {counts}; codes not official: {len(only_old)}; code changes: {len(mapping)}")
    print(f"matched only up to spelling ({len(spelling)}):")
    for code, name, new_code, new_name in spelling:
        print(f"  {code} {name!r} -> {new_code} {new_name!r}")
    print(f"wrote {units_path.name} ({units_path.stat().st_size} bytes), {rekey_path.name} ({len(mapping)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

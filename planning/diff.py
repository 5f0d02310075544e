"""What changed between two rounds of a plan (two frozen snapshots), in the snapshot's own terms:
field and source codes, amounts as stored. The API answers this shape; ``planning.changes``
words it for the pages."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

MILLI = Decimal("0.001")


def _amount(value: Any) -> Any:
    """An amount in one spelling ("1500" and "1500.000" are one amount), so only money that
    changed is a change; anything that is not a number is left as it is."""
    try:
        return str(Decimal(str(value)).quantize(MILLI))
    except (InvalidOperation, ValueError):
        return value


def _flat(line: dict[str, Any]) -> dict[str, Any]:
    """A frozen line with its amounts as top-level keys (one change entry per source)."""
    out = {k: v for k, v in line.items() if k != "amounts"}
    out.update({code: _amount(value) for code, value in line.get("amounts", {}).items()})
    return out


def _text(value: Any) -> Any:
    # A header field an older round did not have reads as blank, not as a change.
    return "" if value is None else value


def _keyed_lines(lines: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Identify a line by its catalogue item and its rank among that item's lines."""
    seen: Counter[str] = Counter()
    keyed = {}
    for line in lines:
        keyed[(line["item"], seen[line["item"]])] = line
        seen[line["item"]] += 1
    return keyed


def _changes(old: dict[str, Any], new: dict[str, Any], fields: list[str]) -> dict[str, dict[str, Any]]:
    return {f: {"old": old.get(f), "new": new.get(f)} for f in fields if old.get(f) != new.get(f)}


def _list_diff(old: list[dict], new: list[dict], key: str) -> dict[str, list]:
    old_by, new_by = {r[key]: r for r in old}, {r[key]: r for r in new}
    fields = sorted({f for r in old + new for f in r} - {key})
    return {
        "added": [new_by[k] for k in new_by if k not in old_by],
        "removed": [old_by[k] for k in old_by if k not in new_by],
        "changed": [
            {key: k, "changes": changes}
            for k in new_by
            if k in old_by and (changes := _changes(old_by[k], new_by[k], fields))
        ],
    }


def snapshot_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    old_lines = _keyed_lines([_flat(line) for line in old["lines"]])
    new_lines = _keyed_lines([_flat(line) for line in new["lines"]])
    line_fields = sorted({f for line in [*old_lines.values(), *new_lines.values()] for f in line} - {"item"})
    header_fields = sorted(set(old["header"]) | set(new["header"]))
    changed_lines = []
    for key in new_lines:
        if key in old_lines and (changes := _changes(old_lines[key], new_lines[key], line_fields)):
            line = new_lines[key]
            changed_lines.append(
                {
                    "item": key[0],
                    "catalogue": line.get("catalogue"),
                    "content": line.get("content", ""),
                    "changes": changes,
                }
            )
    return {
        "header": _changes(
            {f: _text(old["header"].get(f)) for f in header_fields},
            {f: _text(new["header"].get(f)) for f in header_fields},
            header_fields,
        ),
        "lines": {
            "added": [new_lines[k] for k in new_lines if k not in old_lines],
            "removed": [old_lines[k] for k in old_lines if k not in new_lines],
            "changed": changed_lines,
        },
        "indicators": _list_diff(old["indicators"], new["indicators"], "name"),
        "households": _list_diff(old["households"], new["households"], "code"),
        "totals": _changes(
            {k: _amount(v) for k, v in old.get("totals", {}).items()},
            {k: _amount(v) for k, v in new.get("totals", {}).items()},
            sorted(set(old.get("totals", {})) | set(new.get("totals", {}))),
        ),
    }


def is_empty(diff: dict[str, Any]) -> bool:
    return not diff["header"] and not any(
        diff[part][kind] for part in ("lines", "indicators", "households") for kind in ("added", "removed", "changed")
    )

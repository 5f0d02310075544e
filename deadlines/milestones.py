"""The cycle calendar: one milestone per plan type, level and step, derived from data.

``deadlines/data/calendar.json`` gives, per plan type, the milestones keyed by the tier of the
plan's unit and the route's step (``workflows/data/routes.json``). One milestone is fixed to a
written date ("trước ngày 10/12"); the rest hang off it by working days, so moving the anchor
(or a province's override of any milestone) moves everything derived from it. Levels absent
from the cycle's structure (districts, in the two-tier one) are skipped: a two-tier commune's
review is counted back from the province's submission.

This module is pure: the caller supplies the working calendar and the province's overrides.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

from deadlines.workdays import WorkingCalendar
from directory.models import Structure, Tier

CALENDAR_PATH = Path(__file__).resolve().parent / "data" / "calendar.json"

TIERS_OF_STRUCTURE = {
    Structure.THREE_TIER: (Tier.COMMUNE, Tier.DISTRICT, Tier.PROVINCE),
    Structure.TWO_TIER: (Tier.COMMUNE, Tier.PROVINCE),
}


@dataclass(frozen=True)
class Fixed:
    month: int
    day: int
    rule: str = "before"
    year_offset: int = 0
    # {first cycle year: offset} for cycles of that year and later, e.g. {"2026": -1}: from the
    # 2026-2030 period the council approves year Y's plan before 10/12 of Y-1 (the budget law).
    year_offsets: tuple[tuple[int, int], ...] = ()

    def offset_for(self, year: int) -> int:
        offset = self.year_offset
        for first_year, value in self.year_offsets:
            if year >= first_year:
                offset = value
        return offset


@dataclass(frozen=True)
class MilestoneSpec:
    key: str
    tier: str
    step: str
    title_vi: str
    title_en: str
    fixed: Fixed | None = None
    before: str = ""
    after: str = ""
    working_days: int = 0

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "vi").startswith("en") else self.title_vi


@dataclass(frozen=True)
class Milestone:
    spec: MilestoneSpec
    due_on: dt.date
    # "default" (from the data), "province" (the province's own override row).
    source: str
    # What was written ("trước ngày X": X) for fixed and overridden milestones.
    written: dt.date | None = None
    rule: str = ""

    @property
    def key(self) -> str:
        return self.spec.key


# (tier, step) → (written date, rule) of a province's overrides for one cycle and plan type.
Overrides = dict[tuple[str, str], tuple[dt.date, str]]


class CalendarDataError(ValueError):
    """The calendar data file is inconsistent (unknown reference, cycle, duplicate step)."""


@cache
def _data() -> dict[str, Any]:
    return json.loads(CALENDAR_PATH.read_text(encoding="utf-8"))


@cache
def specs(plan_type: str) -> tuple[MilestoneSpec, ...]:
    """The milestones of a plan type in data order (empty for a type without defaults)."""
    raw = _data().get(plan_type)
    if raw is None:
        return ()
    result = []
    for row in raw["milestones"]:
        fixed = row.get("fixed")
        result.append(
            MilestoneSpec(
                key=row["key"],
                tier=row["tier"],
                step=row["step"],
                title_vi=row["title_vi"],
                title_en=row.get("title_en", ""),
                fixed=_fixed(fixed) if fixed else None,
                before=row.get("before", ""),
                after=row.get("after", ""),
                working_days=int(row.get("working_days", 0)),
            )
        )
    _validate(plan_type, result)
    return tuple(result)


def _fixed(raw: dict[str, Any]) -> Fixed:
    offsets = tuple(sorted((int(year), int(offset)) for year, offset in raw.get("year_offsets", {}).items()))
    return Fixed(**{key: value for key, value in raw.items() if key != "year_offsets"}, year_offsets=offsets)


def _validate(plan_type: str, rows: list[MilestoneSpec]) -> None:
    keys = {row.key for row in rows}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if (row.tier, row.step) in seen:
            raise CalendarDataError(f"{plan_type}: two milestones for {row.tier}/{row.step}")
        seen.add((row.tier, row.step))
        sources = [bool(row.fixed), bool(row.before), bool(row.after)]
        if sum(sources) != 1:
            raise CalendarDataError(f"{plan_type}.{row.key}: give exactly one of fixed, before, after")
        reference = row.before or row.after
        if reference and reference not in keys:
            raise CalendarDataError(f"{plan_type}.{row.key}: unknown milestone {reference!r}")
        if row.fixed and row.fixed.rule not in ("before", "by"):
            raise CalendarDataError(f"{plan_type}.{row.key}: rule must be 'before' or 'by'")
    by_key = {row.key: row for row in rows}
    for row in rows:  # every chain ends at a fixed milestone
        chain = [row.key]
        current = row
        while not current.fixed:
            current = by_key[current.before or current.after]
            if current.key in chain:
                raise CalendarDataError(f"{plan_type}: milestones {chain} form a cycle")
            chain.append(current.key)


def plan_types_with_defaults() -> list[str]:
    return [key for key in _data() if not key.startswith("_")]


def compute(
    *, plan_type: str, year: int, structure: str, calendar: WorkingCalendar, overrides: Overrides | None = None
) -> list[Milestone]:
    """Every milestone of ``plan_type`` for a cycle of ``year`` in ``structure``, data order,
    levels absent from the structure left out."""
    rows = specs(plan_type)
    by_key = {row.key: row for row in rows}
    present = set(TIERS_OF_STRUCTURE.get(structure, (Tier.COMMUNE, Tier.DISTRICT, Tier.PROVINCE)))
    overrides = overrides or {}
    memo: dict[str, Milestone] = {}

    def resolve(key: str) -> Milestone:
        if key in memo:
            return memo[key]
        row = by_key[key]
        override = overrides.get((row.tier, row.step))
        if override is not None:
            written, rule = override
            result = Milestone(row, calendar.last_day(written, rule=rule), "province", written, rule)
        elif row.fixed:
            written = dt.date(year + row.fixed.offset_for(year), row.fixed.month, row.fixed.day)
            result = Milestone(row, calendar.last_day(written, rule=row.fixed.rule), "default", written, row.fixed.rule)
        else:
            direction = -1 if row.before else 1
            reference = _nearest_present(by_key, row.before or row.after, present, "before" if row.before else "after")
            base = resolve(reference).due_on
            result = Milestone(row, calendar.add_working_days(base, direction * row.working_days), "default")
        memo[key] = result
        return result

    return [resolve(row.key) for row in rows if row.tier in present]


def _nearest_present(by_key: dict[str, MilestoneSpec], key: str, present: set[str], direction: str) -> str:
    """``key``, or the first milestone further along its chain whose level exists."""
    current = by_key[key]
    while current.tier not in present:
        following = current.before if direction == "before" else current.after
        if not following:
            # The chain changes direction or ends at an anchor of an absent level: use it as is.
            return current.key
        current = by_key[following]
    return current.key


def route_steps(plan_type: str, tier: str) -> list[str]:
    """The steps of a plan type's route at a level, without a plan at hand."""
    from workflows import routes

    return routes.steps_at(plan_type, tier)


def find(milestones: list[Milestone], tier: str, step: str) -> Milestone | None:
    return next((m for m in milestones if m.spec.tier == tier and m.spec.step == step), None)

"""National benchmark dataset on PostgreSQL: ``python -m bench.generate --scale quick|full``.

What it builds, from the real three-tier unit data (63 provinces, 696 districts, 10,051
communes) and the real catalogue files:

* every unit's standard agencies with their guardian groups (the project's own loaders);
* officers: a drafter and a head for each agency that acts in a plan's route (commune People's
  Committee, district and province labour departments; province planning, finance and council;
  the ministry), named like the demo accounts (``t3-d109-labour-head``);
* one annual implementation plan per unit and cycle (2019-2023, periods 2016-2020 and
  2021-2025) with about 12 budget lines, plus other plan types per ``Scale.extra``; each line's
  money is one ``LineAmount`` row per funding source of the cycle's period that has money (the
  sources are the period's ``FundingSource`` rows, never named here);
* for every plan the rows the workflow engine itself would have written: its viewflow process,
  the chain of viewflow tasks (start, switch, human steps, split/join lanes, end) with their
  ``previous`` links, one ``WorkItem`` per human task, the audit events, frozen rounds and
  council resolutions;
* about 100,000 notifications.

History (every cycle but the last) is closed. The current cycle holds every state: commune
plans drafted, submitted, returned and accepted; district plans submitted/accepted/returned
where all their communes are accepted; a few provinces in appraisal, council, approved (report
step), reported (ministry step), closed and returned.

Writing goes through COPY (``bench.bulk``) because the ORM would take an hour for two million
rows; the rows copy what ``workflows.services.plan_act`` writes, and the last phase proves it:
real ``plan_act`` calls (submit, accept, return, the parallel appraisal lanes and their join,
council approval, report, acknowledgement) succeed on the generated rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from bench.common import SCALES, Progress, Scale

# Import-time Django access is avoided: ``main`` sets up Django first.

STANDING = {"commune": "people_committee", "district": "labour", "province": "labour"}
KIND_SLUG = {
    "people_committee": "ubnd",
    "people_council": "hdnd",
    "labour": "labour",
    "planning": "planning",
    "finance": "finance",
    "ministry": "ministry",
}
TIER_LETTER = {"province": "p", "district": "d", "commune": "c", "nation": "n"}
# Which officers each unit's agencies get: (tier, agency kind) -> roles.
STAFF = {
    ("commune", "people_committee"): ("drafter", "head"),
    ("district", "labour"): ("drafter", "head"),
    ("province", "labour"): ("drafter", "head"),
    ("province", "planning"): ("head",),
    ("province", "finance"): ("head",),
    ("province", "people_council"): ("council_secretary",),
    ("nation", "ministry"): ("drafter", "head"),
}
FLOW = "workflows/flows.PlanFlow"
OPEN = ("NEW", "ASSIGNED", "STARTED")

# States of the current cycle (weights). Phase A districts: communes still moving.
COMMUNE_STATES = {"draft": 25, "submitted": 40, "returned": 10, "accepted": 25}
# Phase B districts: every commune accepted, the district plan itself moving.
DISTRICT_STATES = {"submitted": 40, "accepted": 35, "returned": 10, "draft": 15}
PHASE_B_SHARE = 0.3
# Phase C provinces (the smallest ones): everything below accepted, the province moving.
PROVINCE_STATES = ("appraisal", "council", "approved", "reported", "closed", "returned", "draft")
# An open report type in the current cycle.
REPORT_STATES = {"draft": 60, "submitted": 30, "accepted": 10}
HISTORY_RETURN_SHARE = 0.15

# Money. Amounts are million VND with three decimal places, as the database returns them.
ZERO = Decimal("0.000")
MILLI = Decimal("0.001")
# FundingSource.Group values: "central" is the group the "central" subtotal sums.
CENTRAL, LOCAL = "central", "local"
# Items whose code starts so are infrastructure (project 1 of 2016-2020 and 2021-2025): the only
# ones that get the first central source's (investment) money.
INFRASTRUCTURE_PREFIX = "1."
# Every generated plan has the sections and the indicator a plan needs to be submitted
# (planning/data/completeness.json), so the real service accepts its submission.
PLAN_PURPOSE = "Cụ thể hóa mục tiêu, nhiệm vụ của Chương trình trên địa bàn; bố trí vốn đúng đối tượng, đúng nội dung."
PLAN_OBJECTIVES = "Tỷ lệ hộ nghèo đa chiều giảm 2%; hỗ trợ sinh kế cho hộ nghèo, hộ cận nghèo."
PLAN_INDICATOR = {"code": "GN-1", "name": "Tỷ lệ hộ nghèo đa chiều giảm", "unit_of_measure": "%", "kind": "change"}
PLAN_INDICATOR_VALUE = Decimal("2")

# Action sequences that lead to each state (``accept`` at the appraisal step closes both lanes).
PATHS: dict[tuple[str, str], list[str]] = {
    ("lower", "draft"): [],
    ("lower", "submitted"): ["submit"],
    ("lower", "returned"): ["submit", "return"],
    ("lower", "accepted"): ["submit", "accept"],
    ("lower", "accepted+return"): ["submit", "return", "submit", "accept"],
    ("province", "draft"): [],
    ("province", "appraisal"): ["submit"],
    ("province", "council"): ["submit", "accept"],
    ("province", "approved"): ["submit", "accept", "approve"],
    ("province", "reported"): ["submit", "accept", "approve", "report"],
    ("province", "closed"): ["submit", "accept", "approve", "report", "acknowledge"],
    ("province", "closed+return"): [
        "submit",
        "accept",
        "return",
        "submit",
        "accept",
        "approve",
        "report",
        "acknowledge",
    ],
    ("province", "returned"): ["submit", "accept", "return"],
    ("report", "draft"): [],
    ("report", "closed"): ["submit", "acknowledge"],
    ("issue", "draft"): [],
    ("issue", "closed"): ["issue_guidance"],
}


@dataclass(frozen=True)
class Source:
    """A funding source of a cycle's period (``planning.FundingSource``), in column order."""

    id: int
    code: str
    group: str


@dataclass(frozen=True)
class Line:
    """A generated budget line: one value per source of the period, in column order."""

    item_id: int
    code: str
    content: str
    values: tuple[Decimal, ...]


def money(value: int) -> Decimal:
    return Decimal(value).quantize(MILLI)


def draw_rules(sources: list[Source]) -> list[tuple[int, int, Callable[[int, bool], bool]]]:
    """For each source of the period: (low, high, applies(line number, infrastructure item)).

    By the source's group and its place in the group: the first central source (investment)
    only on infrastructure items, the other central sources (recurrent) on every line; local
    money on every third line, other money on every fifth. Draws are ``low..high`` times the
    tier's factor; a draw of 0 writes no amount row."""
    seen: Counter[str] = Counter()
    rules: list[tuple[int, int, Callable[[int, bool], bool]]] = []
    for source in sources:
        first = seen[source.group] == 0
        seen[source.group] += 1
        if source.group == CENTRAL:
            if first:
                rules.append((200, 5000, lambda n, infrastructure: infrastructure))
            else:
                rules.append((20, 1500, lambda n, infrastructure: True))
        elif source.group == LOCAL:
            rules.append((0, 100, lambda n, infrastructure: n % 3 == 0))
        else:
            rules.append((0, 60, lambda n, infrastructure: n % 5 == 0))
    return rules


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    tier: str
    name: str
    parent_id: int | None
    province_id: int | None
    district_id: int | None


@dataclass
class Choice:
    """Which units play which part; recomputed identically by the runner (``choose``)."""

    persona_province: Unit
    persona_district: Unit
    phase_c: dict[int, str]  # province id -> status of its current annual plan
    sample_district: Unit | None

    def usernames(self) -> dict[str, str]:
        return {
            "district_reviewer": username("district", self.persona_district.code, "labour", "head"),
            "province_reviewer": username("province", self.persona_province.code, "labour", "head"),
        }


def username(tier: str, code: str, kind: str, role: str) -> str:
    """The demo's naming (directory.demo): ``t3-<tier letter><code>-<agency>-<role>``."""
    prefix = "vn" if tier == "nation" else "t3"
    return f"{prefix}-{TIER_LETTER[tier]}{code}-{KIND_SLUG[kind]}-{role}"


def choose(units: list[Unit]) -> Choice:
    """Personas in the largest province and its largest district (the worst inbox); phase C in
    the smallest provinces; one phase A district of another province for the real sample."""
    communes = Counter()
    for u in units:
        if u.tier == "commune":
            communes[u.province_id] += 1
            communes[u.district_id] += 1
    provinces = sorted((u for u in units if u.tier == "province"), key=lambda u: (-communes[u.id], u.code))
    districts = [u for u in units if u.tier == "district"]
    persona_province = provinces[0]
    persona_district = min(
        (d for d in districts if d.province_id == persona_province.id), key=lambda d: (-communes[d.id], d.code)
    )
    smallest = sorted(provinces[1:], key=lambda u: (communes[u.id], u.code))
    phase_c = {p.id: status for p, status in zip(smallest, PROVINCE_STATES, strict=False)}
    others = [
        d
        for d in districts
        if d.province_id not in phase_c and d.province_id != persona_province.id and communes[d.id] >= 4
    ]
    sample = min(others, key=lambda d: d.code) if others else None
    return Choice(persona_province, persona_district, phase_c, sample)


def load_units(provinces: tuple[str, ...] | None = None) -> list[Unit]:
    """The nation and the three-tier units of ``provinces`` (all when None).

    Other units of the database (the demo's Lai Châu in the test database) are left alone."""
    from django.db.models import Q

    from directory.models import AdministrativeUnit

    scope = Q(structure="national") | Q(structure="three-tier")
    if provinces is not None:
        scope = Q(structure="national") | Q(structure="three-tier") & (
            Q(tier="province", code__in=provinces) | Q(province__code__in=provinces)
        )
    rows = AdministrativeUnit.objects.filter(scope).values_list(
        "id", "code", "tier", "name", "parent_id", "province_id", "district_id"
    )
    return [Unit(*row) for row in rows]


# --- the route, simulated ------------------------------------------------------------------


@dataclass
class HumanTask:
    step: str
    flow_task: str  # step | lane_1 | lane_2
    lane: str
    agency_id: int
    unit_id: int  # the acting unit: viewflow's permission object
    created: dt.datetime
    assignee_id: int | None = None
    done: tuple[int, str, dt.datetime] | None = None  # (actor, action, at)


@dataclass
class Entry:
    """The flow entering a step (or the end): one switch task, then the step's task(s)."""

    step: str
    at: dt.datetime
    tasks: list[HumanTask] = field(default_factory=list)


@dataclass
class Event:
    action: str
    step: str
    actor_id: int
    agency_id: int
    from_status: str
    to_status: str
    round_number: int
    at: dt.datetime
    comment: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class History:
    entries: list[Entry]
    events: list[Event]
    rounds: list[tuple[int, str, int, dt.datetime]]  # (number, kind, actor, at)
    resolutions: list[tuple[str, dt.date, int, int, dt.datetime]]
    status: str
    round_number: int
    step: str
    returned: bool


class Route:
    """Mirrors ``workflows.services._route_action`` for generated histories: which step each
    action leads to and which status the plan takes (from ``workflows/data/routes.json``)."""

    def __init__(self, ctx: Context) -> None:
        from workflows import routes

        self.routes = routes
        self.ctx = ctx

    def steps(self, plan_type: str, tier: str) -> list[str]:
        return self.routes.steps_for(SimpleNamespace(plan_type=plan_type, unit=SimpleNamespace(tier=tier)))

    def acting(self, unit: Unit, step: str, lane=None) -> tuple[int, int]:
        """(acting unit id, agency id) of a step, as ``routes.acting_agency`` resolves it."""
        spec = self.routes.step_spec(step)
        acting_unit = {
            "self": unit,
            "parent": self.ctx.units.get(unit.parent_id),
            "nation": self.ctx.nation,
        }[spec.actor]
        kind = lane.agency if lane else spec.agency
        if kind in ("standing", "drafting"):
            kind = STANDING[acting_unit.tier]
        return acting_unit.id, self.ctx.agency[(acting_unit.id, kind)]

    def history(
        self, plan_type: str, unit: Unit, actions: list[str], start: dt.datetime, rng: random.Random
    ) -> History:
        routes = self.routes
        steps = self.steps(plan_type, unit.tier)
        drafter = self.ctx.drafter_for(unit)
        status, round_number, returned = "draft", 0, False
        at = start
        entries: list[Entry] = []
        events: list[Event] = []
        rounds: list[tuple[int, str, int, dt.datetime]] = []
        resolutions: list[tuple[str, dt.date, int, int, dt.datetime]] = []

        def enter(step: str) -> Entry:
            entry = Entry(step, at)
            if step != routes.END:
                spec = routes.step_spec(step)
                lanes = spec.lanes or (None,)
                for index, lane in enumerate(lanes):
                    unit_id, agency_id = self.acting(unit, step, lane)
                    owner = drafter if step == "draft" and returned else None
                    entry.tasks.append(
                        HumanTask(
                            step=step,
                            flow_task=f"lane_{index + 1}" if lane else "step",
                            lane=lane.name if lane else "",
                            agency_id=agency_id,
                            unit_id=unit_id,
                            created=at,
                            assignee_id=owner,
                        )
                    )
            entries.append(entry)
            return entry

        entry = enter(steps[0])
        for action in actions:
            step = entry.step
            spec = routes.step_spec(step)
            action_spec = spec.actions[action]
            goto = action_spec.goto
            if goto == routes.NEXT:
                index = steps.index(step)
                goto = steps[index + 1] if index + 1 < len(steps) else routes.END
            for n, task in enumerate(entry.tasks):
                at += dt.timedelta(days=rng.randint(1, 4), minutes=rng.randint(0, 600))
                actor = self.ctx.actor(task.agency_id, action_spec.roles)
                task.done = (actor, action, at)
                last = n == len(entry.tasks) - 1
                from_status = status
                if action == "submit":
                    round_number += 1
                    rounds.append((round_number, "submission", actor, at))
                if last:
                    if goto == routes.END:
                        status = routes.END_STATUS[action]
                    elif goto == "draft":
                        status = "returned"
                    else:
                        status = routes.ENTRY_STATUS[goto]
                data: dict[str, Any] = {}
                comment = ""
                if action == "return":
                    comment = rng.choice(RETURN_REASONS)
                    data = {"line_comments": []} if "line_comments" in action_spec.field_names else {}
                if action == "approve":
                    # The resolution carries the submitted round; the approved text is frozen as
                    # the next round before the audit row is written (as _route_action does).
                    number = f"{rng.randint(10, 99)}/NQ-HĐND"
                    day = (at - dt.timedelta(days=1)).date()
                    data = {"resolution_number": number, "resolution_date": day.isoformat()}
                    resolutions.append((number, day, round_number, actor, at))
                    round_number += 1
                    rounds.append((round_number, "approved", actor, at))
                events.append(
                    Event(action, step, actor, task.agency_id, from_status, status, round_number, at, comment, data)
                )
            returned = goto == "draft"
            at += dt.timedelta(minutes=1)
            entry = enter(goto)
        return History(entries, events, rounds, resolutions, status, round_number, entry.step, returned)


RETURN_REASONS = (
    "Đề nghị bổ sung danh sách hộ thụ hưởng",
    "Vốn đối ứng chưa đúng tỷ lệ quy định",
    "Làm rõ nội dung dự án 1 và dự án 3",
    "Chưa khớp với kế hoạch trung hạn",
)


# --- the dataset ---------------------------------------------------------------------------


class Context:
    """Units, agencies and officers in memory, so the plan loop never queries."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = {u.id: u for u in units}
        self.nation = next(u for u in units if u.tier == "nation")
        self.agency: dict[tuple[int, str], int] = {}
        self.officer: dict[tuple[int, str], int] = {}  # (agency id, role) -> user id

    def drafter_for(self, unit: Unit) -> int:
        return self.officer[(self.agency[(unit.id, STANDING[unit.tier])], "drafter")]

    def actor(self, agency_id: int, roles: tuple[str, ...]) -> int:
        """The agency's officer who takes an action open to ``roles``: its head when allowed."""
        for role in sorted(roles, key=lambda role: role != "head"):
            if (agency_id, role) in self.officer:
                return self.officer[(agency_id, role)]
        raise LookupError(f"no officer with {roles} in agency {agency_id}")


@dataclass
class Summary:
    counts: dict[str, int]  # rows this run wrote
    choice: Choice
    plan_ids: list[int]


class Generator:
    def __init__(self, scale: Scale, progress: Progress | None = None, *, sample: bool = True) -> None:
        self.scale = scale
        self.progress = progress or Progress()
        self.rng = random.Random(20230101)  # noqa: S311 — reproducible data, not secrets
        self.sample = sample

    # phases ---------------------------------------------------------------------------------

    def run(self) -> Summary:
        self.load_directory()
        self.load_officers()
        self.load_catalogue()
        self.load_plans()
        self.load_notifications()
        self.finish()
        if self.sample:
            self.real_transitions()
        return Summary(self.written(), self.choice, [pid for ids in self.plan_ids.values() for pid in ids.values()])

    def load_directory(self) -> None:
        from directory import services, unitdata
        from directory.models import AdministrativeUnit

        provinces = self.scale.provinces
        records = (
            list(unitdata.three_tier_records())
            if provinces is None
            else [r for code in provinces for r in unitdata.three_tier_records(code)]
        )
        result = services.units_load(structure="three-tier", records=records)
        units = AdministrativeUnit.objects.filter(structure="three-tier", code__in=[r.code for r in records])
        created = services.agencies_ensure_standard(units=list(units))
        created += services.agencies_ensure_standard(units=[services.nation_ensure()])
        self.progress("units and agencies", **result.counts, agencies=created)
        self.units = load_units(provinces)
        self.ctx = Context(self.units)
        self.choice = choose(self.units)
        from directory.models import Agency

        for unit_id, kind, agency_id in Agency.objects.values_list("unit_id", "kind", "id"):
            self.ctx.agency[(unit_id, kind)] = agency_id

    def load_officers(self) -> None:
        """Bulk: users (one password hash, the demo's), memberships and group rows."""
        from django.contrib.auth.hashers import make_password

        from directory.demo import DEMO_PASSWORD
        from directory.models import Agency, Membership, User

        password = make_password(DEMO_PASSWORD)
        groups = dict(Agency.objects.values_list("id", "group_id"))
        planned: list[tuple[str, int, str, str]] = []  # username, agency, role, full name
        for unit in self.units:
            for (tier, kind), roles in STAFF.items():
                if unit.tier != tier or (unit.id, kind) not in self.ctx.agency:
                    continue
                for role in roles:
                    name = f"{'Chủ tịch' if role == 'head' and tier == 'commune' else 'Cán bộ'} {unit.name}"
                    planned.append(
                        (username(tier, unit.code, kind, role), self.ctx.agency[(unit.id, kind)], role, name)
                    )
        existing = dict(User.objects.filter(username__in=[u for u, *_ in planned]).values_list("username", "pk"))
        created = User.objects.bulk_create(
            [
                User(username=u, full_name=n, password=password, email=f"{u}@bench.invalid")
                for u, _a, _r, n in planned
                if u not in existing
            ],
            batch_size=5000,
        )
        ids = existing | {user.username: user.pk for user in created}
        # Officers already there (the demo's, in the test database) keep their rows; missing
        # memberships and group rows are added either way.
        Membership.objects.bulk_create(
            [Membership(user_id=ids[u], agency_id=a, role=r) for u, a, r, _n in planned],
            batch_size=5000,
            ignore_conflicts=True,
        )
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=ids[u], group_id=groups[a]) for u, a, _r, _n in planned],
            batch_size=5000,
            ignore_conflicts=True,
        )
        for u, agency, role, _n in planned:
            self.ctx.officer[(agency, role)] = ids[u]
        extra = [
            User(username=f"bench-ws-{i:04d}", full_name=f"Websocket {i}", password=password)
            for i in range(1, self.scale.ws_users + 1)
        ]
        extra.append(User(username="bench-admin", password=password, is_staff=True, is_superuser=True))
        taken = set(User.objects.filter(username__in=[u.username for u in extra]).values_list("username", flat=True))
        User.objects.bulk_create([u for u in extra if u.username not in taken], batch_size=5000)
        self.progress("officers", users=len(created), existing=len(existing), websocket_users=self.scale.ws_users)

    def load_catalogue(self) -> None:
        from planning import services
        from planning.models import CatalogueItem, FundingSource

        services.catalogue_load_all()
        self.cycles = {year: services.cycle_ensure(year=year, structure="three-tier") for year in self.scale.years}
        self.items: dict[int, list[tuple[int, str, str]]] = {}
        # The funding sources of each cycle's period, in column order: what the lines' amounts,
        # the frozen rounds and the expected totals are keyed by.
        self.sources: dict[int, list[Source]] = {}
        self.period_code: dict[int, str] = {}
        for year, cycle in self.cycles.items():
            self.items[year] = list(
                CatalogueItem.objects.filter(period_id=cycle.period_id, budgetable=True)
                .order_by("position")
                .values_list("id", "code", "title_vi")
            )
            self.sources[year] = [
                Source(*row)
                for row in FundingSource.objects.filter(period_id=cycle.period_id)
                .order_by("position")
                .values_list("id", "code", "group")
            ]
            if not self.sources[year]:
                raise LookupError(f"no funding sources for the period of {year}: catalogue_load_all loads them")
            self.period_code[year] = cycle.period.code
        self.progress(
            "catalogue and cycles",
            cycles=len(self.cycles),
            sources=",".join(sorted({str(len(v)) for v in self.sources.values()})),
        )

    def load_plans(self) -> None:
        from django.contrib.contenttypes.models import ContentType
        from viewflow.workflow.models import Process, Task

        from approvals.models import AuditEvent, Resolution
        from bench.bulk import Table
        from directory.models import AdministrativeUnit
        from planning.models import BudgetLine, Indicator, LineAmount, Plan, PlanRound
        from workflows.models import WorkItem

        self.ct_plan = ContentType.objects.get_for_model(Plan).pk
        self.ct_unit = ContentType.objects.get_for_model(AdministrativeUnit).pk
        self.t = SimpleNamespace(
            plan=Table(Plan),
            # Line ids are handed out here, like plan ids, so that amounts can name their line.
            line=Table(BudgetLine),
            amount=Table(LineAmount, with_pk=False),
            indicator=Table(Indicator, with_pk=False),
            process=Table(Process),
            task=Table(Task),
            previous=Table(Task.previous.through, with_pk=False),
            item=Table(WorkItem),
            audit=Table(AuditEvent, with_pk=False),
            resolution=Table(Resolution, with_pk=False),
            round=Table(PlanRound, with_pk=False),
        )
        self.route = Route(self.ctx)
        self.plan_ids: dict[tuple[int, str], dict[int, int]] = {}
        for year in self.scale.years:
            for plan_type in ("annual", *self.scale.extra.get(year, ())):
                self.load_batch(year, plan_type)

    def load_batch(self, year: int, plan_type: str) -> None:
        """One cycle and plan type: every unit's plan with its history, in one transaction."""
        from django.db import transaction

        t = self.t
        current = year == self.scale.current_year
        states = self.states(plan_type, current)
        by_tier = {"province": [], "district": [], "commune": []}
        for unit in self.units:
            if unit.tier in by_tier:
                by_tier[unit.tier].append(unit)
        ids = {u.id: t.plan.new_id() for tier in by_tier.values() for u in tier}
        self.plan_ids[(year, plan_type)] = ids
        sources = self.sources[year]
        amounts = self.amounts(year, plan_type, ids) if plan_type == "annual" else {}
        subtree = self.subtree_totals(sources, amounts, ids)
        base = dt.datetime(year - 1, 7, 1, 8, tzinfo=dt.UTC)
        offsets = {"commune": 0, "district": 45, "province": 90}
        counts = Counter()
        for tier in ("province", "district", "commune"):
            for unit in by_tier[tier]:
                kind, state = states[unit.id]
                start = base + dt.timedelta(
                    days=offsets[tier] + self.rng.randint(0, 10), minutes=self.rng.randint(0, 900)
                )
                history = self.route.history(plan_type, unit, PATHS[(kind, state)], start, self.rng)
                self.write_plan(year, plan_type, unit, ids, history, amounts.get(ids[unit.id], []), subtree, start)
                counts[history.status] += 1
        with transaction.atomic():
            for table in (
                t.plan,
                t.line,
                t.amount,
                t.indicator,
                t.process,
                t.task,
                t.previous,
                t.item,
                t.audit,
                t.resolution,
                t.round,
            ):
                table.flush()
        self.progress(f"plans {year} {plan_type}", plans=len(ids), **dict(sorted(counts.items())))

    def states(self, plan_type: str, current: bool) -> dict[int, tuple[str, str]]:
        """(path family, state) of each unit's plan of this type in this cycle."""
        choice, rng = self.choice, self.rng
        family = {"commune": "lower", "district": "lower", "province": "province"}
        if plan_type in ("monitoring_6m", "monitoring_annual"):
            family["province"] = "report"
        if plan_type == "household_review":
            family.update({"district": "issue", "province": "issue"})
        out: dict[int, tuple[str, str]] = {}
        if not current:
            for u in self.units:
                if u.tier in family:
                    closed = "closed" if family[u.tier] in ("report", "issue") else "accepted"
                    if family[u.tier] == "province":
                        closed = "closed+return" if rng.random() < 0.1 else "closed"
                    elif rng.random() < HISTORY_RETURN_SHARE and family[u.tier] == "lower":
                        closed = "accepted+return"
                    out[u.id] = (family[u.tier], closed)
            return out
        if plan_type != "annual":
            # Household reviews run top-down: communes submit only once the guidance is issued.
            upper = "closed" if plan_type == "household_review" else "draft"
            for u in self.units:
                if u.tier == "commune":
                    out[u.id] = ("lower", pick(rng, REPORT_STATES))
                elif u.tier in family:
                    out[u.id] = (family[u.tier], upper)
            return out
        districts = [u for u in self.units if u.tier == "district"]
        phase: dict[int, str] = {}
        for n, d in enumerate(sorted(districts, key=lambda d: d.code)):
            if d.province_id in choice.phase_c:
                phase[d.id] = "C"
            elif d.id in (choice.persona_district.id, getattr(choice.sample_district, "id", None)):
                phase[d.id] = "A"
            elif d.province_id == choice.persona_province.id:
                phase[d.id] = "B" if n % 2 else "A"
            else:
                phase[d.id] = "B" if rng.random() < PHASE_B_SHARE else "A"
        for u in self.units:
            if u.tier == "province":
                out[u.id] = ("province", choice.phase_c.get(u.id, "draft"))
            elif u.tier == "district":
                if phase[u.id] == "C":
                    out[u.id] = ("lower", "accepted")
                elif phase[u.id] == "B":
                    persona = u.province_id == choice.persona_province.id
                    out[u.id] = ("lower", "submitted" if persona else pick(rng, DISTRICT_STATES))
                else:
                    out[u.id] = ("lower", "draft")
            elif u.tier == "commune":
                out[u.id] = ("lower", pick(rng, COMMUNE_STATES) if phase[u.district_id] == "A" else "accepted")
        return out

    def amounts(self, year: int, plan_type: str, ids: dict[int, int]) -> dict[int, list[Line]]:
        """Budget lines per plan id, each with one amount per source of the period (zeros included).

        The draw depends on the source's group and its place in the group (``draw_rules``): the
        first central source (investment) only on infrastructure items, the other central sources
        on every line, local money on every third line, other money on every fifth."""
        items = self.items[year]
        rules = draw_rules(self.sources[year])
        factor = {"commune": 1, "district": 6, "province": 25}
        out: dict[int, list[Line]] = {}
        rng = self.rng
        for unit_id, plan_id in ids.items():
            tier = self.ctx.units[unit_id].tier
            f = factor[tier]
            lines = []
            for n in range(self.scale.lines_per_plan):
                item_id, code, title = items[n % len(items)]
                infrastructure = code.startswith(INFRASTRUCTURE_PREFIX)
                values = tuple(
                    money(rng.randint(low, high) * f) if applies(n, infrastructure) else ZERO
                    for low, high, applies in rules
                )
                lines.append(Line(item_id, code, title[:120], values))
            out[plan_id] = lines
        return out

    def subtree_totals(
        self, sources: list[Source], amounts: dict[int, list[Line]], ids: dict[int, int]
    ) -> dict[int, dict[str, Decimal]]:
        """What ``planning.selectors.plan_totals`` returns for each plan (own + everything below),
        computed here from the generated amounts, independently of the selectors."""
        if not amounts:
            return {}
        width = len(sources)
        own = {
            pid: [sum((line.values[i] for line in lines), ZERO) for i in range(width)] for pid, lines in amounts.items()
        }
        totals = {pid: list(v) for pid, v in own.items()}
        for tier in ("commune", "district"):
            for unit in self.units:
                if unit.tier == tier and unit.parent_id in ids:
                    parent = ids[unit.parent_id]
                    totals[parent] = [a + b for a, b in zip(totals[parent], totals[ids[unit.id]], strict=True)]
        return {pid: totals_dict(sources, v) for pid, v in totals.items()}

    def write_plan(self, year, plan_type, unit, ids, history: History, lines, subtree, start) -> None:
        t, ctx = self.t, self.ctx
        plan_id = ids[unit.id]
        drafter = ctx.drafter_for(unit)
        committee = ctx.units[unit.id].name
        issued = history.status in ("accepted", "closed", "approved", "guidance_issued")
        header = {
            "issuing_body": f"ỦY BAN NHÂN DÂN {committee.upper()}",
            "number_symbol": f"{self.rng.randint(1, 400)}/KH-UBND" if issued else "",
            "place": committee.split(" ", 1)[-1],
            "issued_on": history.events[-1].at.date() if issued and history.events else None,
        }
        t.plan.add(
            id=plan_id,
            cycle_id=self.cycles[year].pk,
            unit_id=unit.id,
            plan_type=plan_type,
            parent_id=ids.get(unit.parent_id),
            province_id=unit.province_id,
            district_id=unit.district_id,
            status=history.status,
            round_number=history.round_number,
            legal_bases="Căn cứ Quyết định số 90/QĐ-TTg ngày 18/01/2022 của Thủ tướng Chính phủ;",
            # What a plan must hold to be submitted (planning/data/completeness.json).
            purpose=PLAN_PURPOSE,
            objectives=PLAN_OBJECTIVES,
            created_by_id=drafter,
            last_edited_by_id=drafter,
            created_at=start,
            updated_at=history.events[-1].at if history.events else start,
            **header,
        )
        sources = self.sources[year]
        for position, line in enumerate(lines):
            line_id = t.line.new_id()
            t.line.add(id=line_id, plan_id=plan_id, position=position, item_id=line.item_id, content=line.content)
            for source, value in zip(sources, line.values, strict=True):
                if value:
                    t.amount.add(
                        line_id=line_id, plan_id=plan_id, item_id=line.item_id, source_id=source.id, amount=value
                    )
        t.indicator.add(plan_id=plan_id, position=0, value=PLAN_INDICATOR_VALUE, **PLAN_INDICATOR)
        self.write_process(plan_id, history, start)
        for e in history.events:
            t.audit.add(
                plan_id=plan_id,
                actor_id=e.actor_id,
                agency_id=e.agency_id,
                action=e.action,
                step=e.step,
                from_status=e.from_status,
                to_status=e.to_status,
                comment=e.comment,
                round_number=e.round_number,
                data=e.data,
                request_id="",
                created_at=e.at,
            )
        if history.rounds:
            snapshot = {
                "header": {
                    **header,
                    "issued_on": None,
                    "legal_bases": "",
                    "purpose": PLAN_PURPOSE,
                    "objectives": PLAN_OBJECTIVES,
                    "recipients": "",
                },
                # planning.services.snapshot_lines: the line shape with the non-zero amounts.
                "lines": [
                    {
                        "item": line.code,
                        "catalogue": self.period_code[year],
                        "content": line.content,
                        "lead_agency": "",
                        "coordinating_agencies": "",
                        "beneficiaries": "",
                        "amounts": {s.code: str(v) for s, v in zip(sources, line.values, strict=True) if v},
                    }
                    for line in lines
                ],
                # planning.services.snapshot_indicators of the plan's one indicator.
                "indicators": [
                    {
                        "code": PLAN_INDICATOR["code"],
                        "criterion": None,
                        "name": PLAN_INDICATOR["name"],
                        "unit": PLAN_INDICATOR["unit_of_measure"],
                        "kind": PLAN_INDICATOR["kind"],
                        "value": str(PLAN_INDICATOR_VALUE.quantize(MILLI)),
                        "value_max": None,
                        "baseline": None,
                    }
                ],
                "households": [],
                "totals": {k: str(v) for k, v in (subtree.get(plan_id) or zero_totals(sources)).items()},
            }
            for number, kind, actor, at in history.rounds:
                t.round.add(
                    plan_id=plan_id, number=number, kind=kind, snapshot=snapshot, created_by_id=actor, created_at=at
                )
        for number, day, round_number, actor, at in history.resolutions:
            t.resolution.add(
                plan_id=plan_id,
                number=number,
                date=day,
                round_number=round_number,
                recorded_by_id=actor,
                recorded_at=at,
            )

    def write_process(self, plan_id: int, history: History, start: dt.datetime) -> None:
        """The viewflow process and task chain exactly as the engine leaves it (see module doc)."""
        t = self.t
        finished = history.step == "end"
        process_id = t.process.new_id()
        t.process.add(
            id=process_id,
            flow_class=FLOW,
            status="DONE" if finished else "NEW",
            created=start,
            finished=history.entries[-1].at if finished else None,
            artifact_content_type_id=self.ct_plan,
            artifact_object_id=plan_id,
            data={"plan": plan_id, "step": history.step, "returned": history.returned},
        )

        def task(flow_task: str, kind: str, created: dt.datetime, previous: list[int], **values: Any) -> int:
            task_id = t.task.new_id()
            values.setdefault("status", "DONE")
            values.setdefault("token", "start")
            t.task.add(
                id=task_id,
                process_id=process_id,
                flow_task=f"{FLOW}.{flow_task}",
                flow_task_type=kind,
                created=created,
                data={},
                **values,
            )
            for p in previous:
                t.previous.add(from_task_id=task_id, to_task_id=p)
            return task_id

        tail = [task("start", "START", start, [], started=start, finished=start)]
        for entry in history.entries:
            route = task("route", "SWITCH", entry.at, tail, finished=entry.at)
            if entry.step == "end":
                task("finish", "END", entry.at, [route], started=entry.at, finished=entry.at)
                break
            previous = [route]
            token_base = "start"  # noqa: S105 — viewflow's token, not a password
            if len(entry.tasks) > 1:
                split = task("lanes", "PARALLEL_GATEWAY", entry.at, [route], finished=entry.at)
                previous, token_base = [split], f"start/{split}"
            tail = []
            for n, human in enumerate(entry.tasks):
                done = human.done
                status = "DONE" if done else ("ASSIGNED" if human.assignee_id else "NEW")
                task_id = task(
                    human.flow_task,
                    "HUMAN",
                    human.created,
                    previous,
                    status=status,
                    token=f"{token_base}_{n + 1}" if len(entry.tasks) > 1 else "start",
                    owner_id=done[0] if done else human.assignee_id,
                    owner_permission="directory.operate_unit",
                    owner_permission_content_type_id=self.ct_unit,
                    owner_permission_obj_pk=str(human.unit_id),
                    started=done[2] if done else None,
                    finished=done[2] if done else None,
                )
                tail.append(task_id)
                self.t.item.add(
                    id=self.t.item.new_id(),
                    task_id=task_id,
                    process_id=process_id,
                    plan_id=plan_id,
                    step=human.step,
                    lane=human.lane,
                    agency_id=human.agency_id,
                    unit_id=self.agency_unit(human.agency_id),
                    assignee_id=human.assignee_id,
                    is_open=done is None,
                    due_at=human.created + dt.timedelta(days=10),
                    created_at=human.created,
                    closed_at=done[2] if done else None,
                    closed_by_id=done[0] if done else None,
                    outcome=done[1] if done else "",
                )
            if len(tail) > 1 and all(h.done for h in entry.tasks):
                last = max(h.done[2] for h in entry.tasks)
                tail = [task("join", "JOIN", last, tail, started=last, finished=last)]

    def agency_unit(self, agency_id: int) -> int:
        if not hasattr(self, "_agency_unit"):
            self._agency_unit = {a: u for (u, _k), a in self.ctx.agency.items()}
        return self._agency_unit[agency_id]

    def load_notifications(self) -> None:
        """About ``scale.notifications`` delivered notifications, most of them read; the
        personas get a few hundred with some unread, like an officer's bell."""
        from bench.bulk import Table
        from directory.models import User
        from notifications.models import Notification

        rng, n = self.rng, self.scale.notifications
        self.notifications_written = 0
        if n <= 0:
            return
        table = Table(Notification, with_pk=False)
        officers = sorted(set(self.ctx.officer.values()))
        personas = list(User.objects.filter(username__in=self.choice.usernames().values()).values_list("pk", flat=True))
        plans = [pid for ids in self.plan_ids.values() for pid in ids.values()]
        kinds = ("task", "task", "task", "accepted", "returned", "approved", "info")
        start = dt.datetime(min(self.scale.years) - 1, 7, 1, tzinfo=dt.UTC)
        span = int((dt.datetime(self.scale.current_year, 3, 1, tzinfo=dt.UTC) - start).total_seconds())
        for i in range(n):
            recipient = personas[i % len(personas)] if personas and i % 100 == 0 else rng.choice(officers)
            plan = rng.choice(plans)
            created = start + dt.timedelta(seconds=int(span * i / n))
            read = rng.random() < 0.85
            text = f"Việc mới: Thẩm định kế hoạch cấp dưới — kế hoạch #{plan}"
            table.add(
                recipient_id=recipient,
                kind=rng.choice(kinds),
                plan_id=plan,
                link=f"/plans/{plan}/task/",
                text_vi=text,
                text_en=f"New task — plan #{plan}",
                created_at=created,
                read_at=created + dt.timedelta(hours=5) if read else None,
                pushed_at=created,
                emailed_at=created + dt.timedelta(minutes=1),
                email_outcome="sent",
                email_attempts=1,
            )
            if len(table.rows) >= 20_000:
                table.flush()
        table.flush()
        self.notifications_written = table.written
        self.progress("notifications", rows=table.written)

    def finish(self) -> None:
        from django.db import connection

        for table in vars(self.t).values():
            table.finish()
        with connection.cursor() as cursor:
            # Fresh statistics (and, outside a transaction, the visibility map) as autovacuum
            # would leave them on a live system; without them the first plans are nonsense.
            cursor.execute("VACUUM (ANALYZE)" if not connection.in_atomic_block else "ANALYZE")
        self.progress("analyze")

    # real transitions -------------------------------------------------------------------------

    def real_transitions(self) -> None:
        """Drive the real service over generated rows: each kind of state, one real action.

        A failure here means the generated rows differ from what the engine writes."""
        from directory.models import User
        from planning.models import Plan
        from workflows import services
        from workflows.models import WorkItem

        year = self.scale.current_year
        plans = Plan.objects.filter(pk__in=list(self.plan_ids[(year, "annual")].values()))
        done: list[str] = []

        def act(user_id: int, plan: Plan, action: str, expect: str, **kwargs: Any) -> None:
            actor = User.objects.get(pk=user_id)
            result = services.plan_act(actor=actor, plan_id=plan.pk, action=action, **kwargs)
            if result["status"] != expect:
                raise AssertionError(f"{action} on plan {plan.pk}: {result['status']} != {expect}")
            done.append(f"{action}->{expect}")

        def head(plan: Plan, step: str, lane: str = "") -> int:
            item = WorkItem.objects.get(plan=plan, is_open=True, step=step, lane=lane)
            return self.ctx.actor(item.agency_id, ("head", "council_secretary", "drafter"))

        sample = self.choice.sample_district
        if sample is not None:
            communes = plans.filter(district_id=sample.id).order_by("unit__code")
            for plan in communes.filter(status="draft")[:2]:
                act(head(plan, "draft"), plan, "submit", "submitted")
            just_returned = []
            for n, plan in enumerate(communes.filter(status="submitted")[:3]):
                action, expect = ("return", "returned") if n == 0 else ("accept", "accepted")
                act(head(plan, "review"), plan, action, expect, comment="Bổ sung thuyết minh" if n == 0 else "")
                just_returned += [plan.pk] if n == 0 else []
            # A generated returned plan (its draft task assigned to the drafter), not ours.
            for plan in communes.filter(status="returned").exclude(pk__in=just_returned)[:1]:
                act(head(plan, "draft"), plan, "submit", "submitted")
        ready = plans.filter(unit__tier="district", status="draft").exclude(
            children__status__in=["draft", "submitted", "returned"]
        )
        for plan in ready.order_by("unit__code")[:1]:
            act(head(plan, "draft"), plan, "submit", "submitted")
        for plan in plans.filter(unit__tier="province").exclude(status="draft").order_by("unit__code"):
            if plan.status == "appraisal":
                act(head(plan, "appraisal", "investment"), plan, "accept", "appraisal")
                act(head(plan, "appraisal", "recurrent"), plan, "accept", "council")
            elif plan.status == "council":
                fields = {"resolution_number": "25/NQ-HĐND", "resolution_date": f"{year - 1}-12-08"}
                act(head(plan, "council"), plan, "approve", "approved", fields=fields)
            elif plan.status == "approved":
                act(head(plan, "report"), plan, "report", "reported")
            elif plan.status == "reported":
                act(head(plan, "ministry"), plan, "acknowledge", "closed")
            elif plan.status == "returned":
                act(head(plan, "draft"), plan, "submit", "appraisal")
        self.progress("real plan_act sample", transitions=len(done), kinds=",".join(sorted(set(done))))

    def written(self) -> dict[str, int]:
        t = self.t
        return {
            "units": sum(1 for u in self.units if u.tier != "nation"),
            "plans": t.plan.written,
            "budget_lines": t.line.written,
            "line_amounts": t.amount.written,
            "processes": t.process.written,
            "tasks": t.task.written,
            "work_items": t.item.written,
            "audit_events": t.audit.written,
            "rounds": t.round.written,
            "notifications": self.notifications_written,
        }


def dataset_counts() -> dict[str, int]:
    """Rows of the tables the benchmark is about."""
    from viewflow.workflow.models import Process, Task

    from approvals.models import AuditEvent
    from directory.models import AdministrativeUnit, User
    from notifications.models import Notification
    from planning.models import BudgetLine, LineAmount, Plan
    from workflows.models import WorkItem

    return {
        "units": AdministrativeUnit.objects.filter(structure="three-tier").count(),
        "users": User.objects.count(),
        "plans": Plan.objects.count(),
        "budget_lines": BudgetLine.objects.count(),
        "line_amounts": LineAmount.objects.count(),
        "processes": Process.objects.count(),
        "tasks": Task.objects.count(),
        "work_items": WorkItem.objects.count(),
        "open_work_items": WorkItem.objects.filter(is_open=True).count(),
        "audit_events": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


def totals_dict(sources: list[Source], values: list[Decimal]) -> dict[str, Decimal]:
    """The flat totals shape of ``planning.selectors``: one key per source code of the period,
    "central" (the sources of the central group) and "total"."""
    out = {s.code: v for s, v in zip(sources, values, strict=True)}
    out["central"] = sum((v for s, v in zip(sources, values, strict=True) if s.group == CENTRAL), ZERO)
    out["total"] = sum(values, ZERO)
    return out


def zero_totals(sources: list[Source]) -> dict[str, Decimal]:
    return totals_dict(sources, [ZERO] * len(sources))


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate(scale: Scale, progress: Progress | None = None, *, sample: bool = True) -> Summary:
    """Fill the current database (already migrated, empty) with ``scale``'s dataset."""
    return Generator(scale, progress, sample=sample).run()


def main(argv: list[str] | None = None) -> Summary:
    from bench.common import database_url, recreate_database, setup_django

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="quick")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    progress = Progress()
    url = database_url()
    recreate_database(url)
    setup_django(redis=False)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    progress("database", url=url.rsplit("@", 1)[-1], scale=scale.name)
    summary = generate(scale, progress)
    progress("done", **dataset_counts())
    for role, name in summary.choice.usernames().items():
        print(f"persona {role}: {name}")
    return summary


if __name__ == "__main__":
    main()

"""Reads of the directory, scoped to the caller where it matters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypedDict

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, F, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from guardian.models import GroupObjectPermission, UserObjectPermission

from config import clock
from directory import authority, unitdata
from directory.models import (
    OPERATE_UNIT,
    AdministrativeUnit,
    Agency,
    Delegation,
    Membership,
    Structure,
    Tier,
    UnitSuccession,
    User,
)


def operate_unit_permission() -> QuerySet[Permission]:
    """The ``operate_unit`` permission of units (one row), as a queryset: a subquery where it is
    filtered on, ``.get()`` where it is granted."""
    return Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(AdministrativeUnit), codename=OPERATE_UNIT
    )


def units_operated_by(user: User) -> QuerySet[AdministrativeUnit]:
    """Units on which the user (or one of the user's agencies, through its group) holds
    ``operate_unit`` as an object permission (guardian's tables).

    What guardian's ``get_objects_for_user(…, use_groups=True, with_superuser=False,
    accept_global_perms=False)`` answers, so global model permissions never count: a stray
    global grant cannot widen an agency's reach to every unit. Written here because guardian
    compares ``unit.id::varchar`` with its text ``object_pk``, which reads every unit on every
    page; casting the few granted ``object_pk`` to the key instead reads units by primary key.
    """
    unit_type = ContentType.objects.get_for_model(AdministrativeUnit)  # Django caches it per process
    permission = operate_unit_permission().values("pk")
    groups = User.groups.through.objects.filter(user_id=user.pk).values("group_id")
    as_unit = {"unit_id": Cast("object_pk", BigIntegerField())}
    by_group = GroupObjectPermission.objects.filter(
        content_type=unit_type, permission_id__in=permission, group_id__in=groups
    ).values(**as_unit)
    by_user = UserObjectPermission.objects.filter(
        content_type=unit_type, permission_id__in=permission, user_id=user.pk
    ).values(**as_unit)
    return AdministrativeUnit.objects.filter(pk__in=by_group.union(by_user, all=True))


def visible_units_q(user: User, prefix: str = "") -> Q:
    """Everything at or below the units the user operates on, as one filter.

    Built from the unit tree's indexed columns (province/district), not from guardian's
    per-row concatenation, so it costs one small query whatever the size of the tree.
    """
    roots = list(units_operated_by(user).only("pk", "tier"))
    if not roots:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for unit in roots:
        q |= unit.subtree_q(prefix)
    return q


def unit_list(
    *, user: User, parent_code: str | None = None, tier: str | None = None, structure: str | None = None
) -> QuerySet[AdministrativeUnit]:
    """The public directory: units are reference data every signed-in officer may read."""
    qs = AdministrativeUnit.objects.select_related("parent").order_by("structure", "code")
    if structure:
        qs = qs.filter(structure=structure)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
        if not structure:
            # A code alone is ambiguous across structures: default to the current one.
            qs = qs.filter(parent__structure__in=[Structure.TWO_TIER, Structure.NATIONAL])
    if tier:
        qs = qs.filter(tier=tier)
    return qs


def unit_get(*, code: str, structure: str | None = None) -> AdministrativeUnit:
    qs = AdministrativeUnit.objects.select_related("parent")
    structures = [structure] if structure else [Structure.TWO_TIER, Structure.NATIONAL, Structure.THREE_TIER]
    for candidate in structures:
        unit = qs.filter(structure=candidate, code=code).first()
        if unit is not None:
            return unit
    raise Http404


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("agency__unit__parent")
        .order_by("agency__unit__structure", "agency__unit__code", "agency__kind", "role")
    )


def delegations_active_for(*, deputy: User, on: dt.date | None = None) -> QuerySet[Delegation]:
    """The delegations the officer holds on ``on`` (the application's today by default)."""
    return authority.delegations_of(deputy, on or clock.today())


def agencies_of_unit(unit: AdministrativeUnit) -> QuerySet[Agency]:
    return Agency.objects.filter(unit=unit).order_by("kind")


def is_above(upper: AdministrativeUnit, lower: AdministrativeUnit) -> bool:
    """True when ``lower`` is ``upper`` or lies under it in the tree."""
    if upper.tier == Tier.NATION:
        return True
    return upper.pk in {lower.pk, lower.province_id, lower.district_id}


# --- the 2025 conversion ---------------------------------------------------------------------


def unit_successors(unit: AdministrativeUnit) -> QuerySet[AdministrativeUnit]:
    """The two-tier unit(s) a three-tier unit went into, each annotated ``partly_merged``
    (the old unit was split). Empty for a district, a two-tier unit or the nation."""
    return (
        AdministrativeUnit.objects.filter(predecessor_links__old=unit)
        .annotate(partly_merged=F("predecessor_links__partly_merged"))
        .select_related("parent")
        .order_by("code")
    )


def unit_predecessors(unit: AdministrativeUnit) -> QuerySet[AdministrativeUnit]:
    """The three-tier unit(s) a two-tier unit came from, each annotated ``partly_merged``
    (only part of that old unit came here). Empty for a three-tier unit or the nation."""
    return (
        AdministrativeUnit.objects.filter(successor_links__new=unit)
        .annotate(partly_merged=F("successor_links__partly_merged"))
        .select_related("parent")
        .order_by("code")
    )


class OldIdRow(TypedDict):
    """A row of ``predecessor_ids``."""

    old_id: int


def predecessor_ids(units: Iterable[AdministrativeUnit]) -> QuerySet[UnitSuccession, OldIdRow] | None:
    """The ids (``old_id``) of the three-tier units the given two-tier units succeeded, as a
    lazy subquery (no query of its own: it runs inside the caller's), or ``None`` when none
    of the units is a two-tier one. For history scopes such as ``plan_scope_q``."""
    two_tier = [u.pk for u in units if u.structure == Structure.TWO_TIER]
    if not two_tier:
        return None
    return UnitSuccession.objects.filter(new_id__in=two_tier).values("old_id")


# --- superseded two-tier codes ----------------------------------------------------------------


@dataclass(frozen=True)
class RekeyPlan:
    """What moving an installation's two-tier units to the official codes would change.

    ``moves``: units on a superseded code, with the official code of the same commune.
    ``renames``: units whose name or division type differs from the official record of their
    (official) code: spelling (``Thuỷ`` → ``Thủy``), province names gaining “Tỉnh”, three
    provinces becoming centrally-run cities. ``unknown``: two-tier units in neither list
    (added by hand?), left alone.
    """

    release: str
    moves: list[tuple[AdministrativeUnit, str]] = field(default_factory=list)
    renames: list[tuple[AdministrativeUnit, unitdata.UnitRecord]] = field(default_factory=list)
    unknown: list[AdministrativeUnit] = field(default_factory=list)


def two_tier_rekey_plan(*, release: str) -> RekeyPlan:
    """Compare the stored two-tier units with ``release``'s list and the official one.

    A commune is on a superseded code when its code, province and name (up to spelling,
    ``unitdata.name_key``) are those of ``release``'s commune of that code *and* that commune's
    official code differs. Matching the name as well as the code is what makes re-keying
    idempotent: codes form chains and cycles (01537 → 01561 → 01558 → 01537), so after a
    re-key a code of the old list names another commune, whose name does not match. Province
    codes are the same in every release. One query.
    """
    old = {r.code: r for r in unitdata.two_tier_records(codes=release)}
    official = {r.code: r for r in unitdata.two_tier_records()}
    remap = unitdata.rekey_map(release)
    units = list(AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER).order_by("code"))
    # Keyed by ``int | None`` so that a parentless unit looks up None and matches nothing.
    province_codes: dict[int | None, str] = {u.pk: u.code for u in units if u.tier == Tier.PROVINCE}
    plan = RekeyPlan(release=release)
    for unit in units:
        if unit.tier == Tier.PROVINCE:
            target = official.get(unit.code)
        else:
            target = None
            province, key = province_codes.get(unit.parent_id), unitdata.name_key(unit.name)
            before, now = old.get(unit.code), official.get(unit.code)
            on_old = before is not None and before.parent_code == province and unitdata.name_key(before.name) == key
            if on_old and remap.get(unit.code, unit.code) != unit.code:
                target = official[remap[unit.code]]
                plan.moves.append((unit, target.code))
            elif now is not None and now.parent_code == province and unitdata.name_key(now.name) == key:
                target = now  # official already (or a code both lists share, maybe spelled the old way)
        if target is None:
            plan.unknown.append(unit)
        elif (unit.name, unit.division_type) != (target.name, target.division_type):
            plan.renames.append((unit, target))
    return plan

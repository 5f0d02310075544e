"""Reads of the directory, scoped to the caller where it matters."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from directory.models import AdministrativeUnit, Agency, Delegation, Membership, Structure, Tier, User


def units_operated_by(user: User) -> QuerySet[AdministrativeUnit]:
    """Units on which the user's agencies hold ``operate_unit`` (guardian, groups only).

    Global model permissions never count: ``accept_global_perms=False`` keeps a stray global
    grant from widening an agency's reach to every unit.
    """
    return get_objects_for_user(
        user,
        "directory.operate_unit",
        klass=AdministrativeUnit,
        use_groups=True,
        with_superuser=False,
        accept_global_perms=False,
    )


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


def delegations_active_for(*, deputy: User, on: dt.date) -> QuerySet[Delegation]:
    return Delegation.objects.filter(deputy=deputy, starts_on__lte=on, ends_on__gte=on).select_related(
        "principal", "agency"
    )


def agencies_of_unit(unit: AdministrativeUnit) -> QuerySet[Agency]:
    return Agency.objects.filter(unit=unit).order_by("kind")


def is_above(upper: AdministrativeUnit, lower: AdministrativeUnit) -> bool:
    """True when ``lower`` is ``upper`` or lies under it in the tree."""
    if upper.tier == Tier.NATION:
        return True
    return upper.pk in {lower.pk, lower.province_id, lower.district_id}

"""Who may act: the one place that decides which roles an officer holds in which agency on a
day, directly (a ``Membership``) or standing in for someone (a ``Delegation``, signed “KT.”).

Every app asks here — workflows (who may take a step's action, whose inbox a task is in),
deadlines (who may extend a deadline, who hears a reminder), approvals and notifications (who
hears of a task or an outcome) — and the day is the application clock's (``config.clock``: the
demo may move it), never the host's.

One request computes the caller's authority once: ``authority_of(user)`` loads everything the
caller holds in one query (the caller's memberships and those of the principals they stand in
for, one more to load those principals when there are any) and answers every later question
from memory::

    authority = authority_of(user)
    allowed, acting_for = authority.check(agency.pk, ("head",))

A deputy holds, in the delegation's agency only, the roles their principal holds *there*; their
own membership wins over a delegation (they then act in their own name).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet

from config import bulk, clock
from directory.models import Agency, Delegation, Membership, Role, User


def delegations_of(deputy: User, on: dt.date) -> QuerySet[Delegation]:
    """The delegations ``deputy`` holds on ``on`` (oldest first), with principal and agency."""
    return (
        Delegation.objects.filter(deputy=deputy, starts_on__lte=on, ends_on__gte=on)
        .select_related("principal", "agency")
        .order_by("pk")
    )


def delegations_running_past(*, user: User, agency: Agency, day: dt.date) -> QuerySet[Delegation]:
    """The delegations in ``agency`` where ``user`` is the deputy or the principal that have not
    ended by ``day`` (those begun and those still to begin)."""
    return Delegation.objects.filter(agency=agency, ends_on__gt=day).filter(Q(deputy=user) | Q(principal=user))


def deputy_for(*, agency: Agency, principal: User, on: dt.date) -> Delegation | None:
    """The delegation by which someone stands in for ``principal`` in ``agency`` on ``on``
    (the latest begun, when several overlap), with the deputy; None when nobody does."""
    return (
        Delegation.objects.filter(agency=agency, principal=principal, starts_on__lte=on, ends_on__gte=on)
        .select_related("deputy")
        .order_by("-starts_on", "-pk")
        .first()
    )


@dataclass(frozen=True)
class Authority:
    """What one officer holds on one day. Build it with ``authority_of``."""

    user: User
    on: dt.date
    # agency id → the roles the officer holds there in their own name
    own: dict[int, frozenset[str]] = field(default_factory=dict)
    # agency id → role → the principal the officer stands in for with that role (the lowest
    # user id when several principals there hold it)
    delegated: dict[int, dict[str, User]] = field(default_factory=dict)

    def check(self, agency_id: int | None, roles: Iterable[str]) -> tuple[bool, User | None]:
        """(may act, acting for whom) with one of ``roles`` in the agency: the officer's own
        role (acting for no one), else a delegation from someone holding it there."""
        if agency_id is None:
            return False, None
        wanted = tuple(roles)
        if self.own.get(agency_id, frozenset()) & set(wanted):
            return True, None
        held = self.delegated.get(agency_id, {})
        for role in wanted:
            if role in held:
                return True, held[role]
        return False, None

    def may(self, agency_id: int | None, roles: Iterable[str]) -> bool:
        return self.check(agency_id, roles)[0]

    @property
    def agency_ids(self) -> list[int]:
        """The officer's agencies and those where they stand in for someone (the inbox's)."""
        return sorted(set(self.own) | set(self.delegated))

    @property
    def is_administrator(self) -> bool:
        return bool(self.user.is_superuser) or any(Role.ADMINISTRATOR in roles for roles in self.own.values())


def authority_of(user: User, *, on: dt.date | None = None) -> Authority:
    """Everything ``user`` holds on ``on`` (the application's today by default): one query
    (the caller's memberships and, through their active delegations, their principals'
    memberships in the delegations' agencies), one more for the principals when there are any."""
    on = on or clock.today()
    own_rows = Membership.objects.filter(user_id=user.pk).values_list("user_id", "agency_id", "role")
    # One filter() call: one join, so the principal's membership is in the delegation's agency.
    principal_rows = Membership.objects.filter(
        user__delegations_given__deputy_id=user.pk,
        user__delegations_given__agency_id=F("agency_id"),
        user__delegations_given__starts_on__lte=on,
        user__delegations_given__ends_on__gte=on,
    ).values_list("user_id", "agency_id", "role")
    own: dict[int, set[str]] = defaultdict(set)
    via: dict[int, dict[str, int]] = defaultdict(dict)  # agency id → role → principal id
    for user_id, agency_id, role in sorted(own_rows.union(principal_rows)):
        if user_id == user.pk:
            own[agency_id].add(role)
        else:
            via[agency_id].setdefault(role, user_id)
    principals = User.objects.in_bulk({pk for roles in via.values() for pk in roles.values()}) if via else {}
    return Authority(
        user=user,
        on=on,
        own={agency_id: frozenset(roles) for agency_id, roles in own.items()},
        delegated={agency_id: {role: principals[pk] for role, pk in roles.items()} for agency_id, roles in via.items()},
    )


def roles_in_unit(user: User, unit_id: int) -> set[str]:
    """The roles ``user`` holds in their own name in any agency of a unit (who may edit a
    unit's plan: ``planning.selectors.edit_refusal``). One query."""
    return set(Membership.objects.filter(user_id=user.pk, agency__unit_id=unit_id).values_list("role", flat=True))


# --- who belongs to an agency, by role ------------------------------------------------------------


@dataclass
class MemberIndex:
    """Active members of some agencies with their roles, loaded in one query."""

    by_agency: dict[int, list[tuple[User, str]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, agency_ids: Iterable[int], *, only: tuple[str, ...] = ()) -> MemberIndex:
        """One query; one ``User`` per officer however many of these agencies they belong to
        (the sweep loads the members of a whole batch's agencies). ``only``: the user fields to
        load (all by default; the sweep hands its users to ``notify``, which reads the id and
        ``is_active``)."""
        index = cls()
        ids = set(agency_ids)
        if not ids:
            return index
        base = User.objects.only(*only) if only else User.objects.all()
        rows = (
            base.filter(is_active=True, memberships__agency_id__in=ids)
            .annotate(member_of=F("memberships__agency_id"), member_role=F("memberships__role"))
            .order_by("pk")
        )
        users: dict[int, User] = {}
        for row in rows:
            user = users.setdefault(row.pk, row)
            index.by_agency[row.member_of].append((user, row.member_role))
        return index

    def members(self, agency_id: int, roles: Iterable[str]) -> list[User]:
        """The officers of one agency holding one of ``roles``, each once."""
        return self.members_of([agency_id], roles)

    def members_of(self, agency_ids: Iterable[int], roles: Iterable[str]) -> list[User]:
        """The officers of these agencies holding one of ``roles`` there, each once."""
        wanted = set(roles)
        seen: dict[int, User] = {}
        for agency_id in agency_ids:
            for user, role in self.by_agency.get(agency_id, []):
                if role in wanted:
                    seen.setdefault(user.pk, user)
        return list(seen.values())


def member_ids_by_agency(agency_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """Agency id → (user id, role) of every membership an active officer holds there, by user
    id: the rows ``MemberIndex.load`` reads, as plain ids (the sweep reads the members of a whole
    batch's agencies and builds a ``User`` only for those it notifies). One query."""
    ids = set(agency_ids)
    result: dict[int, list[tuple[int, str]]] = {}
    if not ids:
        return result
    rows = (
        Membership.objects.filter(bulk.any_of("agency_id", ids), user__is_active=True)
        .order_by("user_id")
        .values_list("agency_id", "user_id", "role")
    )
    for agency_id, user_id, role in rows:
        result.setdefault(agency_id, []).append((user_id, role))
    return result


def unit_members_with_roles(unit_id: int, roles: Iterable[str]) -> list[User]:
    """The active officers holding one of ``roles`` in any agency of the unit (one query)."""
    members = User.objects.filter(
        is_active=True, memberships__agency__unit_id=unit_id, memberships__role__in=list(roles)
    )
    return list(members.distinct().order_by("pk"))


def members_with_roles(agency_ids: Iterable[int], roles: Iterable[str]) -> list[User]:
    """The active officers holding one of ``roles`` in any of these agencies (one query)."""
    ids = list(agency_ids)
    return MemberIndex.load(ids).members_of(ids, roles)

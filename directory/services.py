"""Writes to the directory. Every function is keyword-only and runs in one transaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.models import GroupObjectPermission

from config import clock
from directory import authority, selectors, signals, unitdata
from directory.models import (
    AdministrativeUnit,
    Agency,
    AgencyKind,
    Delegation,
    Membership,
    Role,
    Structure,
    Tier,
    UnitSuccession,
    User,
)
from directory.unitdata import UnitRecord

logger = logging.getLogger(__name__)

NATION_CODE = "VN"
NATION_NAME = "Việt Nam"

# When each structure was in force (Resolution 202/2025/QH15 ended districts on 1 July 2025).
STRUCTURE_VALIDITY: dict[str, tuple[dt.date | None, dt.date | None]] = {
    Structure.THREE_TIER: (None, dt.date(2025, 6, 30)),
    Structure.TWO_TIER: (dt.date(2025, 7, 1), None),
}

# The agencies every unit of a tier has in the programme, per structure. Names are built from
# the unit's name; other agencies (sector departments, a coordination office) are added by hand.
STANDARD_AGENCIES: dict[tuple[str, str], list[tuple[str, str, str]]] = {
    (Structure.THREE_TIER, Tier.PROVINCE): [
        (AgencyKind.PEOPLE_COMMITTEE, "Ủy ban nhân dân {unit}", "UBND"),
        (AgencyKind.PEOPLE_COUNCIL, "Hội đồng nhân dân {unit}", "HĐND"),
        (AgencyKind.LABOUR, "Sở Lao động - Thương binh và Xã hội {unit}", "Sở LĐTBXH"),
        (AgencyKind.PLANNING, "Sở Kế hoạch và Đầu tư {unit}", "Sở KH&ĐT"),
        (AgencyKind.FINANCE, "Sở Tài chính {unit}", "Sở TC"),
        (AgencyKind.AGRICULTURE, "Sở Nông nghiệp và Phát triển nông thôn {unit}", "Sở NN&PTNT"),
    ],
    (Structure.THREE_TIER, Tier.DISTRICT): [
        (AgencyKind.PEOPLE_COMMITTEE, "Ủy ban nhân dân {unit}", "UBND"),
        (AgencyKind.PEOPLE_COUNCIL, "Hội đồng nhân dân {unit}", "HĐND"),
        (AgencyKind.LABOUR, "Phòng Lao động - Thương binh và Xã hội {unit}", "Phòng LĐTBXH"),
        (AgencyKind.FINANCE, "Phòng Tài chính - Kế hoạch {unit}", "Phòng TC-KH"),
    ],
    (Structure.THREE_TIER, Tier.COMMUNE): [
        (AgencyKind.PEOPLE_COMMITTEE, "Ủy ban nhân dân {unit}", "UBND"),
        (AgencyKind.PEOPLE_COUNCIL, "Hội đồng nhân dân {unit}", "HĐND"),
    ],
    # Since March 2025 planning/investment merged into finance, and agriculture and environment
    # merged; the programme's standing agency is usually the new Sở NN&MT.
    (Structure.TWO_TIER, Tier.PROVINCE): [
        (AgencyKind.PEOPLE_COMMITTEE, "Ủy ban nhân dân {unit}", "UBND"),
        (AgencyKind.PEOPLE_COUNCIL, "Hội đồng nhân dân {unit}", "HĐND"),
        (AgencyKind.AGRICULTURE, "Sở Nông nghiệp và Môi trường {unit}", "Sở NN&MT"),
        (AgencyKind.PLANNING, "Sở Tài chính {unit} (thẩm định vốn đầu tư)", "Sở TC (ĐT)"),
        (AgencyKind.FINANCE, "Sở Tài chính {unit} (thẩm định vốn sự nghiệp)", "Sở TC (SN)"),
    ],
    (Structure.TWO_TIER, Tier.COMMUNE): [
        (AgencyKind.PEOPLE_COMMITTEE, "Ủy ban nhân dân {unit}", "UBND"),
        (AgencyKind.PEOPLE_COUNCIL, "Hội đồng nhân dân {unit}", "HĐND"),
    ],
    # The programme's owner since 2025 (it aggregates the merged 2026-2035 programme and owns
    # Component 1), and the owner of Component 2 (ethnic-minority and mountainous areas). Reports
    # are received by the MINISTRY agency; the other reads the provincial plans.
    (Structure.NATIONAL, Tier.NATION): [
        (AgencyKind.MINISTRY, "Bộ Nông nghiệp và Môi trường", "Bộ NN&MT"),
        (AgencyKind.ETHNIC, "Bộ Dân tộc và Tôn giáo", "Bộ DT&TG"),
    ],
}


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    counts: dict[str, int]


def unit_label(unit: AdministrativeUnit) -> str:
    """The unit's name as it reads inside a sentence: “tỉnh Lai Châu”, “xã Sin Suối Hồ”.

    Three-tier names carry their type (“Tỉnh Lai Châu”), two-tier province names do not.
    """
    name, kind = unit.name, unit.division_type
    if not kind:
        return name
    if name.lower().startswith(kind.lower()):
        return kind.lower() + name[len(kind) :]
    return f"{kind.lower()} {name}"


def nation_ensure() -> AdministrativeUnit:
    nation, _created = AdministrativeUnit.objects.get_or_create(
        structure=Structure.NATIONAL,
        code=NATION_CODE,
        defaults={"tier": Tier.NATION, "name": NATION_NAME, "division_type": ""},
    )
    return nation


@transaction.atomic
def units_load(*, structure: str, records: Iterable[UnitRecord]) -> LoadResult:
    """Insert or update units of one structure from records ordered parents first.

    Idempotent: a second run with the same records changes nothing. Works in bulk (three
    statements per tier) so the national three-tier tree loads in seconds.
    """
    valid_from, valid_to = STRUCTURE_VALIDITY[structure]
    nation = nation_ensure()
    by_tier: dict[str, list[UnitRecord]] = {Tier.PROVINCE: [], Tier.DISTRICT: [], Tier.COMMUNE: []}
    for record in records:
        by_tier[record.tier].append(record)

    existing = {u.code: u for u in AdministrativeUnit.objects.filter(structure=structure)}
    created = updated = 0
    for tier in (Tier.PROVINCE, Tier.DISTRICT, Tier.COMMUNE):
        to_create, to_update = [], []
        for record in by_tier[tier]:
            if tier == Tier.PROVINCE:
                parent = nation
            elif record.parent_code is None:  # UnitRecord: only a province has no parent code
                raise ValueError(f"{tier} {record.code} has no parent code")
            else:
                parent = existing[record.parent_code]
            province = None if tier == Tier.PROVINCE else (parent if parent.tier == Tier.PROVINCE else parent.province)
            district = parent if parent.tier == Tier.DISTRICT else None
            # Ids, not instances: comparing instances would fetch every parent again.
            values = {
                "tier": tier,
                "name": record.name,
                "division_type": record.division_type,
                "parent_id": parent.pk,
                "province_id": province.pk if province else None,
                "district_id": district.pk if district else None,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
            unit = existing.get(record.code)
            if unit is None:
                unit = AdministrativeUnit(structure=structure, code=record.code, **values)
                to_create.append(unit)
                existing[record.code] = unit
            elif any(getattr(unit, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(unit, field, value)
                to_update.append(unit)
        AdministrativeUnit.objects.bulk_create(to_create, batch_size=2000)
        if to_update:
            AdministrativeUnit.objects.bulk_update(to_update, list(values), batch_size=2000)
        created += len(to_create)
        updated += len(to_update)

    return LoadResult(created=created, updated=updated, counts=_counts(structure, by_tier))


def _counts(structure: str, by_tier: dict[str, list[UnitRecord]]) -> dict[str, int]:
    """What is now stored under the loaded provinces, counted by tier."""
    province_codes = [r.code for r in by_tier[Tier.PROVINCE]]
    in_structure = AdministrativeUnit.objects.filter(structure=structure)
    counts = {"provinces": in_structure.filter(tier=Tier.PROVINCE, code__in=province_codes).count()}
    below = in_structure.filter(province__code__in=province_codes)
    if structure == Structure.THREE_TIER:
        counts["districts"] = below.filter(tier=Tier.DISTRICT).count()
    counts["communes"] = below.filter(tier=Tier.COMMUNE).count()
    return counts


class UnitCodesOutdated(ValueError):
    """The installation's two-tier units carry codes of a superseded release: anything keyed
    by official codes (loading the official list, the conversion) would hit the wrong unit."""


def two_tier_codes_check() -> None:
    """Raise ``UnitCodesOutdated`` when stored two-tier communes are on superseded codes.

    Loading the official list over such an installation would rename the commune that holds
    an old code (and its plans) to the commune that code names officially, and create the
    114 codes the old list lacks as new, empty units: the plans would end up under the wrong
    communes. ``rekey_units`` moves them first.
    """
    for release in unitdata.OLD_TWO_TIER_RELEASES:
        moves = selectors.two_tier_rekey_plan(release=release).moves
        if moves:
            sample = ", ".join(f"{unit.code} {unit.name}" for unit, _code in moves[:3])
            raise UnitCodesOutdated(
                f"{len(moves)} two-tier communes carry vietnam-provinces {release} codes ({sample}, …); "
                f"run `python manage.py rekey_units --from {release}` first."
            )


@dataclass(frozen=True)
class SuccessionLoadResult:
    created: int
    updated: int
    deleted: int
    skipped: int  # pairs of the conversion whose old or new unit is not loaded
    counts: dict[str, int]  # links now stored, per tier


@transaction.atomic
def unit_successions_load() -> SuccessionLoadResult:
    """Link every loaded three-tier commune and province to its two-tier successor(s), from
    the official conversion (``unitdata.commune_successions`` / ``province_successions``).

    Idempotent and a sync: a second run changes nothing; a link the conversion no longer has
    is deleted. Pairs whose old or new unit is not loaded are skipped (a partial load such as
    the demo's one province; the 10 old communes created in early 2025, which no three-tier
    list has), so it can run after any ``load_units``. Bulk: the whole country (10,554 commune
    links) takes well under a second. Refuses (``UnitCodesOutdated``) while two-tier units
    carry superseded codes.
    """
    two_tier_codes_check()
    ids: dict[tuple[str, str], dict[str, int]] = {}
    for structure, tier, code, pk in AdministrativeUnit.objects.filter(
        structure__in=[Structure.THREE_TIER, Structure.TWO_TIER], tier__in=[Tier.PROVINCE, Tier.COMMUNE]
    ).values_list("structure", "tier", "code", "pk"):
        ids.setdefault((structure, tier), {})[code] = pk
    wanted: dict[tuple[int, int], bool] = {}
    skipped = 0
    counts: dict[str, int] = {Tier.COMMUNE: 0, Tier.PROVINCE: 0}
    for record in (*unitdata.commune_successions(), *unitdata.province_successions()):
        old = ids.get((Structure.THREE_TIER, record.tier), {}).get(record.old_code)
        new = ids.get((Structure.TWO_TIER, record.tier), {}).get(record.new_code)
        if old is None or new is None:
            skipped += 1
            continue
        wanted[(old, new)] = record.partly_merged
        counts[record.tier] += 1

    existing = {(link.old_id, link.new_id): link for link in UnitSuccession.objects.all()}
    to_create = [
        UnitSuccession(old_id=o, new_id=n, partly_merged=p) for (o, n), p in wanted.items() if (o, n) not in existing
    ]
    to_update = []
    for key, link in existing.items():
        if key in wanted and link.partly_merged != wanted[key]:
            link.partly_merged = wanted[key]
            to_update.append(link)
    stale = [link.pk for key, link in existing.items() if key not in wanted]
    UnitSuccession.objects.bulk_create(to_create, batch_size=2000)
    if to_update:
        UnitSuccession.objects.bulk_update(to_update, ["partly_merged"], batch_size=2000)
    if stale:
        UnitSuccession.objects.filter(pk__in=stale).delete()
    return SuccessionLoadResult(
        created=len(to_create),
        updated=len(to_update),
        deleted=len(stale),
        skipped=skipped,
        counts={"communes": counts[Tier.COMMUNE], "provinces": counts[Tier.PROVINCE]},
    )


def unit_successions_loadable() -> bool:
    """Whether both structures have communes loaded, so linking them means something."""
    communes = AdministrativeUnit.objects.filter(tier=Tier.COMMUNE)
    return (
        communes.filter(structure=Structure.THREE_TIER).exists()
        and communes.filter(structure=Structure.TWO_TIER).exists()
    )


@dataclass(frozen=True)
class RekeyResult:
    release: str
    moved: list[tuple[str, str, str]]  # (old code, official code, name)
    renamed: list[tuple[str, str, str]]  # (code, name before, name now)
    groups_renamed: int
    unknown: list[tuple[str, str]]  # (code, name) of two-tier units in neither list, left alone
    successions: SuccessionLoadResult | None

    @property
    def changed(self) -> bool:
        return bool(self.moved or self.renamed or self.groups_renamed)


@transaction.atomic
def units_rekey(*, release: str) -> RekeyResult:
    """Move an installation's two-tier units loaded from ``release`` (``"2025.10.1"``) to the
    official codes, and their names and division types to the official ones.

    Units are referenced by primary key everywhere (plans, tasks, viewflow's permission
    object, guardian's object permissions, audit rows through their plan, deadlines), so this
    is an update of ``code`` on the same rows: nothing is recreated or re-pointed. The only
    other stored copies of a unit code are the names of the agencies' guardian groups
    (``agency:two-tier:<code>:<kind>``, unique), renamed with their unit. Codes swap and
    cycle between communes and ``(structure, code)`` is unique, so both updates run in two
    phases: first every moving row to a placeholder no code takes (``~<pk>``), then to its
    final value. Idempotent (a second run changes nothing; see
    ``selectors.two_tier_rekey_plan``). Refuses, changing nothing, when a target code is held
    by a unit that does not move. Finally rebuilds the conversion links when both structures
    are loaded.

    Deliberately untouched: usernames (an officer's login is theirs, even when the demo
    builds it from a code), agency names (they carry the unit's name, which a move does not
    change), notification texts and audit rows (what was said, as it was said).
    """
    # Lock the two-tier rows first, so two runs (or a load_units) cannot interleave.
    list(AdministrativeUnit.objects.select_for_update().filter(structure=Structure.TWO_TIER).values_list("pk"))
    plan = selectors.two_tier_rekey_plan(release=release)
    moving = {unit.pk for unit, _code in plan.moves}
    targets = {code for _unit, code in plan.moves}
    blocking = AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER, code__in=targets).exclude(pk__in=moving)
    if blocking.exists():
        held = ", ".join(f"{u.code} {u.name}" for u in blocking[:5])
        raise UnitCodesOutdated(f"official codes already held by other two-tier units: {held}; nothing changed.")

    moved = []
    if plan.moves:
        units = [unit for unit, _code in plan.moves]
        old_codes = {unit.pk: unit.code for unit in units}
        for unit in units:
            unit.code = f"~{unit.pk}"
        AdministrativeUnit.objects.bulk_update(units, ["code"], batch_size=2000)
        for unit, code in plan.moves:
            unit.code = code
        AdministrativeUnit.objects.bulk_update(units, ["code"], batch_size=2000)
        moved = [(old_codes[unit.pk], unit.code, unit.name) for unit in units]
        groups_renamed = _groups_rename(old_codes, {unit.pk: unit.code for unit in units})
    else:
        groups_renamed = 0

    renamed = []
    for unit, record in plan.renames:
        renamed.append((record.code, unit.name, record.name))
        unit.name, unit.division_type = record.name, record.division_type
    if plan.renames:
        AdministrativeUnit.objects.bulk_update(
            [unit for unit, _record in plan.renames], ["name", "division_type"], batch_size=2000
        )

    successions = unit_successions_load() if unit_successions_loadable() else None
    return RekeyResult(
        release=release,
        moved=sorted(moved),
        renamed=sorted(renamed),
        groups_renamed=groups_renamed,
        unknown=[(u.code, u.name) for u in plan.unknown],
        successions=successions,
    )


def _groups_rename(old_codes: dict[int, str], new_codes: dict[int, str]) -> int:
    """Rename the agency groups of re-keyed units (two phases: group names are unique)."""
    agencies = list(Agency.objects.filter(unit_id__in=list(old_codes)).select_related("group"))
    groups = []
    for agency in agencies:
        if agency.group.name == f"agency:{Structure.TWO_TIER}:{old_codes[agency.unit_id]}:{agency.kind}":
            groups.append((agency.group, f"agency:{Structure.TWO_TIER}:{new_codes[agency.unit_id]}:{agency.kind}"))
    if not groups:
        return 0
    for group, _name in groups:
        group.name = f"rekey:{group.pk}"
    Group.objects.bulk_update([g for g, _n in groups], ["name"], batch_size=2000)
    for group, name in groups:
        group.name = name
    Group.objects.bulk_update([g for g, _n in groups], ["name"], batch_size=2000)
    return len(groups)


@transaction.atomic
def agencies_ensure_standard(*, units: Iterable[AdministrativeUnit]) -> int:
    """Create the standard agencies of each unit, each with its guardian group holding
    ``operate_unit`` on the unit. Idempotent; bulk, so a whole country takes seconds."""
    units = list(units)
    have = set(Agency.objects.filter(unit__in=units).values_list("unit_id", "kind"))
    planned: list[tuple[AdministrativeUnit, str, str, str]] = []
    for unit in units:
        for kind, name_pattern, short in STANDARD_AGENCIES.get((unit.structure, unit.tier), []):
            if (unit.pk, kind) not in have:
                planned.append((unit, kind, name_pattern.format(unit=unit_label(unit)), short))
    if not planned:
        return 0

    groups = Group.objects.bulk_create(
        [Group(name=_group_name(unit, kind)) for unit, kind, _name, _short in planned], batch_size=2000
    )
    # Backends that do not return ids from bulk inserts leave ``pk`` None (typed ``int``).
    if groups and cast("int | None", groups[0].pk) is None:
        by_name = Group.objects.in_bulk([g.name for g in groups], field_name="name")
        groups = [by_name[g.name] for g in groups]
    Agency.objects.bulk_create(
        [
            Agency(unit=unit, kind=kind, name=name, short_name=short, group=group)
            for (unit, kind, name, short), group in zip(planned, groups, strict=True)
        ],
        batch_size=2000,
    )
    permission = _operate_unit_permission()
    content_type = ContentType.objects.get_for_model(AdministrativeUnit)
    GroupObjectPermission.objects.bulk_create(
        [
            GroupObjectPermission(group=group, permission=permission, content_type=content_type, object_pk=str(unit.pk))
            for (unit, _kind, _name, _short), group in zip(planned, groups, strict=True)
        ],
        batch_size=2000,
    )
    return len(planned)


def _group_name(unit: AdministrativeUnit, kind: str) -> str:
    return f"agency:{unit.structure}:{unit.code}:{kind}"


def _operate_unit_permission() -> Permission:
    return selectors.operate_unit_permission().get()


# The roles whose holders sign documents: their title is printed on the signature block.
SIGNING_ROLES = (Role.HEAD,)


def membership_title_error(*, role: str, title: str) -> str | None:
    """Why a membership's title is refused: a head signs documents, and the signature block
    prints the title (“Chủ tịch”, “Phó Giám đốc”), so a head without one is an error where the
    membership is edited (``membership_add``, the admin's forms), not at the export."""
    if role in SIGNING_ROLES and not title.strip():
        return _(
            "Cần nhập chức danh của lãnh đạo (ví dụ “Chủ tịch”, “Phó Giám đốc”): chức danh được in trên khối chữ ký."
        )
    return None


def _role_error(role: str) -> ValidationError | None:
    return None if role in Role.values else ValidationError({"role": _("Vai trò không hợp lệ.")})


@transaction.atomic
def agency_groups_sync(*, user: User) -> None:
    """Put the user in exactly the guardian groups of the agencies they hold a membership in.

    The agency's group is what carries ``operate_unit`` on its unit (the plans, the inbox,
    viewflow's tasks), so it follows the memberships and nothing else: every role of an agency
    implies its group, and leaving an agency's last role leaves the group. Other groups are
    left alone."""
    wanted = set(Agency.objects.filter(memberships__user=user).values_list("group_id", flat=True))
    held = set(user.groups.filter(agency__isnull=False).values_list("pk", flat=True))
    if held - wanted:
        user.groups.remove(*(held - wanted))
    if wanted - held:
        user.groups.add(*(wanted - held))


def _agency_left(*, user: User, agency: Agency) -> None:
    """What ends when ``user`` holds no role in ``agency`` any more: their delegations there —
    as deputy or as principal — end yesterday (past days stay, for the documents they signed;
    one not yet begun is deleted), and ``signals.agency_left`` tells the layers above (the flow
    gives the agency's tasks assigned to them back to the agency)."""
    yesterday = clock.today() - dt.timedelta(days=1)
    ending = authority.delegations_running_past(user=user, agency=agency, day=yesterday)
    ending.filter(starts_on__gt=yesterday).delete()
    ending.update(ends_on=yesterday)
    signals.agency_left.send(sender=Agency, user=user, agency=agency)


def _log(event: str, *, actor: User | None, membership: Membership, **extra: object) -> None:
    logger.info(
        event,
        extra={
            "actor": actor.username if actor else "",
            "user": membership.user.username,
            "agency": membership.agency_id,
            "role": membership.role,
            **extra,
        },
    )


@transaction.atomic
def membership_add(*, user: User, agency: Agency, role: str, title: str = "", actor: User | None = None) -> Membership:
    """Give ``user`` a role in ``agency``; joins the agency's permission group. A head (who
    signs) needs a title: refused with the field named (``membership_title_error``).

    ``actor`` is who did it (the admin's user; None for the loaders and the demo), logged."""
    if error := _role_error(role):
        raise error
    if title_error := membership_title_error(role=role, title=title):
        raise ValidationError({"title": title_error})
    membership, _created = Membership.objects.update_or_create(
        user=user, agency=agency, role=role, defaults={"title": title.strip()}
    )
    agency_groups_sync(user=user)
    _log("membership_add", actor=actor, membership=membership)
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Take a role away. When it was the user's last role in the agency they leave its group
    at once — no more plans of its unit, its inbox, its tasks — their tasks assigned there go
    back to the agency and their delegations there end (``_agency_left``). Removing a
    membership already gone changes nothing."""
    locked = Membership.objects.select_for_update().select_related("user", "agency").filter(pk=membership.pk).first()
    if locked is None:
        return
    user, agency = locked.user, locked.agency
    locked.delete()
    if not Membership.objects.filter(user=user, agency=agency).exists():
        _agency_left(user=user, agency=agency)
    agency_groups_sync(user=user)
    _log("membership_remove", actor=actor, membership=locked)


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str, title: str | None = None) -> Membership:
    """Change a membership's role (and title; ``None`` keeps it). The rules of
    ``membership_add`` apply (a head needs a title); a role the user already holds in the agency
    is refused naming ``role``. The permissions follow at once: what the user may do is read
    from the role, and the agency's group stays (every role of an agency implies it)."""
    locked = Membership.objects.select_for_update().select_related("user", "agency").get(pk=membership.pk)
    if error := _role_error(role):
        raise error
    title = locked.title if title is None else title.strip()
    if title_error := membership_title_error(role=role, title=title):
        raise ValidationError({"title": title_error})
    if role != locked.role and Membership.objects.filter(user=locked.user, agency=locked.agency, role=role).exists():
        raise ValidationError({"role": _("Cán bộ đã có vai trò này trong cơ quan.")})
    before = locked.role
    locked.role, locked.title = role, title
    locked.save(update_fields=["role", "title"])
    agency_groups_sync(user=locked.user)
    _log("membership_change_role", actor=actor, membership=locked, role_before=before)
    return locked


@transaction.atomic
def delegation_create(
    *,
    actor: User,
    agency: Agency,
    principal: User,
    deputy: User,
    starts_on: dt.date,
    ends_on: dt.date,
    reason: str,
) -> Delegation:
    """Record that ``deputy`` acts for ``principal`` in ``agency`` (shown as “KT.”)."""
    errors = {}
    if not Membership.objects.filter(user=principal, agency=agency).exists():
        errors["principal"] = _("Người ủy quyền không thuộc cơ quan này.")
    if not Membership.objects.filter(user=deputy, agency=agency).exists():
        errors["deputy"] = _("Người được ủy quyền không thuộc cơ quan này.")
    if principal.pk == deputy.pk:
        errors["deputy"] = _("Không thể tự ủy quyền cho chính mình.")
    if ends_on < starts_on:
        errors["ends_on"] = _("Ngày kết thúc phải sau ngày bắt đầu.")
    if not reason.strip():
        errors["reason"] = _("Cần ghi lý do ủy quyền.")
    if errors:
        raise ValidationError(errors)
    return Delegation.objects.create(
        agency=agency,
        principal=principal,
        deputy=deputy,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        created_by=actor,
    )

"""Writes to the directory. Every function is keyword-only and runs in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.models import GroupObjectPermission

from directory.models import (
    AdministrativeUnit,
    Agency,
    AgencyKind,
    Delegation,
    Membership,
    Role,
    Structure,
    Tier,
    User,
)
from directory.unitdata import UnitRecord

NATION_CODE = "VN"
NATION_NAME = "Việt Nam"
OPERATE_UNIT = "operate_unit"

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
    (Structure.NATIONAL, Tier.NATION): [
        (AgencyKind.MINISTRY, "Bộ Nông nghiệp và Môi trường", "Bộ NN&MT"),
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
            parent = nation if tier == Tier.PROVINCE else existing[record.parent_code]
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
    if groups and groups[0].pk is None:  # backends that do not return ids from bulk inserts
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
    return Permission.objects.get(content_type__app_label="directory", codename=OPERATE_UNIT)


@transaction.atomic
def membership_add(*, user: User, agency: Agency, role: str, title: str = "") -> Membership:
    """Give ``user`` a role in ``agency``; joins the agency's permission group."""
    if role not in Role.values:
        raise ValidationError({"role": _("Vai trò không hợp lệ.")})
    membership, _created = Membership.objects.update_or_create(
        user=user, agency=agency, role=role, defaults={"title": title}
    )
    user.groups.add(agency.group)
    return membership


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

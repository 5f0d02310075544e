"""Demo directory: Lai Châu before and after the July 2025 reform, with officers for every role.

* three-tier Lai Châu (province 12), the setting of the 2023 cycle, with Phong Thổ district
  (109, seed 002) and its 17 communes — every commune has a drafter and a head;
* two-tier Lai Châu (province 12 again, now without districts) with its communes, linked to
  the three-tier ones by the 1 July 2025 conversion; the first communes get officers, always
  including Sin Suối Hồ's successor (03592 → 03394, so its officers find the 2023 history);
* the ministry.

Loading twice changes nothing. Accounts exist only in demo mode, all with one password.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from directory import selectors, services, unitdata
from directory.models import (
    AdministrativeUnit,
    Agency,
    AgencyKind,
    Delegation,
    ProgrammeSetting,
    Role,
    Structure,
    Tier,
    User,
)

DEMO_PASSWORD = "demo-Giamngheo-2026"  # noqa: S105 — demo mode only, refused in production
PROVINCE = "12"  # Lai Châu
DISTRICT = "109"  # Phong Thổ, seed 002
TWO_TIER_DEMO_COMMUNES = 6  # the first communes of two-tier Lai Châu that get officers
SIN_SUOI_HO = "03592"  # three-tier commune of Phong Thổ whose successor is always staffed

_KIND_SLUG = {
    AgencyKind.PEOPLE_COMMITTEE: "ubnd",
    AgencyKind.PEOPLE_COUNCIL: "hdnd",
    AgencyKind.LABOUR: "labour",
    AgencyKind.AGRICULTURE: "agri",
    AgencyKind.PLANNING: "planning",
    AgencyKind.FINANCE: "finance",
    AgencyKind.MINISTRY: "ministry",
}
_TIER_LETTER = {Tier.PROVINCE: "p", Tier.DISTRICT: "d", Tier.COMMUNE: "c", Tier.NATION: "n"}
_STRUCTURE_PREFIX = {Structure.THREE_TIER: "t3", Structure.TWO_TIER: "t2", Structure.NATIONAL: "vn"}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    full_name: str
    role: str
    title: str
    agency: str
    agency_kind: str
    unit_code: str
    unit_name: str
    structure: str


def _staff_plan(structure: str) -> dict[str, list[tuple[str, str, str]]]:
    """Which (agency kind → [(role, title, person)]) each tier gets in the demo."""
    standing = AgencyKind.LABOUR if structure == Structure.THREE_TIER else AgencyKind.AGRICULTURE
    return {
        Tier.PROVINCE: [
            (standing, Role.DRAFTER, "Chuyên viên", "Lò Văn Minh"),
            (standing, Role.HEAD, "Giám đốc Sở", "Vàng Thị Hoa"),
            (AgencyKind.PLANNING, Role.DRAFTER, "Chuyên viên", "Tẩn Văn Lâm"),
            (AgencyKind.PLANNING, Role.HEAD, "Giám đốc Sở", "Nguyễn Văn Hải"),
            (AgencyKind.FINANCE, Role.DRAFTER, "Chuyên viên", "Phạm Thị Thu"),
            (AgencyKind.FINANCE, Role.HEAD, "Giám đốc Sở", "Lê Minh Tuấn"),
            (AgencyKind.PEOPLE_COMMITTEE, Role.HEAD, "Chủ tịch", "Giàng A Páo"),
            (AgencyKind.PEOPLE_COMMITTEE, Role.HEAD, "Phó Chủ tịch", "Tống Thanh Hải"),
            (AgencyKind.PEOPLE_COUNCIL, Role.COUNCIL_SECRETARY, "Chánh Văn phòng HĐND", "Lý Thị Mai"),
        ],
        Tier.DISTRICT: [
            (AgencyKind.LABOUR, Role.DRAFTER, "Chuyên viên", "Sần Văn Đức"),
            (AgencyKind.LABOUR, Role.HEAD, "Trưởng phòng", "Tao Thị Lan"),
            (AgencyKind.PEOPLE_COMMITTEE, Role.HEAD, "Chủ tịch", "Phàn Văn Sơn"),
            (AgencyKind.PEOPLE_COUNCIL, Role.COUNCIL_SECRETARY, "Thư ký HĐND", "Chảo Thị Dung"),
        ],
        Tier.COMMUNE: [
            # Placeholder names, completed with the commune's name: "Chủ tịch UBND xã Sin Suối Hồ".
            (AgencyKind.PEOPLE_COMMITTEE, Role.DRAFTER, "Công chức Lao động - Xã hội", "Công chức UBND"),
            (AgencyKind.PEOPLE_COMMITTEE, Role.HEAD, "Chủ tịch", "Chủ tịch UBND"),
        ],
        Tier.NATION: [
            (AgencyKind.MINISTRY, Role.DRAFTER, "Chuyên viên Văn phòng Quốc gia về giảm nghèo", "Đỗ Thị Hằng"),
            (AgencyKind.MINISTRY, Role.HEAD, "Vụ trưởng", "Ngô Quang Vinh"),
        ],
    }


def _username(unit: AdministrativeUnit, kind: str, role: str, title: str) -> str:
    base = f"{_STRUCTURE_PREFIX[unit.structure]}-{_TIER_LETTER[unit.tier]}{unit.code}-{_KIND_SLUG[kind]}-{role}"
    return base + "-deputy" if title.startswith("Phó") else base


def ensure_demo_allowed() -> None:
    if not settings.DEMO:
        raise ImproperlyConfigured("Demo data and demo passwords exist only with APP_MODE=demo.")


@transaction.atomic
def load() -> list[DemoAccount]:
    """Load the demo directory; return its accounts."""
    ensure_demo_allowed()
    services.units_load(structure=Structure.THREE_TIER, records=unitdata.three_tier_records(PROVINCE))
    services.units_load(structure=Structure.TWO_TIER, records=unitdata.two_tier_records(PROVINCE))
    services.unit_successions_load()
    nation = services.nation_ensure()

    three = AdministrativeUnit.objects.filter(structure=Structure.THREE_TIER)
    t3_province = three.get(code=PROVINCE)
    t3_district = three.get(code=DISTRICT)
    t3_communes = list(three.filter(district=t3_district, tier=Tier.COMMUNE))
    two = AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER)
    t2_province = two.get(code=PROVINCE)
    t2_communes = list(two.filter(province=t2_province, tier=Tier.COMMUNE).order_by("code"))
    t2_staffed = t2_communes[:TWO_TIER_DEMO_COMMUNES]
    for successor in selectors.unit_successors(three.get(code=SIN_SUOI_HO)):
        if successor not in t2_staffed:
            t2_staffed.append(successor)

    staffed = [nation, t3_province, t3_district, *t3_communes, t2_province, *t2_staffed]
    # Every unit of the demo provinces gets its agencies (so any commune can be staffed later).
    services.agencies_ensure_standard(
        units=[nation, *three.filter(province=t3_province), t3_province, *two.filter(province=t2_province), t2_province]
    )

    password_hash = make_password(DEMO_PASSWORD)  # hashed once: the same for every demo account
    agencies = {(a.unit_id, a.kind): a for a in Agency.objects.filter(unit__in=staffed)}
    for unit in staffed:
        for kind, role, title, person in _staff_plan(unit.structure)[unit.tier]:
            agency = agencies[(unit.pk, kind)]
            username = _username(unit, kind, role, title)
            full_name = person if unit.tier != Tier.COMMUNE else f"{person} {services.unit_label(unit)}"
            user, _created = User.objects.update_or_create(
                username=username,
                defaults={"full_name": full_name, "password": password_hash, "email": f"{username}@demo.invalid"},
            )
            services.membership_add(user=user, agency=agency, role=role, title=title)

    _settings_and_delegations(t3_province, t3_district, t2_province)
    _admin(password_hash)
    return accounts()


def _settings_and_delegations(t3_province, t3_district, t2_province) -> None:
    for unit, period, kind in (
        (t3_province, "2021-2025", AgencyKind.LABOUR),
        (t3_district, "2021-2025", AgencyKind.LABOUR),
        (t2_province, "2026-2030", AgencyKind.AGRICULTURE),
    ):
        ProgrammeSetting.objects.update_or_create(
            unit=unit, period=period, defaults={"standing_agency": Agency.objects.get(unit=unit, kind=kind)}
        )
    # The vice-chair signs for the chair of three-tier Lai Châu's People's Committee ("KT. CHỦ TỊCH").
    committee = Agency.objects.get(unit=t3_province, kind=AgencyKind.PEOPLE_COMMITTEE)
    chair = User.objects.get(username=_username(t3_province, AgencyKind.PEOPLE_COMMITTEE, Role.HEAD, "Chủ tịch"))
    deputy = User.objects.get(username=_username(t3_province, AgencyKind.PEOPLE_COMMITTEE, Role.HEAD, "Phó"))
    if not Delegation.objects.filter(principal=chair, deputy=deputy).exists():
        services.delegation_create(
            actor=chair,
            agency=committee,
            principal=chair,
            deputy=deputy,
            starts_on=dt.date(2023, 1, 1),
            ends_on=dt.date(2030, 12, 31),
            reason="Phân công ký thay Chủ tịch về lĩnh vực giảm nghèo",
        )


def _admin(password_hash: str) -> None:
    User.objects.update_or_create(
        username="admin",
        defaults={
            "full_name": "Quản trị hệ thống",
            "password": password_hash,
            "is_staff": True,
            "is_superuser": True,
            "email": "admin@demo.invalid",
        },
    )


def accounts() -> list[DemoAccount]:
    """Every demo account, as loaded (read from the database, not from the plan above)."""
    ensure_demo_allowed()
    rows = []
    users = User.objects.filter(email__endswith="@demo.invalid").prefetch_related("memberships__agency__unit")
    for user in users.order_by("username"):
        memberships = list(user.memberships.all())
        if not memberships:
            rows.append(
                DemoAccount(user.username, DEMO_PASSWORD, user.display_name, Role.ADMINISTRATOR, "", "", "", "", "", "")
            )
        for m in memberships:
            unit = m.agency.unit
            rows.append(
                DemoAccount(
                    user.username,
                    DEMO_PASSWORD,
                    user.display_name,
                    m.role,
                    m.title,
                    m.agency.name,
                    m.agency.kind,
                    unit.code,
                    unit.name,
                    unit.structure,
                )
            )
    return rows


def accounts_as_dicts() -> list[dict[str, str]]:
    return [asdict(a) for a in accounts()]

"""Reads about decisions and the documents they issue: who signed a plan off (the audit trail)
and how the plan's document is issued, numbered, signed and sent. (The council's resolution of
a plan: ``workflows.selectors.plan_resolution``.)

The issuing rules are data (``approvals/data/documents.json``, Decree 30/2020/NĐ-CP): which body
issues each plan type's document, how that body signs (a collective body "TM.", a deputy "KT."),
its titles, the symbol of its numbers and the recipients the route implies. ``planning.exports``
prints what these functions decide.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from approvals.models import AuditEvent
from directory.authority import deputy_for
from directory.models import Agency, AgencyKind, Membership, Tier, User
from directory.services import SIGNING_ROLES, unit_label
from planning.models import Plan
from workflows import routes

DOCUMENTS_PATH = Path(__file__).resolve().parent / "data" / "documents.json"
# The actions by which a plan's own unit signs its document off, newest last in the trail.
SIGNING_ACTIONS = ("submit", "issue_guidance", "report")
PEOPLE_COMMITTEE = "people_committee"
DEPARTMENT = "department"
STANDING = "standing"
ANY = "*"


@cache
def document_rules() -> dict[str, Any]:
    """The issuing rules (``approvals/data/documents.json``), read once per process."""
    rules: dict[str, Any] = json.loads(DOCUMENTS_PATH.read_text(encoding="utf-8"))
    return rules


# --- the audit trail ---------------------------------------------------------------------------


def history(plan: Plan) -> QuerySet[AuditEvent]:
    """The plan's audit trail, oldest first, with who acted, for whom and in which agency."""
    return plan.events.select_related("actor", "acting_for", "agency").order_by("id")


def last_signing_event(plan: Plan) -> AuditEvent | None:
    """The plan's last signing decision (submit, issue guidance, report), if any."""
    return (
        plan.events.filter(action__in=SIGNING_ACTIONS)
        .select_related("actor", "acting_for", "agency")
        .order_by("-id")
        .first()
    )


def signatory(plan: Plan) -> tuple[User | None, User | None]:
    """(signer, on behalf of): who last signed the plan off, and for whom under a delegation
    ("KT."), from the audit trail."""
    event = last_signing_event(plan)
    return (event.actor, event.acting_for) if event else (None, None)


# --- the issuer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """The body that issues a plan's document and how it signs."""

    key: str  # a key of the rules' "bodies": people_committee or department
    agency: Agency | None  # the issuing agency in the directory, when it has one
    regime: str  # "collective" (TM.) or "single"
    body: str  # the collective body's name on the "TM." line; "" for a single head
    head_title: str  # as the block prints the head's capacity ("Chủ tịch")
    deputy_title: str  # a deputy's, when their own title is missing ("Phó Chủ tịch")
    kind: str  # "KH", "BC"
    name: str  # "Kế hoạch", "Báo cáo"
    symbol: str  # "KH-UBND", "BC-SLĐTBXH"


def _by_key(table: dict[str, Any], *keys: str) -> Any:
    return next((table[key] for key in keys if key in table), table.get(ANY))


def document_spec(plan: Plan) -> dict[str, str]:
    """The plan type's entry of the rules' "documents" (kind, name, issuer, subtitle)."""
    spec: dict[str, str] = document_rules()["documents"][plan.plan_type]
    return spec


def issuing_agency(plan: Plan) -> Agency | None:
    """The agency whose document the plan is: its unit's People's Committee, or its standing
    agency for a type a department issues itself (a commune's standing agency is its People's
    Committee)."""
    if document_spec(plan)["issuer"] == STANDING:
        return routes.standing_agency(plan.unit, plan.cycle.period.code)
    return Agency.objects.filter(unit_id=plan.unit_id, kind=AgencyKind.PEOPLE_COMMITTEE).first()


def issuer_of(plan: Plan) -> Issuer:
    """The plan's issuing body with the signing rules that apply to it."""
    spec = document_spec(plan)
    agency = issuing_agency(plan)
    is_committee = agency is None or agency.kind == AgencyKind.PEOPLE_COMMITTEE
    key = PEOPLE_COMMITTEE if is_committee else DEPARTMENT
    body_rules = document_rules()["bodies"][key]
    titles = _by_key(body_rules["titles"], agency.kind if agency else "", plan.unit.tier)
    if is_committee or agency is None:  # (no agency is a committee: said again for the type checker)
        symbol = body_rules["symbol"]
    else:
        symbol = _by_key(body_rules["symbol_prefix"], plan.unit.tier) + _abbreviation(agency)
    return Issuer(
        key=key,
        agency=agency,
        regime=body_rules["regime"],
        body=body_rules.get("body", ""),
        head_title=titles["head"],
        deputy_title=titles["deputy"],
        kind=spec["kind"],
        name=spec["name"],
        symbol=f"{spec['kind']}-{symbol}",
    )


def _abbreviation(agency: Agency) -> str:
    """A department's part of a number: its short name without the generic first word and
    without punctuation ("Sở LĐTBXH" → "LĐTBXH", "Sở NN&MT" → "NNMT")."""
    words = (agency.short_name or agency.name).split()
    core = " ".join(words[1:]) if len(words) > 1 else " ".join(words)
    return re.sub(r"[^\w]", "", core)


def superior_line(plan: Plan, issuer: Issuer) -> str:
    """The line above a department's name in the header ("UBND TỈNH LAI CHÂU"); "" for a
    People's Committee, which heads its own documents."""
    if issuer.key != DEPARTMENT:
        return ""
    template: str = document_rules()["bodies"][DEPARTMENT]["superior"]
    return template.format(unit=unit_label(plan.unit)).upper()


def _name_and_unit(agency: Agency) -> tuple[str, bool]:
    """The agency's name without its unit's (and without a parenthesis that tells two agencies
    of one department apart, "(thẩm định vốn đầu tư)"), and whether the unit was in it. Names
    carry the unit as it was when the agency was made ("… Tỉnh Lai Châu", "… tỉnh Lai Châu")."""
    name = re.sub(r"\s*\([^)]*\)\s*$", "", agency.name).strip()
    unit = agency.unit
    if unit.tier == Tier.NATION:
        return name, False
    for suffix in dict.fromkeys((unit.name, unit_label(unit))):
        if name.casefold().endswith(" " + suffix.casefold()):
            return name[: -len(suffix)].rstrip(), True
    return name, False


def agency_label(agency: Agency) -> str:
    """An agency's name as it reads in a sentence: "Sở Lao động - Thương binh và Xã hội tỉnh
    Lai Châu", "Ủy ban nhân dân xã Sin Suối Hồ" (never "xã Xã")."""
    name, with_unit = _name_and_unit(agency)
    return f"{name} {unit_label(agency.unit)}" if with_unit else name


def agency_short_label(agency: Agency) -> str:
    """An agency as a list of recipients names it: its short name and its unit ("Sở KH&ĐT
    tỉnh Lai Châu", "Phòng LĐTBXH huyện Phong Thổ"), else ``agency_label``."""
    short = re.sub(r"\s*\([^)]*\)\s*$", "", agency.short_name).strip()
    if not short or agency.unit.tier == Tier.NATION:
        return agency_label(agency)
    return f"{short} {unit_label(agency.unit)}"


def department_name(agency: Agency) -> str:
    """A department's own name without its unit's ("Sở Nông nghiệp và Môi trường")."""
    return _name_and_unit(agency)[0]


# --- the signer --------------------------------------------------------------------------------


def _membership_title(user: User, agency: Agency | None) -> str:
    """The user's title in the issuing agency ("" when missing or not a member there)."""
    if agency is None:
        return ""
    titles = Membership.objects.filter(user=user, agency=agency).values_list("title", flat=True)
    return next((title.strip() for title in titles if title.strip()), "")


def is_deputy_title(title: str, issuer: Issuer) -> bool:
    folded = title.casefold()
    prefix = document_rules()["deputy_prefix"].casefold()
    return folded.startswith(issuer.deputy_title.casefold()) or folded.startswith(prefix + " ")


def document_signer(plan: Plan) -> tuple[User | None, User | None]:
    """(signer, on behalf of) of the plan's document, once the plan has been signed off.

    The last signing decision of the audit trail names them when its actor, or the head they
    acted for, belongs to the issuing body (a commune's chair submits the commune's plan). When
    the body that signed the decision is not the issuer — the standing agency drafted and
    submitted the plan the People's Committee issues — the issuing body's head signs, or the
    deputy a delegation of that head names on the day (the issue date, else the decision's):
    "KT. CHỦ TỊCH". A draft (no decision yet) has no signer."""
    event = last_signing_event(plan)
    if event is None:
        return None, None
    agency = issuing_agency(plan)
    if agency is None:
        return event.actor, event.acting_for
    members = set(Membership.objects.filter(agency=agency).values_list("user_id", flat=True))
    if event.actor_id in members or (event.acting_for_id is not None and event.acting_for_id in members):
        return event.actor, event.acting_for
    issuer = issuer_of(plan)
    head = _head_of(agency, issuer)
    if head is None:
        return None, None
    day = plan.issued_on or timezone.localdate(event.created_at)
    delegation = deputy_for(agency=agency, principal=head, on=day)
    return (delegation.deputy, head) if delegation else (head, None)


def _head_of(agency: Agency, issuer: Issuer) -> User | None:
    """The agency's head: a signing member whose title is the head's, else one with no
    deputy's title; None when the agency has only deputies (nobody to sign for)."""
    memberships = list(
        Membership.objects.filter(agency=agency, role__in=SIGNING_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    heads = [m for m in memberships if not is_deputy_title(m.title, issuer)]
    exact = [m for m in heads if m.title.strip().casefold() == issuer.head_title.casefold()]
    chosen = next(iter(exact or heads), None)
    return chosen.user if chosen else None


def signature_lines(plan: Plan, signer: User | None, on_behalf_of: User | None) -> list[str]:
    """The capacity lines of the signature block, upper-cased, without the name.

    A deputy — signing for a head (``on_behalf_of``) or holding a deputy's title — signs
    "KT. <head's title>" above their own title; the head signs with the head's title; a
    collective body's block starts with "TM. <body>". Without a signer the block is the head's
    (a draft is printed for whoever signs). A missing title falls back to the rules' titles."""
    issuer = issuer_of(plan)
    own_title = _membership_title(signer, issuer.agency) if signer else ""
    deputy = on_behalf_of is not None or (bool(own_title) and is_deputy_title(own_title, issuer))
    values = {
        "body": issuer.body.upper(),
        "head": issuer.head_title.upper(),
        "deputy": (own_title or issuer.deputy_title).upper(),
    }
    template = document_rules()["capacities"][issuer.regime]["deputy" if deputy else "head"]
    return [line.format(**values) for line in template]


# --- recipients --------------------------------------------------------------------------------


def _ministry_name(plan: Plan) -> str:
    owner = plan.cycle.period.owner_vi
    if owner:
        return owner
    ministry = Agency.objects.filter(unit__tier=Tier.NATION, kind=AgencyKind.MINISTRY).first()
    return ministry.name if ministry else ""


def route_recipients(plan: Plan) -> list[str]:
    """ "Nơi nhận" from the plan's route, for a plan whose own list is empty: the level above
    (its People's Committee, or the ministry for a province plan), the agencies of the route's
    later steps outside the issuing body (the reviewer above, the appraising departments, the
    People's Council, the ministry), and the archive with the drafting agency."""
    rules = document_rules()["recipients"]
    issuer = issuer_of(plan)
    unit = plan.unit
    lines: list[str] = []
    ministry = _ministry_name(plan)
    if unit.tier == Tier.PROVINCE and ministry:
        lines.append(rules["ministry"].format(ministry=ministry))
    elif unit.parent is not None and unit.parent.tier != Tier.NATION:
        lines.append(rules["level_above"].format(unit=unit_label(unit.parent)))
    for step_name in routes.steps_for(plan)[1:]:
        template = rules["steps"].get(step_name)
        if template is None:
            continue
        if "{agency}" not in template:
            lines.append(template.format(unit=unit_label(unit), ministry=ministry))
            continue
        step = routes.step_spec(step_name)
        lanes = step.lanes or (None,)
        for agency in (routes.acting_agency(plan, step, lane) for lane in lanes):
            if agency is not None and (issuer.agency is None or agency.pk != issuer.agency.pk):
                lines.append(template.format(agency=agency_short_label(agency)))
    drafter = routes.standing_agency(unit, plan.cycle.period.code)
    if drafter is not None and (issuer.agency is None or drafter.pk != issuer.agency.pk):
        lines.append(rules["archive_with_drafter"].format(drafter=drafter.short_name or drafter.name))
    else:
        lines.append(rules["archive"])
    return list(dict.fromkeys(lines))

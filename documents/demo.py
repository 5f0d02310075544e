"""The demo's signing material and exchange codes (demo only; ``documents_demo_ca``)."""

from __future__ import annotations

from directory.models import Agency, Role, Structure, User
from documents import pki
from documents.models import AgencyExchangeCode

STRUCTURE_TAGS = {Structure.THREE_TIER: "T3", Structure.TWO_TIER: "T2", Structure.NATIONAL: "TW"}


def load(*, certificates: bool = True) -> dict[str, int]:
    """The demo root, a demo certificate for every signing head, and a demo exchange code for
    every agency without one ("DEMO.T2.12.<id>": clearly not a real code). Idempotent."""
    pki.refuse_in_production()
    pki.demo_root()
    signers = 0
    if certificates:
        heads = User.objects.filter(memberships__role=Role.HEAD, is_active=True).distinct().order_by("username")
        for user in heads:
            pki.demo_credential_for(user)
            signers += 1
    codes = []
    for agency in Agency.objects.filter(exchange_code__isnull=True).select_related("unit"):
        tag = STRUCTURE_TAGS.get(agency.unit.structure, "X")
        codes.append(AgencyExchangeCode(agency=agency, code=f"DEMO.{tag}.{agency.unit.code}.{agency.pk}"[:32]))
    AgencyExchangeCode.objects.bulk_create(codes, ignore_conflicts=True)
    return {"signers": signers, "codes": len(codes)}

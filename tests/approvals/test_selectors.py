"""Who signed a plan off and in which capacity (``approvals.selectors``): the signatory comes
from the plan's last signing decision in the audit trail (not a review or a return), a deputy
acting under a delegation signs "KT." for the head, and the signature block's lines follow the
issuing body's rules (a People's Committee signs "TM.")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from approvals import selectors as issuing
from directory import services as directory
from directory.models import Agency, AgencyKind, Structure, User
from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_HEAD, plan_of
from workflows import services as workflows


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def commune(demo) -> Plan:
    return complete(plan_of("03592"))


@pytest.fixture
def committee(demo) -> Agency:
    return Agency.objects.get(
        unit__structure=Structure.THREE_TIER, unit__code="03592", kind=AgencyKind.PEOPLE_COMMITTEE
    )


def test_a_draft_has_no_signatory_and_prints_the_heads_block(commune):
    assert issuing.signatory(commune) == (None, None)
    assert issuing.signature_lines(commune, None, None) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_the_chair_who_submitted_signs_as_chair(commune):
    workflows.plan_act(actor=user(C_HEAD), plan_id=commune.pk, action="submit")
    signer, on_behalf_of = issuing.signatory(commune)
    assert (signer, on_behalf_of) == (user(C_HEAD), None)
    assert issuing.signature_lines(commune, signer, on_behalf_of) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_a_review_or_a_return_does_not_change_who_signed(commune):
    workflows.plan_act(actor=user(C_HEAD), plan_id=commune.pk, action="submit")
    workflows.plan_act(actor=user(D_HEAD), plan_id=commune.pk, action="return", comment="Bổ sung")
    assert issuing.last_signing_event(commune).action == "submit"
    assert issuing.signatory(commune) == (user(C_HEAD), None)


def test_a_deputy_under_a_delegation_signs_kt_for_the_head(commune, committee):
    today = timezone.localdate()
    directory.delegation_create(
        actor=user("admin"),
        agency=committee,
        principal=user(C_HEAD),
        deputy=user(C_DRAFTER),
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=7),
        reason="Chủ tịch đi công tác",
    )
    workflows.plan_act(actor=user(C_DRAFTER), plan_id=commune.pk, action="submit")

    signer, on_behalf_of = issuing.signatory(commune)
    assert (signer, on_behalf_of) == (user(C_DRAFTER), user(C_HEAD))
    lines = issuing.signature_lines(commune, signer, on_behalf_of)
    assert lines[:2] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"]
    assert len(lines) == 3  # and the deputy's own capacity below


@pytest.mark.parametrize(
    ("title", "deputy"),
    [("Phó Chủ tịch", True), ("Phó Giám đốc", True), ("Chủ tịch", False), ("Giám đốc", False)],
)
def test_a_deputys_title_is_told_from_a_heads(commune, title, deputy):
    assert issuing.is_deputy_title(title, issuing.issuer_of(commune)) is deputy

"""Rounds freeze the plan; the diff names what changed between any two."""

from decimal import Decimal

import pytest

from directory.models import User
from planning import diff, services
from planning.models import PlanRound
from tests.planning.conftest import DISTRICT_DRAFTER


@pytest.fixture
def drafter(demo) -> User:
    return User.objects.get(username=DISTRICT_DRAFTER)


def test_a_round_is_an_immutable_snapshot(phong_tho, drafter):
    first = services.round_freeze(actor=drafter, plan=phong_tho)
    assert first.number == 1 and phong_tho.round_number == 1
    assert first.snapshot["totals"]["total"] in ("162756", "162756.000")
    services.plan_lines_replace(
        actor=drafter, plan=phong_tho, rows=[{"item": "1.1", "amounts": {"central_investment": "1"}}]
    )
    first.refresh_from_db()
    assert len(first.snapshot["lines"]) == 12
    with pytest.raises(ValueError, match="immutable"):
        first.save()


def test_diff_lists_added_removed_and_changed_lines_headers_and_indicators(phong_tho, drafter, login_api):
    services.round_freeze(actor=drafter, plan=phong_tho)
    rows = services.snapshot_lines(phong_tho)
    rows = [r for r in rows if r["item"] != "7.2"]  # removed
    next(r for r in rows if r["item"] == "5")["amounts"]["other"] = "1500"  # changed 1.200 → 1.500
    rows.append({"item": "6.1", "content": "Giảm nghèo về thông tin", "amounts": {"central_recurrent": "80"}})  # added
    services.plan_lines_replace(actor=drafter, plan=phong_tho, rows=rows)
    services.plan_header_update(actor=drafter, plan=phong_tho, data={"number_symbol": "12/KH-UBND"})
    indicators = services.snapshot_indicators(phong_tho)
    indicators[1]["value"] = "37.9"
    services.plan_indicators_replace(actor=drafter, plan=phong_tho, rows=indicators)
    services.round_freeze(actor=drafter, plan=phong_tho)

    body = login_api(DISTRICT_DRAFTER).get(f"/api/v1/plans/{phong_tho.pk}/diff/", {"from": 1, "to": 2}).json()
    assert [line["item"] for line in body["lines"]["added"]] == ["6.1"]
    assert [line["item"] for line in body["lines"]["removed"]] == ["7.2"]
    [changed] = body["lines"]["changed"]
    assert changed["item"] == "5"
    assert Decimal(changed["changes"]["other"]["old"]) == 1200 and Decimal(changed["changes"]["other"]["new"]) == 1500
    assert body["header"] == {"number_symbol": {"old": "", "new": "12/KH-UBND"}}
    assert [c["name"] for c in body["indicators"]["changed"]] == ["Tỷ lệ hộ nghèo toàn huyện còn"]
    assert Decimal(body["totals"]["total"]["new"]) == Decimal("162756") - 326 + 300 + 80


def test_diff_against_the_current_draft_and_no_change(phong_tho, drafter, login_api):
    services.round_freeze(actor=drafter, plan=phong_tho)
    assert diff.is_empty(
        diff.snapshot_diff(PlanRound.objects.get(plan=phong_tho).snapshot, services.snapshot(phong_tho))
    )
    api = login_api(DISTRICT_DRAFTER)
    assert api.get(f"/api/v1/plans/{phong_tho.pk}/diff/", {"from": 1}).json()["to"] == "current"
    assert api.get(f"/api/v1/plans/{phong_tho.pk}/diff/", {"from": 7}).status_code == 404
    assert api.get(f"/api/v1/plans/{phong_tho.pk}/diff/", {"from": "x"}).status_code == 400
    rounds = api.get(f"/api/v1/plans/{phong_tho.pk}/rounds/").json()
    assert [r["number"] for r in rounds] == [1]

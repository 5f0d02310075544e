"""The consolidation workbench: bulk waive (with a required reason) and bulk accept, each plan
through ``plan_act`` in its own transaction with its outcome reported; the totals row is the
parent's ``below`` (``plan_totals``, one truth); server-side sorting by column.

Personas: the head of Phong Thổ's labour office (``D_HEAD``), which reviews the district's 17
communes' 2023 plans (all drafts in the demo); the heads of its communes."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from django.urls import reverse

from approvals.models import AuditEvent
from directory.models import User
from planning import selectors as plan_selectors
from planning import services as planning
from planning.models import Plan
from tests.complete import complete
from tests.workflows.conftest import D_HEAD, plan_of, status
from workflows import services

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
SILENT = ("03391", "03586", "03592")  # Lả Nhì Thàng, Nậm Xe, Sin Suối Hồ


def bench_url(plan: Plan, **params) -> str:
    url = reverse("workflows:workbench", args=[plan.pk])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else url


def as_district_head(client) -> None:
    client.force_login(User.objects.get(username=D_HEAD), backend=MODEL_BACKEND)


def communes(*codes: str) -> list[Plan]:
    return [plan_of(code) for code in codes]


def results_of(page: str) -> dict[str, str]:
    """The results table after a bulk action: {unit name: "done" | "refused: why"}."""
    block = page.split('data-testid="bulk-results"', 1)[1].split("</section>", 1)[0]
    out = {}
    for row in re.findall(r'<tr data-plan="\d+" data-outcome="(\w+)">(.*?)</tr>', block, re.S):
        outcome, cells = row
        unit, result = (
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in re.findall(r"<td>(.*?)</td>", cells, re.S)
        )
        out[unit] = outcome if outcome == "done" else f"refused: {result}"
    return out


def test_the_district_head_waives_several_silent_communes_at_once_with_a_reason(demo, client):
    as_district_head(client)
    district = plan_of("109")
    plans = communes(*SILENT)
    reason = "Xã không gửi kế hoạch đúng hạn; miễn để tổng hợp kế hoạch huyện."
    response = client.post(
        bench_url(district), {"action": "waive", "comment": reason, "plan": [p.pk for p in plans], "batch": "b1"}
    )
    assert response.status_code == 302
    assert [status(p) for p in plans] == ["waived"] * 3
    events = AuditEvent.objects.filter(plan__in=plans, action="waive")
    assert sorted(e.comment for e in events) == [reason] * 3
    assert {e.actor.username for e in events} == {D_HEAD}

    page = client.get(response["Location"]).content.decode()
    assert results_of(page) == {p.unit.name: "done" for p in plans}
    assert "Miễn (không chờ): đã thực hiện 3 kế hoạch." in page
    # The results are shown once; the page then reads as before, with the progress counted.
    again = client.get(bench_url(district)).content.decode()
    assert 'data-testid="bulk-results"' not in again
    assert "3/17" in again


def test_a_bulk_waive_without_a_reason_answers_400_naming_the_reason_and_changes_nothing(demo, client):
    as_district_head(client)
    district = plan_of("109")
    plans = communes(*SILENT)
    response = client.post(bench_url(district), {"action": "waive", "comment": "  ", "plan": [p.pk for p in plans]})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="error-comment"' in page
    assert "Cần ghi lý do miễn." in page
    # The officer's choice is kept for the second try.
    assert all(f'value="{p.pk}" id="pick-{p.pk}" checked' in page for p in plans)
    assert [status(p) for p in plans] == ["draft"] * 3


def test_a_bulk_action_with_nothing_chosen_answers_400_naming_the_choice(demo, client):
    as_district_head(client)
    response = client.post(bench_url(plan_of("109")), {"action": "accept", "comment": ""})
    assert response.status_code == 400
    assert "Chọn ít nhất một kế hoạch." in response.content.decode()


def test_bulk_accept_accepts_the_submitted_plan_and_reports_why_the_draft_was_refused(demo, client):
    submitted, draft = communes("03592", "03586")
    complete(submitted)
    services.plan_act(actor=User.objects.get(username="t3-c03592-ubnd-head"), plan_id=submitted.pk, action="submit")
    as_district_head(client)
    response = client.post(
        bench_url(plan_of("109")), {"action": "accept", "comment": "", "plan": [submitted.pk, draft.pk]}
    )
    assert response.status_code == 302
    assert (status(submitted), status(draft)) == ("accepted", "draft")
    results = results_of(client.get(response["Location"]).content.decode())
    assert results[submitted.unit.name] == "done"
    assert results[draft.unit.name].startswith("refused: Không thực hiện Không thể “Chấp nhận” khi kế hoạch đang")


def test_a_plan_that_is_not_a_child_of_the_workbench_is_refused_and_left_alone(demo, client):
    as_district_head(client)
    other = plan_of("12")  # the province plan: above the workbench, not a child
    before = status(other)
    commune = plan_of("03592")
    response = client.post(
        bench_url(plan_of("109")), {"action": "waive", "comment": "Miễn.", "plan": [commune.pk, other.pk]}
    )
    assert response.status_code == 302
    assert (status(commune), status(other)) == ("waived", before)
    results = results_of(client.get(response["Location"]).content.decode())
    assert results[str(other.pk)] == "refused: Không thực hiện Không phải kế hoạch cấp dưới trực tiếp của kế hoạch này."


def test_a_resent_bulk_form_replays_its_first_answers_instead_of_acting_twice(demo, client):
    as_district_head(client)
    district = plan_of("109")
    plans = communes(*SILENT[:2])
    form = {"action": "waive", "comment": "Miễn.", "plan": [p.pk for p in plans], "batch": "resent"}
    client.post(bench_url(district), form)
    second = client.post(bench_url(district), form)
    assert results_of(client.get(second["Location"]).content.decode()) == {p.unit.name: "done" for p in plans}
    assert AuditEvent.objects.filter(plan__in=plans, action="waive").count() == 2


def _foot(page: str) -> list[Decimal]:
    foot = page.split('data-testid="totals-row"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'data-testid="below-(?:source|total)">([^<]*)<', foot)
    return [Decimal(c.replace(".", "").replace(",", ".")) for c in cells]


def test_the_totals_row_is_the_parents_below_per_source_also_after_a_waiver(demo, client):
    district = plan_of("109")
    rows = {
        "03592": [{"item": "1.1", "content": "Đường nội bản", "amounts": {"central_investment": "20000"}}],
        "03586": [{"item": "2", "content": "Nuôi dê", "amounts": {"central_recurrent": "1450.5", "local": "30.25"}}],
        "03391": [{"item": "5", "content": "Nhà ở", "amounts": {"central_recurrent": "1200", "other": "300"}}],
    }
    for code, lines in rows.items():
        plan = plan_of(code)
        planning.plan_lines_replace(actor=User.objects.get(username=f"t3-c{code}-ubnd-drafter"), plan=plan, rows=lines)
    sources = plan_selectors.plan_sources(district)
    as_district_head(client)

    def expected() -> list[Decimal]:
        below = plan_selectors.plan_totals(district)["below"]
        return [below[s.code] for s in sources] + [below["total"]]

    assert expected()[-1] == Decimal("22980.75")
    assert _foot(client.get(bench_url(district)).content.decode()) == expected()
    client.post(bench_url(district), {"action": "waive", "comment": "Miễn.", "plan": [plan_of("03586").pk]})
    assert expected()[-1] == Decimal("21500")
    assert _foot(client.get(bench_url(district)).content.decode()) == expected()


def bare(name: str) -> str:
    """A name without its marks, "Đ" after "D" (as an officer looks a name up in a list)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", name.casefold()) if not unicodedata.combining(c))
    return plain.replace("đ", "dz")


def _units(page: str) -> list[str]:
    return re.findall(r'<tr data-unit="(\d+)"', page.split('data-testid="workbench"', 1)[1])


def test_the_workbench_sorts_by_the_column_asked_for(demo, client):
    district = plan_of("109")
    for code, amount in (("03391", "10"), ("03586", "30"), ("03592", "20")):
        plan = plan_of(code)
        drafter = User.objects.get(username=f"t3-c{code}-ubnd-drafter")
        planning.plan_lines_replace(
            actor=drafter, plan=plan, rows=[{"item": "2", "content": "Nuôi dê", "amounts": {"local": amount}}]
        )
    as_district_head(client)
    by_code = _units(client.get(bench_url(district)).content.decode())
    assert by_code == sorted(by_code) and len(by_code) == 17
    by_total = _units(client.get(bench_url(district, sort="-total")).content.decode())
    assert by_total[:3] == ["03586", "03592", "03391"]
    by_local = _units(client.get(bench_url(district, sort="local")).content.decode())
    assert by_local[-3:] == ["03391", "03592", "03586"]
    names = dict(Plan.objects.filter(parent=district).values_list("unit__code", "unit__name"))
    by_name = [names[code] for code in _units(client.get(bench_url(district, sort="unit")).content.decode())]
    assert by_name == sorted(by_name, key=bare), by_name
    assert by_name[:3] == ["Thị trấn Phong Thổ", "Xã Bản Lang", "Xã Dào San"]
    page = client.get(bench_url(district, sort="-total")).content.decode()
    assert '<option value="-total" selected>' in page
    assert 'aria-sort="descending">Tổng</th>' in page
    # An unknown column is the default order, never an error.
    assert _units(client.get(bench_url(district, sort="password")).content.decode()) == by_code

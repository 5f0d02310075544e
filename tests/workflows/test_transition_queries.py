"""Query budgets of one transition of each kind (submit, accept, return, approve), called as
the API calls them (``plan_act``), at two data sizes: the budget holds whatever the number of
plans waiting at the level above or of lines in the plan. PostgreSQL only: the figures are
the production database's (SQLite runs a few more statements for the same work)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import clock
from directory.models import User
from planning import selectors as planning_selectors
from planning.models import BudgetLine, LineAmount, Plan, ProgrammePeriod
from tests.complete import complete
from tests.workflows.conftest import D_HEAD, plan_of
from workflows import services

# The figures reached on PostgreSQL, savepoints included (CaptureQueriesContext counts them);
# before the one authority lookup they were submit 56, accept 36, return 44, approve 55, and
# before the flow's own completion path (workflows/engine.py: no second process lock, one write
# per task, switch and end inserted done), one clock reading per action, the round frozen from
# the plan already locked and one query for the unit's officers: 55, 36, 41, 54. Submit and
# approve read the period's funding sources once per process (planning.selectors): 37 each with
# them read, 38 in a process that has not read them yet (or just saw a source saved). Freezing a round also freezes
# the plan's attachments with it (dossier: one UPDATE), on submit and on approve; a return
# checks that the last editor still belongs to the unit before handing them the task.
# Then 38, 21, 28, 38 became 35, 21, 24, 35 (34 submit and approve with the sources read): the
# next task's due date reads the calendar, the extensions and the province's milestones in one
# UNION ALL (deadlines.selectors.deadline_of), its standing agency and the usual ones in one
# (workflows.routes.standing_agency), and its inbox row takes the agency's unit id, not the unit;
# then submit 34: completeness counts indicators, households and money in one statement; then
# submit 33 (32 with the sources read): the submitted round's new number is saved with the new
# status, one UPDATE of the plan (workflows.services.ROUTE_EFFECTS; approve freezes after it).
# Measured with the sources read (``sources_read``, below): a budget one query above a
# transition's cost would let one more query through unseen. The cold read is its own test.
BUDGET = {"submit": 32, "accept": 21, "return": 24, "approve": 34}
COUNCIL_SECRETARY = "t2-p12-hdnd-council_secretary"


@pytest.fixture(autouse=True)
def sources_read(db):
    """Every period's funding sources read, as in a process that has served a request already."""
    planning_selectors.sources_of_periods(ProgrammePeriod.objects.values_list("pk", flat=True))


def queries(**act) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        services.plan_act(**act)
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


def drafts_of_district(n: int) -> list[Plan]:
    drafts = Plan.objects.filter(parent=plan_of("109"), status="draft").select_related("unit").order_by("unit__code")
    return [complete(plan) for plan in drafts[:n]]


def head_of(plan: Plan) -> User:
    return User.objects.get(username=f"t3-c{plan.unit.code}-ubnd-head")


def submit_all(plans: list[Plan]) -> list[int]:
    return [queries(actor=head_of(p), plan_id=p.pk, action="submit")[0] for p in plans]


@pytest.mark.postgres
@pytest.mark.django_db
def test_submit_accept_and_return_keep_their_budget_with_2_or_14_plans_waiting(demo):
    reviewer = User.objects.get(username=D_HEAD)
    small = drafts_of_district(14)
    few, many = small[:2], small[2:]
    submitted_few = submit_all(few)
    accept_few, _ = queries(actor=reviewer, plan_id=few[0].pk, action="accept")
    return_few, _ = queries(actor=reviewer, plan_id=few[1].pk, action="return", comment="Bổ sung")
    submitted_many = submit_all(many)
    accept_many, _ = queries(actor=reviewer, plan_id=many[0].pk, action="accept")
    return_many, _ = queries(actor=reviewer, plan_id=many[1].pk, action="return", comment="Bổ sung")
    print("submit", submitted_few, submitted_many, "accept", accept_few, accept_many, "return", return_few, return_many)
    assert max(submitted_few + submitted_many) <= BUDGET["submit"]
    assert submitted_many[-1] == submitted_few[-1]  # the 14th submission costs what the second did
    assert accept_many == accept_few <= BUDGET["accept"]
    assert return_many == return_few <= BUDGET["return"]


def add_lines(plan: Plan, n: int) -> None:
    """``n`` more budget lines, copies of the plan's first one with its amounts."""
    template = plan.lines.order_by("position").first()
    assert template is not None
    amounts = list(LineAmount.objects.filter(line=template))
    last = plan.lines.order_by("-position").values_list("position", flat=True).first() or 0
    for offset in range(1, n + 1):
        line = BudgetLine.objects.get(pk=template.pk)
        line.pk = None
        line.position = last + offset
        line.save()
        LineAmount.objects.bulk_create(
            [LineAmount(line=line, plan=plan, item=line.item, source=a.source, amount=a.amount) for a in amounts]
        )


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("extra_lines", [0, 30])
def test_the_councils_approval_keeps_its_budget_with_few_or_many_lines(demo, extra_lines):
    province = Plan.objects.get(cycle__year=2027, unit__code="12", unit__structure="two-tier", plan_type="annual")
    assert province.status == "council"
    add_lines(province, extra_lines)
    count, _ = queries(
        actor=User.objects.get(username=COUNCIL_SECRETARY),
        plan_id=province.pk,
        action="approve",
        fields={"resolution_number": f"{extra_lines + 1}/NQ-HĐND", "resolution_date": clock.today()},
    )
    print("approve with", extra_lines, "extra lines:", count)
    assert count <= BUDGET["approve"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_process_that_has_not_read_the_sources_pays_one_query_more(demo):
    warm, cold = drafts_of_district(2)
    (warm_count,) = submit_all([warm])
    planning_selectors.forget_sources()
    (cold_count,) = submit_all([cold])
    assert warm_count == BUDGET["submit"]
    assert cold_count == warm_count + 1

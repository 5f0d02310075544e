"""The benchmark's generator on a tiny scale (three provinces, two cycles): the rows it writes
are the rows the workflow engine would have written, so the real services work on them."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.common import SCALES, Progress
from bench.generate import STAFF, choose, generate, load_units

pytestmark = pytest.mark.postgres

TINY = SCALES["tiny"]
# Which plan status goes with the step of a plan's open task (workflows/routes.py ENTRY_STATUS).
STATUS_AT_STEP = {
    "draft": {"draft", "returned"},
    "review": {"submitted"},
    "appraisal": {"appraisal"},
    "council": {"council"},
    "report": {"approved"},
    "ministry": {"reported"},
    "issue": {"draft"},
}
FINISHED = {"accepted", "closed", "guidance_issued"}


@pytest.fixture
def tiny(db):
    lines: list[str] = []
    summary = generate(TINY, Progress(out=lines.append))
    return summary, lines


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_tiny_dataset_has_a_plan_per_unit_cycle_and_type_with_its_lines(tiny):
    from django.db.models import Q

    from directory.models import AdministrativeUnit

    summary, lines = tiny
    counts = summary.counts
    units = AdministrativeUnit.objects.filter(
        Q(tier="province", code__in=TINY.provinces) | Q(province__code__in=TINY.provinces), structure="three-tier"
    ).count()
    assert counts["units"] == units > 150
    plan_types = sum(1 + len(TINY.extra.get(year, ())) for year in TINY.years)
    assert counts["plans"] == units * plan_types
    assert counts["budget_lines"] == units * len(TINY.years) * TINY.lines_per_plan
    assert counts["line_amounts"] > counts["budget_lines"]  # one row per source with money
    assert counts["processes"] == counts["plans"]
    assert counts["notifications"] >= TINY.notifications
    assert any("real plan_act sample" in line for line in lines)


def test_line_amounts_are_positive_rows_of_the_sources_of_the_plans_period(tiny):
    summary, _lines = tiny
    ids = [summary.plan_ids]
    amounts = rows(
        "SELECT count(*), count(DISTINCT a.line_id), min(a.amount), "
        "count(*) FILTER (WHERE s.period_id <> c.period_id) FROM planning_lineamount a "
        "JOIN planning_budgetline l ON l.id = a.line_id JOIN planning_plan p ON p.id = l.plan_id "
        "JOIN planning_cycle c ON c.id = p.cycle_id JOIN planning_fundingsource s ON s.id = a.source_id "
        "WHERE p.id = ANY(%s)",
        ids,
    )[0]
    count, lines_with_money, smallest, foreign = amounts
    assert count == summary.counts["line_amounts"]
    assert lines_with_money == summary.counts["budget_lines"]  # every generated line has money
    assert smallest > 0 and foreign == 0
    # Every source of the period carries money somewhere: the draw covers the period's list.
    unused = rows(
        "SELECT c.year, s.code FROM planning_cycle c JOIN planning_fundingsource s ON s.period_id = c.period_id "
        "WHERE c.year = ANY(%s) AND c.structure = 'three-tier' AND NOT EXISTS (SELECT 1 FROM planning_lineamount a "
        "JOIN planning_budgetline l ON l.id = a.line_id JOIN planning_plan p ON p.id = l.plan_id "
        "WHERE p.cycle_id = c.id AND a.source_id = s.id)",
        [list(TINY.years)],
    )
    assert unused == []


def test_frozen_rounds_hold_what_the_real_snapshot_and_roll_up_give(tiny):
    """A generated round is what ``planning.services.snapshot`` would have frozen: the same
    lines (item, catalogue, texts, non-zero amounts) and the plan's roll-up totals."""
    from decimal import Decimal

    from planning import selectors, services
    from planning.models import Plan, PlanRound

    summary, _lines = tiny
    # The last round of annual plans of every tier (the real sample's
    # transitions froze some rounds too: those are the real service's, and must agree as well).
    last = {}
    for frozen in PlanRound.objects.filter(plan_id__in=summary.plan_ids, plan__plan_type="annual").order_by("number"):
        last[frozen.plan_id] = frozen
    plans = Plan.objects.filter(pk__in=list(last)).select_related("cycle__period", "unit")
    assert {plan.unit.tier for plan in plans} == {"commune", "district", "province"}
    # Every province and district plan, one commune plan in 40.
    upper = [plan for plan in plans.order_by("pk") if plan.unit.tier != "commune"]
    sample = upper + [plan for plan in plans.order_by("pk") if plan.unit.tier == "commune"][::40]
    assert len(sample) > 20
    for plan in sample:
        snapshot = last[plan.pk].snapshot
        assert snapshot["lines"] == services.snapshot_lines(plan), plan.pk
        for line in snapshot["lines"]:
            assert line["catalogue"] == plan.cycle.period.code and all(Decimal(v) > 0 for v in line["amounts"].values())
        sums = selectors.plan_totals(plan)
        flat = {key: value for key, value in sums.items() if not isinstance(value, dict)}
        assert {k: Decimal(v) for k, v in snapshot["totals"].items()} == flat, plan.pk
        assert set(snapshot["totals"]) == {s.code for s in selectors.plan_sources(plan)} | {"central", "total"}


def test_the_benchmark_roll_up_agrees_with_an_independent_sql_sum(tiny):
    from bench.run import sql_reference
    from planning import selectors
    from planning.models import LineAmount, Plan

    summary, _lines = tiny
    province = Plan.objects.get(
        unit=summary.choice.persona_province.id, cycle__year=TINY.current_year, plan_type="annual"
    )
    sources = selectors.plan_sources(province)
    national_plans = Plan.objects.filter(cycle=province.cycle, plan_type="annual").values("pk")
    national = selectors.totals(LineAmount.objects.filter(plan_id__in=national_plans), sources)
    reference = sql_reference(sources, national, "p.cycle_id = %s AND p.plan_type = 'annual'", [province.cycle_id])
    assert reference == {"matches": True, "sql_total": str(national["total"]), "differs": {}}
    assert national["total"] > 0 and set(national["by_project"])
    mine = selectors.plan_totals(province)
    where = "(p.id = %s OR (p.province_id = %s AND p.cycle_id = %s AND p.plan_type = 'annual'))"
    assert sql_reference(sources, mine, where, [province.pk, province.unit_id, province.cycle_id])["matches"]
    # The control: a roll-up that is off by one unit of money is caught.
    wrong = {**national, sources[0].code: national[sources[0].code] + 1}
    assert not sql_reference(sources, wrong, "p.cycle_id = %s AND p.plan_type = 'annual'", [province.cycle_id])[
        "matches"
    ]


def test_current_cycle_holds_every_state_and_history_is_closed(tiny):
    summary, _lines = tiny
    current = dict(
        rows(
            "SELECT p.status, count(*) FROM planning_plan p JOIN planning_cycle c ON c.id = p.cycle_id "
            "WHERE c.year = %s AND p.plan_type = 'annual' AND p.id = ANY(%s) GROUP BY 1",
            [TINY.current_year, summary.plan_ids],
        )
    )
    assert {"draft", "submitted", "returned", "accepted"} <= set(current)
    # The two smallest provinces were in appraisal and council; the real sample moved them on.
    assert {"council", "approved"} <= set(current)
    history = rows(
        "SELECT DISTINCT p.status FROM planning_plan p JOIN planning_cycle c ON c.id = p.cycle_id "
        "WHERE c.year < %s AND p.id = ANY(%s)",
        [TINY.current_year, summary.plan_ids],
    )
    assert {status for (status,) in history} <= FINISHED


def test_every_open_work_item_points_at_an_open_viewflow_task_of_its_process(tiny):
    summary, _lines = tiny
    ids = [summary.plan_ids]
    assert rows("SELECT count(*) FROM workflows_workitem WHERE is_open AND plan_id = ANY(%s)", ids)[0][0] > 100
    bad = rows(
        "SELECT w.id, t.status, t.flow_task_type, pr.status FROM workflows_workitem w "
        "JOIN viewflow_task t ON t.id = w.task_id JOIN viewflow_process pr ON pr.id = w.process_id "
        "WHERE w.is_open AND w.plan_id = ANY(%s) AND (t.status NOT IN ('NEW', 'ASSIGNED', 'STARTED') "
        "OR t.flow_task_type <> 'HUMAN' OR t.process_id <> w.process_id OR pr.status <> 'NEW')",
        ids,
    )
    assert bad == []
    orphans = rows(
        "SELECT t.id FROM viewflow_task t JOIN viewflow_process pr ON pr.id = t.process_id "
        "LEFT JOIN workflows_workitem w ON w.task_id = t.id AND w.is_open "
        "WHERE pr.artifact_object_id = ANY(%s) AND t.flow_task_type = 'HUMAN' "
        "AND t.status IN ('NEW', 'ASSIGNED', 'STARTED') AND w.id IS NULL",
        ids,
    )
    assert orphans == []
    closed = rows(
        "SELECT w.id FROM workflows_workitem w JOIN viewflow_task t ON t.id = w.task_id "
        "WHERE NOT w.is_open AND w.plan_id = ANY(%s) AND t.status NOT IN ('DONE', 'CANCELED')",
        ids,
    )
    assert closed == []


def test_plan_statuses_match_their_open_tasks_and_finished_plans_have_finished_processes(tiny):
    summary, _lines = tiny
    ids = [summary.plan_ids]
    open_steps = rows(
        "SELECT p.id, p.status, w.step, pr.data->>'step' FROM planning_plan p "
        "JOIN workflows_workitem w ON w.plan_id = p.id AND w.is_open "
        "JOIN viewflow_process pr ON pr.id = w.process_id WHERE p.id = ANY(%s)",
        ids,
    )
    assert open_steps
    for plan_id, status, step, process_step in open_steps:
        assert status in STATUS_AT_STEP[step], (plan_id, status, step)
        assert process_step == step, (plan_id, process_step, step)
    finished = rows(
        "SELECT p.status, pr.status, pr.finished IS NOT NULL FROM planning_plan p "
        "JOIN viewflow_process pr ON pr.artifact_object_id = p.id "
        "WHERE p.id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM workflows_workitem w WHERE w.plan_id = p.id AND w.is_open)",
        ids,
    )
    assert finished
    assert {(status in FINISHED, process, ended) for status, process, ended in finished} == {(True, "DONE", True)}


def test_task_chains_are_linked_from_start_to_the_open_or_final_task(tiny):
    summary, _lines = tiny
    ids = [summary.plan_ids]
    unlinked = rows(
        "SELECT t.id, t.flow_task_type FROM viewflow_task t JOIN viewflow_process pr ON pr.id = t.process_id "
        "WHERE pr.artifact_object_id = ANY(%s) AND t.flow_task_type <> 'START' AND NOT EXISTS "
        "(SELECT 1 FROM viewflow_task_previous l WHERE l.from_task_id = t.id)",
        ids,
    )
    assert unlinked == []
    joins = rows(
        "SELECT t.id, count(l.id) FROM viewflow_task t JOIN viewflow_task_previous l ON l.from_task_id = t.id "
        "JOIN viewflow_process pr ON pr.id = t.process_id "
        "WHERE pr.artifact_object_id = ANY(%s) AND t.flow_task_type = 'JOIN' GROUP BY t.id",
        ids,
    )
    assert joins and all(n == 2 for _id, n in joins)  # both appraisal lanes lead to the join


def test_real_services_accept_return_and_submit_generated_plans(tiny):
    from directory.models import User
    from planning.models import Plan
    from workflows import selectors, services

    summary, _lines = tiny
    reviewer = User.objects.get(username=summary.choice.usernames()["district_reviewer"])
    communes = Plan.objects.filter(cycle__year=TINY.current_year, district=summary.choice.persona_district.id)
    inbox = selectors.inbox(user=reviewer)
    reviews = [item for item in inbox if item.step == "review"]
    # Every submitted commune plan of the district (annual plans and reports) waits for its review.
    assert len(reviews) == communes.filter(status="submitted").count() > 2

    first, second = (item.plan_id for item in reviews[:2])
    assert services.plan_act(actor=reviewer, plan_id=first, action="accept")["status"] == "accepted"
    returned = services.plan_act(actor=reviewer, plan_id=second, action="return", comment="Bổ sung danh sách hộ")
    assert returned["status"] == "returned"

    draft = communes.filter(status="draft").select_related("unit").first()
    head = User.objects.get(username=f"t3-c{draft.unit.code}-ubnd-head")
    assert services.plan_act(actor=head, plan_id=draft.pk, action="submit")["status"] == "submitted"


def test_personas_are_chosen_the_same_way_by_the_generator_and_the_runner(tiny):
    summary, _lines = tiny
    again = choose(load_units(TINY.provinces))
    assert again.usernames() == summary.choice.usernames()
    assert ("district", "labour") in STAFF

"""The cycle calendar: defaults derived from one anchor by working days, the August cascade of
seed 004, a province's own dates, and the due date every new task gets from it."""

import datetime as dt

import pytest
from django.test import override_settings

from deadlines import milestones, services
from deadlines.models import MilestoneOverride
from deadlines.workdays import WorkingCalendar
from directory.models import AdministrativeUnit, Structure, User
from planning import services as planning
from planning.models import Cycle, Plan, PlanType
from tests.complete import complete
from tests.deadlines.conftest import at, local_day
from workflows import services as workflows
from workflows.models import WorkItem

D = dt.date


def by_key(plan_type: str, year: int, structure: str, **kwargs) -> dict[str, dt.date]:
    found = milestones.compute(
        plan_type=plan_type, year=year, structure=structure, calendar=WorkingCalendar(), **kwargs
    )
    return {m.key: m.due_on for m in found}


def test_every_step_of_every_route_has_a_default_milestone():
    for plan_type in PlanType.values:
        keys = {(m.tier, m.step) for m in milestones.specs(plan_type)}
        for tier in ("commune", "district", "province"):
            for step in milestones.route_steps(plan_type, tier):
                assert (tier, step) in keys, (plan_type, tier, step)
            assert milestones.route_steps(plan_type, tier), (plan_type, tier)


def test_a_province_override_names_a_step_of_the_route(demo):
    from django.core.exceptions import ValidationError

    override = MilestoneOverride(
        province=AdministrativeUnit.objects.get(structure=Structure.TWO_TIER, code="12"),
        cycle=Cycle.objects.get(year=2025),
        plan_type="annual",
        tier="commune",
        step="council",
        date=D(2025, 10, 1),
    )
    with pytest.raises(ValidationError, match="step"):
        override.full_clean()


def test_a_broken_calendar_file_is_refused():
    rows = [
        milestones.MilestoneSpec("a", "commune", "draft", "A", "A", before="b", working_days=1),
        milestones.MilestoneSpec("b", "province", "draft", "B", "B", after="a", working_days=1),
    ]
    with pytest.raises(milestones.CalendarDataError, match="cycle"):
        milestones._validate("test", rows)


def test_the_annual_chain_runs_back_from_the_council_session_before_10_december():
    calendar = WorkingCalendar()
    dates = by_key("annual", 2025, Structure.THREE_TIER)
    assert dates["council"] == D(2025, 12, 9)  # strictly before Wednesday 10/12
    assert dates["appraisal"] == calendar.add_working_days(D(2025, 12, 9), -15)
    assert dates["province_submission"] == calendar.add_working_days(dates["appraisal"], -15)
    assert dates["district_review"] == calendar.add_working_days(dates["province_submission"], -10)
    assert dates["district_submission"] == calendar.add_working_days(dates["district_review"], -10)
    assert dates["commune_review"] == calendar.add_working_days(dates["district_submission"], -10)
    assert dates["commune_submission"] == calendar.add_working_days(dates["commune_review"], -10)
    assert dates["ministry_report"] == calendar.add_working_days(dates["council"], 10)
    assert list(dates.values()) == sorted(dates.values())


def test_the_two_tier_chain_skips_the_missing_district_level():
    calendar = WorkingCalendar()
    dates = by_key("annual", 2025, Structure.TWO_TIER)
    assert "district_submission" not in dates and "district_review" not in dates
    assert dates["commune_review"] == calendar.add_working_days(dates["province_submission"], -10)


def test_the_household_review_cascade_of_seed_004():
    assert by_key("household_review", 2019, Structure.THREE_TIER) == {
        "province_guidance": D(2019, 8, 14),  # before 15/8
        "district_plan": D(2019, 8, 19),  # before 20/8
        "commune_plan": D(2019, 8, 29),  # before 30/8
        "commune_review": D(2019, 9, 6),  # five working days later (2/9 is National Day)
    }


def test_a_province_override_moves_the_milestones_counted_from_it():
    calendar = WorkingCalendar()
    overrides = {("province", "council"): (D(2025, 12, 5), "before")}
    dates = by_key("annual", 2025, Structure.TWO_TIER, overrides=overrides)
    assert dates["council"] == D(2025, 12, 4)
    assert dates["appraisal"] == calendar.add_working_days(D(2025, 12, 4), -15)
    assert dates["ministry_report"] == calendar.add_working_days(D(2025, 12, 4), 10)


# --- due dates of real tasks ---------------------------------------------------------------------


def test_every_open_task_of_the_demo_has_a_due_date(household_2026):
    assert WorkItem.objects.filter(is_open=True).count() > 20
    assert not WorkItem.objects.filter(is_open=True, due_at__isnull=True).exists()


def test_the_due_moment_is_the_end_of_the_last_day(household_2026):
    commune = WorkItem.objects.get(plan=household_2026["03394"], is_open=True)
    assert commune.due_at == at(2026, 8, 28, 23, 59).replace(second=59)


def test_august_cascade_tasks_are_due_strictly_before_15_20_and_30_august(demo, time_machine):
    time_machine.move_to(at(2019, 8, 1), tick=False)
    cycle = planning.cycle_ensure(year=2019, structure=Structure.THREE_TIER)
    three = AdministrativeUnit.objects.filter(structure=Structure.THREE_TIER)
    due = {}
    for code, username in (
        ("12", "t3-p12-labour-head"),
        ("109", "t3-d109-labour-head"),
        ("03592", "t3-c03592-ubnd-head"),
    ):
        plan = workflows.plan_open(
            actor=User.objects.get(username=username),
            cycle=cycle,
            unit=three.get(code=code),
            plan_type=PlanType.HOUSEHOLD_REVIEW,
        )
        item = WorkItem.objects.get(plan=plan, is_open=True)
        due[code] = (item.step, local_day(item.due_at))
    assert due == {
        "12": ("issue", D(2019, 8, 14)),
        "109": ("issue", D(2019, 8, 19)),
        "03592": ("draft", D(2019, 8, 29)),
    }


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("previous", D(2026, 8, 28)), ("next", D(2026, 9, 3)), ("stay", D(2026, 8, 29))],
)
def test_a_commune_deadline_falling_on_a_weekend_follows_the_setting(household_2026, rule, expected):
    """Before 30/8/2026: the last day is Saturday 29/8; the setting decides where it goes."""
    commune = household_2026["03394"]
    with override_settings(DEADLINES_DAY_OFF_RULE=rule):
        assert local_day(services.due_for(plan=commune, step="draft")) == expected


def test_a_plan_returned_after_its_deadline_gets_working_days_counted_across_tet_2027(demo, time_machine):
    """The 2023 commune plan is returned on Thursday 28/1/2027, long after its milestone: the
    redo gets five working days, and Tết (4-10/2/2027) does not count."""
    time_machine.move_to(at(2027, 1, 28), tick=False)
    plan = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023, plan_type="annual")
    plan = complete(plan)
    workflows.plan_act(actor=User.objects.get(username="t3-c03592-ubnd-head"), plan_id=plan.pk, action="submit")
    review = WorkItem.objects.get(plan=plan, is_open=True)
    assert review.step == "review"
    assert local_day(review.due_at) == D(2027, 2, 1)  # two working days: Friday 29/1, Monday 1/2
    workflows.plan_act(
        actor=User.objects.get(username="t3-d109-labour-head"), plan_id=plan.pk, action="return", comment="Bổ sung"
    )
    redo = WorkItem.objects.get(plan=plan, is_open=True)
    assert redo.step == "draft"
    assert local_day(redo.due_at) == D(2027, 2, 11)


def test_a_province_override_set_in_the_admin_redates_open_tasks(demo, admin_user):
    cycle = Cycle.objects.get(year=2025, structure=Structure.TWO_TIER)
    province = AdministrativeUnit.objects.get(structure=Structure.TWO_TIER, code="12")
    commune_item = WorkItem.objects.filter(
        plan__cycle=cycle, plan__unit__tier="commune", plan__plan_type="annual", is_open=True
    ).first()
    before = local_day(commune_item.due_at)
    services.milestone_override_save(
        actor=admin_user,
        override=MilestoneOverride(
            province=province,
            cycle=cycle,
            plan_type="annual",
            tier="commune",
            step="draft",
            date=D(2025, 10, 20),
            rule="by",
        ),
    )
    commune_item.refresh_from_db()
    assert before != D(2025, 10, 20)
    assert local_day(commune_item.due_at) == D(2025, 10, 20)
    # A three-tier commune in another world is untouched.
    other = WorkItem.objects.filter(plan__unit__structure="three-tier", plan__unit__tier="commune", is_open=True)
    assert all(local_day(i.due_at) != D(2025, 10, 20) for i in other)


def test_a_day_off_entered_in_the_admin_moves_open_deadlines(household_2026, client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/deadlines/calendarday/add/",
        {"date": "2026-08-28", "kind": "day_off", "name": "Nghỉ đột xuất (ví dụ)"},
    )
    assert response.status_code == 302
    commune = WorkItem.objects.get(plan=household_2026["03394"], is_open=True)
    assert local_day(commune.due_at) == D(2026, 8, 27)  # 29/8 Saturday → previous working day
    for page in ("calendarday", "milestoneoverride", "deadlineextension", "deadlinetimer", "reminderledgerentry"):
        assert client.get(f"/admin/deadlines/{page}/").status_code == 200


def test_from_2026_the_annual_council_is_anchored_in_the_year_before():
    """The 2027 plans are approved by the provincial council before 10/12/2026 (the budget law);
    the 2021-2025 cycles keep the seeds' convention."""
    calendar = WorkingCalendar()
    found_2027 = milestones.find(
        milestones.compute(plan_type="annual", year=2027, structure="two-tier", calendar=calendar),
        "province",
        "council",
    )
    found_2023 = milestones.find(
        milestones.compute(plan_type="annual", year=2023, structure="three-tier", calendar=calendar),
        "province",
        "council",
    )
    assert found_2027.written == dt.date(2026, 12, 10)
    assert found_2027.due_on == dt.date(2026, 12, 9)  # "trước ngày 10/12": a Wednesday, the day before
    assert found_2023.written == dt.date(2023, 12, 10)

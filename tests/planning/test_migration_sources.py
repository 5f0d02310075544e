"""The move from four amount columns to funding sources per period keeps every figure: an
installation with lines, an envelope and a frozen round on the old schema is migrated, and its
totals, ceilings and round snapshot read the same through the new model."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("planning", "0002_rollup_covering_index")]
AFTER = [("planning", "0005_drop_amount_columns")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_columns_become_amount_rows_and_rounds_keep_their_meaning():
    old = _migrate(BEFORE)
    User = old.get_model("directory", "User")
    Unit = old.get_model("directory", "AdministrativeUnit")
    Period = old.get_model("planning", "ProgrammePeriod")
    Item = old.get_model("planning", "CatalogueItem")
    Cycle = old.get_model("planning", "Cycle")
    Plan = old.get_model("planning", "Plan")
    Line = old.get_model("planning", "BudgetLine")
    Envelope = old.get_model("planning", "Envelope")
    Round = old.get_model("planning", "PlanRound")

    user = User.objects.create(username="migration-test")
    province = Unit.objects.create(structure="three-tier", tier="province", code="T91", name="Tỉnh A")
    commune = Unit.objects.create(
        structure="three-tier", tier="commune", code="T9999", name="Xã B", parent=province, province=province
    )
    period = Period.objects.create(code="2091-2095", title_vi="GNBV", first_year=2091, last_year=2095)
    project = Item.objects.create(period=period, code="3", title_vi="Dự án 3", lead_agency_kind="agriculture")
    leaf = Item.objects.create(
        period=period, code="3.1", parent=project, title_vi="TDA 1", lead_agency_kind="agriculture"
    )
    cycle = Cycle.objects.create(year=2093, period=period, structure="three-tier", name="2093")
    parent = Plan.objects.create(cycle=cycle, unit=province, plan_type="annual", created_by=user, province=province)
    plan = Plan.objects.create(
        cycle=cycle, unit=commune, plan_type="annual", parent=parent, created_by=user, province=province
    )
    Line.objects.create(plan=plan, position=0, item=leaf, central_investment=Decimal("45500"), local=Decimal("12.5"))
    Line.objects.create(plan=plan, position=1, item=leaf, central_recurrent=Decimal("4550.125"), other=Decimal("0"))
    Envelope.objects.create(parent=parent, child=plan, central_recurrent=Decimal("4000"), local=None)
    Round.objects.create(
        plan=plan,
        number=1,
        created_by=user,
        snapshot={
            "header": {},
            "lines": [
                {
                    "item": "3.1",
                    "content": "",
                    "central_investment": "45500.000",
                    "central_recurrent": "0.000",
                    "local": "12.500",
                    "other": "0.000",
                },
            ],
            "indicators": [],
            "households": [],
            "totals": {"total": "45512.500"},
        },
    )

    new = _migrate(AFTER)
    Amount = new.get_model("planning", "LineAmount")
    Ceiling = new.get_model("planning", "EnvelopeCeiling")
    Source = new.get_model("planning", "FundingSource")
    NewRound = new.get_model("planning", "PlanRound")

    assert list(
        Source.objects.filter(period__code="2091-2095").order_by("position").values_list("code", flat=True)
    ) == [
        "central_investment",
        "central_recurrent",
        "local",
        "other",
    ]
    stored = sorted(
        Amount.objects.filter(plan_id=plan.pk).values_list(
            "line__position", "source__code", "amount", "plan_id", "item_id"
        )
    )
    assert stored == [
        (0, "central_investment", Decimal("45500.000"), plan.pk, leaf.pk),
        (0, "local", Decimal("12.500"), plan.pk, leaf.pk),
        (1, "central_recurrent", Decimal("4550.125"), plan.pk, leaf.pk),
    ]  # zeros are not stored
    assert list(Ceiling.objects.filter(envelope__child_id=plan.pk).values_list("source__code", "amount")) == [
        ("central_recurrent", Decimal("4000.000"))
    ]
    line = NewRound.objects.get(plan_id=plan.pk).snapshot["lines"][0]
    assert line["amounts"] == {"central_investment": "45500.000", "local": "12.500"}
    assert line["catalogue"] == "2091-2095"
    assert "central_investment" not in line
    _migrate([("planning", "0002_rollup_covering_index")])  # and back: the columns come back filled
    back = _migrate(BEFORE).get_model("planning", "BudgetLine")
    assert sorted(
        back.objects.filter(plan_id=plan.pk).values_list("position", "central_investment", "central_recurrent", "local")
    ) == [
        (0, Decimal("45500.000"), Decimal("0.000"), Decimal("12.500")),
        (1, Decimal("0.000"), Decimal("4550.125"), Decimal("0.000")),
    ]
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

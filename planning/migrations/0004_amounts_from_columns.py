"""Copy the four amount columns into LineAmount / EnvelopeCeiling rows and rewrite frozen round
snapshots to the new line shape (see 0003)."""

from django.db import migrations

OLD_COLUMNS = ("central_investment", "central_recurrent", "local", "other")
OLD_SOURCES = {
    "central_investment": ("Ngân sách trung ương - vốn đầu tư phát triển", "NSTW - ĐTPT", "central"),
    "central_recurrent": ("Ngân sách trung ương - vốn sự nghiệp", "NSTW - SN", "central"),
    "local": ("Ngân sách địa phương (đối ứng)", "NSĐP", "local"),
    "other": ("Vốn huy động hợp pháp khác", "Huy động khác", "other"),
}


def columns_to_rows(apps, schema_editor):
    Period = apps.get_model("planning", "ProgrammePeriod")
    Source = apps.get_model("planning", "FundingSource")
    Line = apps.get_model("planning", "BudgetLine")
    Amount = apps.get_model("planning", "LineAmount")
    Envelope = apps.get_model("planning", "Envelope")
    Ceiling = apps.get_model("planning", "EnvelopeCeiling")
    Round = apps.get_model("planning", "PlanRound")
    Item = apps.get_model("planning", "CatalogueItem")
    sources = {}
    for period in Period.objects.all():
        for position, code in enumerate(OLD_COLUMNS):
            title, short, group = OLD_SOURCES[code]
            sources[(period.pk, code)], _created = Source.objects.get_or_create(
                period=period,
                code=code,
                defaults={"title_vi": title, "short_vi": short, "group": group, "position": position},
            )
    Item.objects.filter(parent__isnull=True).update(kind="project")
    Item.objects.filter(parent__isnull=False).update(kind="sub_project")
    batch = []
    lines = Line.objects.select_related("plan__cycle").only(
        "pk", "item_id", "plan_id", "plan__cycle__period_id", *OLD_COLUMNS
    )
    for line in lines.iterator(chunk_size=2000):
        for code in OLD_COLUMNS:
            value = getattr(line, code)
            if value:
                batch.append(
                    Amount(
                        line_id=line.pk,
                        plan_id=line.plan_id,
                        item_id=line.item_id,
                        source=sources[(line.plan.cycle.period_id, code)],
                        amount=value,
                    )
                )
        if len(batch) >= 5000:
            Amount.objects.bulk_create(batch)
            batch = []
    Amount.objects.bulk_create(batch)
    for envelope in Envelope.objects.select_related("child__cycle"):
        Ceiling.objects.bulk_create(
            Ceiling(
                envelope=envelope,
                source=sources[(envelope.child.cycle.period_id, code)],
                amount=getattr(envelope, code),
            )
            for code in OLD_COLUMNS
            if getattr(envelope, code) is not None
        )
    # Frozen rounds keep their meaning; only the line shape changes (rounds are immutable in
    # the application, which is why this is a queryset update).
    for frozen in Round.objects.select_related("plan__cycle__period").iterator(chunk_size=500):
        snapshot = frozen.snapshot
        changed = False
        for line in snapshot.get("lines", []):
            if "amounts" not in line:
                amounts = {code: line.pop(code) for code in OLD_COLUMNS if code in line}
                line["amounts"] = {code: value for code, value in amounts.items() if value and float(value)}
                line.setdefault("catalogue", frozen.plan.cycle.period.code)
                changed = True
        if changed:
            Round.objects.filter(pk=frozen.pk).update(snapshot=snapshot)


def rows_to_columns(apps, schema_editor):
    Line = apps.get_model("planning", "BudgetLine")
    Amount = apps.get_model("planning", "LineAmount")
    Envelope = apps.get_model("planning", "Envelope")
    Ceiling = apps.get_model("planning", "EnvelopeCeiling")
    for amount in Amount.objects.select_related("source").filter(source__code__in=OLD_COLUMNS):
        Line.objects.filter(pk=amount.line_id).update(**{amount.source.code: amount.amount})
    for ceiling in Ceiling.objects.select_related("source").filter(source__code__in=OLD_COLUMNS):
        Envelope.objects.filter(pk=ceiling.envelope_id).update(**{ceiling.source.code: ceiling.amount})


class Migration(migrations.Migration):
    dependencies = [("planning", "0003_funding_sources_per_period")]

    operations = [migrations.RunPython(columns_to_rows, rows_to_columns)]

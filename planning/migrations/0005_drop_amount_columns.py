"""Drop the four amount columns of budget lines and envelopes (their data is in LineAmount and
EnvelopeCeiling since 0004)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("planning", "0004_amounts_from_columns")]

    operations = [
        migrations.RemoveConstraint(
            model_name="budgetline",
            name="budget_line_amounts_not_negative",
        ),
        migrations.RemoveIndex(
            model_name="budgetline",
            name="budget_line_rollup",
        ),
        migrations.RemoveField(
            model_name="budgetline",
            name="central_investment",
        ),
        migrations.RemoveField(
            model_name="budgetline",
            name="central_recurrent",
        ),
        migrations.RemoveField(
            model_name="budgetline",
            name="local",
        ),
        migrations.RemoveField(
            model_name="budgetline",
            name="other",
        ),
        migrations.RemoveField(
            model_name="envelope",
            name="central_investment",
        ),
        migrations.RemoveField(
            model_name="envelope",
            name="central_recurrent",
        ),
        migrations.RemoveField(
            model_name="envelope",
            name="local",
        ),
        migrations.RemoveField(
            model_name="envelope",
            name="other",
        ),
    ]

"""The ledger's work-item index goes: reminder_ledger_unique (work item, threshold) starts with the
same column.

Only the index is dropped (see notifications 0002: AlterField would re-add the foreign key and
check every row again).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0002_timer_due_index"),
        ("workflows", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reminderledgerentry",
                    name="work_item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reminders",
                        to="workflows.workitem",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "deadlines_reminderledgerentry_work_item_id_1ca21ede"',
                    reverse_sql='CREATE INDEX "deadlines_reminderledgerentry_work_item_id_1ca21ede" '
                    'ON "deadlines_reminderledgerentry" ("work_item_id")',
                ),
            ],
        ),
    ]

"""The sweep's claim reads due timers in (next_fire_at, id) order straight from the index.

The old index had next_fire_at alone: with the claim's ORDER BY next_fire_at, id, PostgreSQL
joined and sorted every timer due at the same moment before taking a batch of them, for every
batch (a cost growing with the square of the number due). The table holds one row per open
task, so building the index is quick.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="deadlinetimer", name="deadline_timer_due"),
        migrations.AddIndex(
            model_name="deadlinetimer",
            index=models.Index(
                condition=models.Q(("next_fire_at__isnull", False)),
                fields=["next_fire_at", "id"],
                name="deadline_timer_due_id",
            ),
        ),
    ]

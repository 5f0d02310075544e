"""A chain cannot fork (one successor per event), and on PostgreSQL TRUNCATE of the audit table
is refused too (a statement-level trigger; UPDATE and DELETE are refused since 0003).

The TRUNCATE trigger also fires for ``TRUNCATE planning_plan CASCADE``, which would reach the
audit table. ``manage.py flush`` (and so the test runner's flush between transactional tests)
passes only as a superuser; see approvals/management/commands/flush.py.
"""

from django.db import migrations, models

TRIGGER = """
CREATE TRIGGER approvals_audit_no_truncate
BEFORE TRUNCATE ON approvals_auditevent
FOR EACH STATEMENT EXECUTE FUNCTION approvals_audit_append_only();
"""
DROP = "DROP TRIGGER IF EXISTS approvals_audit_no_truncate ON approvals_auditevent;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0005_audit_chain_fill")]
    operations = [
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=~models.Q(chain_hash=""), fields=("plan", "prev_hash"), name="audit_chain_one_successor"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]

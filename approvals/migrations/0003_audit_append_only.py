"""On PostgreSQL the audit table refuses UPDATE and DELETE, whatever the code does."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION approvals_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'approvals_auditevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER approvals_audit_append_only
BEFORE UPDATE OR DELETE ON approvals_auditevent
FOR EACH ROW EXECUTE FUNCTION approvals_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS approvals_audit_append_only ON approvals_auditevent;
DROP FUNCTION IF EXISTS approvals_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

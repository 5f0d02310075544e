"""Chain the events written before the chain existed: per plan, in id order.

The append-only trigger is switched off for this one transaction (the migration runs as the
table's owner) and on again before it commits. Only rows without a hash are written; a plan
whose chain is already (partly) there continues from its last hashed event. It uses
``approvals.chain.digest``, the one definition of the hash: its "audit-v1" form never changes
once events carry it (a new form gets a new prefix), so this migration gives today's result.
"""

from django.db import migrations

from approvals import chain

TRIGGER = "approvals_audit_append_only"
BATCH = 2000


def fill(apps, schema_editor):
    AuditEvent = apps.get_model("approvals", "AuditEvent")
    postgres = schema_editor.connection.vendor == "postgresql"
    if not AuditEvent.objects.filter(chain_hash="").exists():
        return
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            # Deferred foreign-key checks queued earlier in this transaction would make the ALTER
            # fail ("pending trigger events"): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE approvals_auditevent DISABLE TRIGGER {TRIGGER}")
        try:
            _fill(AuditEvent)
        finally:
            if postgres:
                cursor.execute(f"ALTER TABLE approvals_auditevent ENABLE TRIGGER {TRIGGER}")


def _fill(AuditEvent):
    plan_ids = list(
        AuditEvent.objects.filter(chain_hash="").values_list("plan_id", flat=True).distinct().order_by("plan_id")
    )
    pending = []
    for plan_id in plan_ids:
        previous = ""
        for event in AuditEvent.objects.filter(plan_id=plan_id).order_by("id"):
            if event.chain_hash:
                previous = event.chain_hash
                continue
            content = {name: getattr(event, name) for name in chain.CONTENT_FIELDS}
            event.prev_hash = previous
            event.chain_hash = previous = chain.digest(content, previous)
            pending.append(event)
            if len(pending) >= BATCH:
                AuditEvent.objects.bulk_update(pending, ["prev_hash", "chain_hash"])
                pending = []
    if pending:
        AuditEvent.objects.bulk_update(pending, ["prev_hash", "chain_hash"])


class Migration(migrations.Migration):
    dependencies = [("approvals", "0004_audit_chain_fields")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

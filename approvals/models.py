"""Decisions on plans: the append-only audit trail, council resolutions, idempotency records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Agency
from planning.models import Plan


class AuditEvent(models.Model):
    """One row per state change of a plan. Append-only: on PostgreSQL triggers refuse UPDATE,
    DELETE (migration 0003) and TRUNCATE (0006); elsewhere the model refuses to save an existing
    row.

    Tamper-evident: each event carries ``chain_hash``, a SHA-256 over its content and the hash
    of the plan's previous event (``prev_hash``; see ``approvals.chain``), and
    ``manage.py audit_verify`` names the first broken link. The chain is **per plan**, not
    global: every audit insert already runs under the plan's row lock (``plan_act`` for route
    and side actions, ``deadline_extend`` for extensions), which orders one plan's events, so
    reading the plan's last hash costs one indexed query and contends with nobody. A global
    chain would need one "last hash" row that every transition of every plan in the country
    locks until commit: one queue for all provinces. The partial unique constraint on
    (plan, prev_hash) keeps a chain linear even for a caller that forgot the lock (the second
    insert fails instead of forking the chain).

    What the chain does not show on its own: events removed from the end of a chain (the
    triggers refuse that), or a whole chain recomputed by someone who can write the table and
    run this code; the owner role must stay out of the application's hands (deploy/).
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The officer the actor stood in for under a delegation ("KT."), if any.
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(_("thao tác"), max_length=32)
    step = models.CharField(_("bước"), max_length=32, blank=True)
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32)
    comment = models.TextField(_("ý kiến"), blank=True)
    round_number = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict, blank=True, help_text=_("Ý kiến theo dòng, số nghị quyết, …"))
    request_id = models.CharField(max_length=64, blank=True)
    # Set by the service before the insert (not auto_now_add): the hash covers it.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("nhật ký")
        verbose_name_plural = _("nhật ký")
        ordering = ["plan", "id"]
        indexes = [
            # The history page of one plan, newest last; the plan's last hash (audit_record).
            models.Index(fields=["plan", "id"], name="audit_plan_id"),
        ]
        constraints = [
            # One successor per event: a chain cannot fork. Rows without a hash (written by
            # something other than audit_record, e.g. the benchmark's bulk loader) are left out.
            models.UniqueConstraint(
                fields=["plan", "prev_hash"], condition=~Q(chain_hash=""), name="audit_chain_one_successor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class Resolution(models.Model):
    """The People's Council resolution that approved a plan (number and date are required)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="resolutions")
    number = models.CharField(_("số nghị quyết"), max_length=64)
    date = models.DateField(_("ngày nghị quyết"))
    round_number = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nghị quyết HĐND")
        verbose_name_plural = _("nghị quyết HĐND")
        ordering = ["plan", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.number} ({self.date:%d/%m/%Y})"


class IdempotencyRecord(models.Model):
    """The answer given to an action carrying an idempotency key, replayed on a retry."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=32)
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "key"], name="idempotency_unique_actor_key")]
        indexes = [
            # The purge job: records older than IDEMPOTENCY_KEEP_HOURS.
            models.Index(fields=["created_at"], name="idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id}:{self.key}"

"""Deadlines: the calendar's data, extensions, the armed reminder timers and the reminder ledger.

* ``CalendarDay``: days off and swapped working days an administrator adds to Vietnam's public
  holidays (which come from the ``holidays`` package).
* ``MilestoneOverride``: a province's own date for one milestone of a cycle.
* ``DeadlineExtension``: one unit's (one plan's) new deadline for a step, with the reason.
  Append-only; the latest row per (plan, step) is in force. Each row is also in the plan's
  audit trail (``approvals.AuditEvent``, action ``extend_deadline``).
* ``DeadlineTimer``: the armed reminders of one open ``WorkItem``: when the next threshold
  is due. The sweep claims due timers with ``FOR UPDATE SKIP LOCKED``.
* ``ReminderLedgerEntry``: one row per (work item, threshold) written before the notification,
  in the same transaction; its unique key is what makes a reminder go out once.
* ``ClockOffset``: the demo clock (a singleton row; refused in production).

Rule: only ``deadlines.services`` writes these tables (the admin goes through it too).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.models import AdministrativeUnit, Agency, Tier
from planning.models import Cycle, Plan, PlanType
from workflows.models import WorkItem


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ")
        WORKING_DAY = "working_day", _("Ngày làm việc (làm bù)")

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    name = models.CharField(
        _("tên"), max_length=200, help_text=_("Ví dụ “Nghỉ bù Quốc khánh” hoặc “Làm bù cho ngày 02/01”.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ngày nghỉ, ngày làm bù")
        verbose_name_plural = _("ngày nghỉ, ngày làm bù")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}: {self.name}"


class DeadlineRule(models.TextChoices):
    BEFORE = "before", _("Trước ngày (không kể ngày đó)")
    BY = "by", _("Đến hết ngày")


class MilestoneOverride(models.Model):
    """A province's own deadline for one milestone of a cycle (replaces the derived default;
    milestones counted from it move too)."""

    province = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"tier": Tier.PROVINCE},
        verbose_name=_("tỉnh"),
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+", verbose_name=_("chu kỳ"))
    plan_type = models.CharField(_("loại kế hoạch"), max_length=32, choices=PlanType.choices)
    tier = models.CharField(_("cấp"), max_length=16, choices=[c for c in Tier.choices if c[0] != Tier.NATION])
    step = models.CharField(_("bước"), max_length=32)
    date = models.DateField(_("ngày"))
    rule = models.CharField(_("cách tính"), max_length=8, choices=DeadlineRule.choices, default=DeadlineRule.BEFORE)
    note = models.CharField(_("căn cứ"), max_length=255, blank=True, help_text=_("Văn bản quy định mốc này."))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mốc thời hạn của tỉnh")
        verbose_name_plural = _("mốc thời hạn của tỉnh")
        constraints = [
            # Also the index of overrides_for(province, cycle, plan_type): its leading columns.
            models.UniqueConstraint(
                fields=["province", "cycle", "plan_type", "tier", "step"], name="milestone_override_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.cycle.year} {self.plan_type} {self.tier}/{self.step}: {self.date:%d/%m/%Y}"

    def clean(self) -> None:
        from deadlines.milestones import route_steps

        if self.step not in route_steps(self.plan_type, self.tier):
            raise ValidationError({"step": _("Cấp này không có bước đó trong tuyến của loại kế hoạch.")})


class DeadlineExtension(models.Model):
    """One unit's deadline for a step moved later, by an authorised officer, with a reason."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="deadline_extensions")
    step = models.CharField(_("bước"), max_length=32)
    due_on = models.DateField(_("hạn mới (hết ngày)"))
    previous_due_on = models.DateField(_("hạn cũ"), null=True, blank=True)
    reason = models.TextField(_("lý do"))
    extended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    audit_event_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("gia hạn")
        verbose_name_plural = _("gia hạn")
        ordering = ["plan", "step", "id"]
        indexes = [
            # The extension in force for (plan, step): the latest row; also the dashboard's
            # "extensions of these plans" (plan IN …).
            models.Index(fields=["plan", "step", "id"], name="deadline_ext_plan_step"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.step} → {self.due_on:%d/%m/%Y}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Deadline extensions are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Deadline extensions are append-only.")


class DeadlineTimer(models.Model):
    """The armed reminders of one open work item: the next threshold and when it is due.

    Computed from ``due_at`` and the working calendar; recomputed whenever the deadline moves,
    so an extension moves every reminder not yet sent.
    """

    work_item = models.OneToOneField(WorkItem, on_delete=models.CASCADE, related_name="deadline_timer")
    # The deadline the schedule was computed for (the work item's due_at at that time).
    due_at = models.DateTimeField()
    # Thresholds at or before this moment had passed before the task existed: not sent.
    armed_from = models.DateTimeField(null=True, blank=True)
    next_fire_at = models.DateTimeField(null=True, blank=True)
    next_threshold = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hẹn giờ nhắc hạn")
        verbose_name_plural = _("hẹn giờ nhắc hạn")
        indexes = [
            # The sweep: WHERE next_fire_at <= now ORDER BY next_fire_at, id FOR UPDATE SKIP
            # LOCKED LIMIT n. Both sort keys, so each batch reads its n rows in index order and
            # stops: on next_fire_at alone, timers due at the same moment (most of a busy
            # morning's) were all joined and sorted for every batch, a cost growing with the
            # square of the number due. Partial: disarmed timers (NULL) are not indexed.
            models.Index(
                fields=["next_fire_at", "id"], condition=Q(next_fire_at__isnull=False), name="deadline_timer_due_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_item_id}: {self.next_threshold or '—'} @ {self.next_fire_at}"


class Audience(models.TextChoices):
    ACTORS = "actors", _("Người xử lý")
    HEAD = "head", _("Lãnh đạo cơ quan")
    PARENT = "parent", _("Cấp trên")


class ReminderLedgerEntry(models.Model):
    """A reminder or escalation that went out: (work item, threshold) at most once, ever."""

    # No index of its own: reminder_ledger_unique (work item, threshold) starts with it.
    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="reminders", db_index=False)
    threshold = models.CharField(_("mốc nhắc"), max_length=32)
    kind = models.CharField(_("loại"), max_length=16)
    audience = models.CharField(_("người nhận"), max_length=16, choices=Audience.choices)
    # The threshold's nominal time and the deadline it was computed for.
    fire_at = models.DateTimeField()
    due_at = models.DateTimeField()
    # The application clock when the sweep sent it.
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("nhật ký nhắc hạn")
        verbose_name_plural = _("nhật ký nhắc hạn")
        ordering = ["work_item", "fire_at"]
        constraints = [
            # The ledger's key: a second sweep (another worker, a retry, a crash replay) cannot
            # insert the same threshold again; it is also the index of "thresholds already sent
            # for these work items" (work_item_id IN …).
            models.UniqueConstraint(fields=["work_item", "threshold"], name="reminder_ledger_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.work_item_id}:{self.threshold}"


class ClockOffset(models.Model):
    """The demo clock: the application's now is the real now plus ``offset``."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    offset = models.DurationField()
    set_at = models.DateTimeField(auto_now=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("đồng hồ demo")
        verbose_name_plural = _("đồng hồ demo")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="clock_offset_singleton")]

    def __str__(self) -> str:
        return str(self.offset)

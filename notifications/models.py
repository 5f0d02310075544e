"""The notification outbox and each officer's e-mail preference.

A ``Notification`` row is written inside the transaction of the event it reports, so it exists
exactly when the event does. Delivery happens after commit and is recorded on the row itself:
``pushed_at`` (handed to the channel layer) and ``emailed_at`` (e-mail handling finished; see
``email_outcome``). A row still NULL in either column is retried by a scheduled job, so Redis,
the broker or SMTP being down delays a notification but never loses it.

Ids come from a BigAutoField and only grow: clients use the last id they saw as a cursor.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    TASK = "task", _("Việc cần xử lý")
    RETURNED = "returned", _("Bị trả lại")
    ACCEPTED = "accepted", _("Đã tiếp nhận")
    APPROVED = "approved", _("Đã phê duyệt")
    ACKNOWLEDGED = "acknowledged", _("Đã ghi nhận")
    REMINDER = "reminder", _("Nhắc hạn")
    ESCALATION = "escalation", _("Quá hạn, báo cấp trên")
    COMMENT = "comment", _("Ý kiến")
    INFO = "info", _("Thông tin")


class EmailOutcome(models.TextChoices):
    """How e-mail handling of a notification ended (``emailed_at`` says when)."""

    SENT = "sent", _("Đã gửi")
    DIGEST = "digest", _("Đã gửi trong thư tổng hợp")
    OFF = "off", _("Không gửi (người nhận tắt thư)")
    NO_ADDRESS = "no_address", _("Không gửi (không có địa chỉ thư)")
    INACTIVE = "inactive", _("Không gửi (tài khoản ngừng hoạt động)")
    FAILED = "failed", _("Gửi không thành công")


class Notification(models.Model):
    id = models.BigAutoField(primary_key=True)
    # No index of its own: notif_recipient_id (recipient, id) starts with it and serves the same
    # lookups; one index less to maintain on every insert (the sweep writes thousands at once).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("người nhận"),
        db_index=False,
    )
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    # SET_NULL: the text already names the plan, so the notice stays readable if a draft is deleted.
    plan = models.ForeignKey(
        "planning.Plan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("kế hoạch")
    )
    link = models.CharField(_("liên kết"), max_length=500, help_text=_("Đường dẫn trong trang, bắt đầu bằng “/”."))
    text_vi = models.TextField(_("nội dung (tiếng Việt)"))
    text_en = models.TextField(_("nội dung (tiếng Anh)"), blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    # The audit event that caused the notification; a plain integer so the outbox does not depend
    # on the approvals app's tables (and survives any change of how events are stored).
    event_id = models.BigIntegerField(null=True, blank=True)
    # Unique per recipient when set: reminders use it so a job run twice notifies once.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # NULL: no key

    # Delivery bookkeeping (outbox).
    pushed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_outcome = models.CharField(max_length=16, choices=EmailOutcome.choices, blank=True)
    # A deliverer owns the row while it holds the token and the claim is fresh (see services).
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_claim_token = models.UUIDField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-id"]
        constraints = [
            # notify(dedupe_key=…): the second reminder for the same (recipient, key) is refused
            # by the database, even when two job runs race.
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notification_unique_dedupe_key",
            ),
        ]
        indexes = [
            # The notification centre (newest first), the API's ?after=ID and the websocket
            # catch-up (recipient = X AND id > N ORDER BY id), and the bell's MAX(id).
            models.Index(fields=["recipient", "id"], name="notif_recipient_id"),
            # The bell's unread count: only unread rows are indexed, so the count stays small.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread"),
            # push_pending_task: rows not yet handed to the channel layer (few, outside outages).
            models.Index(fields=["created_at"], condition=Q(pushed_at__isnull=True), name="notif_push_pending"),
            # The daily digest (recipient = X AND emailed_at IS NULL) and deliver_pending_email_task
            # (a scan of this small partial index: only rows whose e-mail is not settled).
            models.Index(
                fields=["recipient", "created_at"], condition=Q(emailed_at__isnull=True), name="notif_email_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.recipient_id}: {self.text_vi[:60]}"

    def text_for(self, language: str | None) -> str:
        """The text in ``language``, falling back to Vietnamese (the official language)."""
        if language and language.startswith("en") and self.text_en:
            return self.text_en
        return self.text_vi

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Gửi ngay từng thông báo")
    DAILY_DIGEST = "daily_digest", _("Gửi một thư tổng hợp mỗi ngày")
    OFF = "off", _("Không gửi thư")


DEFAULT_DIGEST_HOUR = 7


class EmailPreference(models.Model):
    """How an officer wants e-mail. No row means the defaults: immediate, digest at 07:00."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preference", verbose_name=_("cán bộ")
    )
    mode = models.CharField(_("cách gửi thư"), max_length=16, choices=EmailMode.choices, default=EmailMode.IMMEDIATE)
    digest_hour = models.PositiveSmallIntegerField(
        _("giờ gửi thư tổng hợp"),
        default=DEFAULT_DIGEST_HOUR,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text=_("Giờ Việt Nam, từ 0 đến 23."),
    )
    # The local day of the last digest run for this officer: at most one digest a day.
    last_digest_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tùy chọn thư điện tử")
        verbose_name_plural = _("tùy chọn thư điện tử")
        constraints = [
            models.CheckConstraint(condition=Q(digest_hour__lte=23), name="email_preference_digest_hour_range"),
        ]
        indexes = [
            # send_digests_task: the officers in digest mode whose hour has come.
            models.Index(fields=["digest_hour"], condition=Q(mode="daily_digest"), name="email_pref_digest_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.mode}"

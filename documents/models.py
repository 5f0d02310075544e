"""Issued documents: each signed PDF of a plan, one row per version (a reissue is a new
version, never an overwrite), and the data the exchange package needs per agency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models import Agency
from planning.models import Plan


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", _("Đang chờ")
    RENDERING = "rendering", _("Đang tạo PDF")
    SIGNING = "signing", _("Đang ký số")
    AWAITING_SIGNATURE = "awaiting_signature", _("Chờ ký bằng thiết bị ký số")
    ISSUED = "issued", _("Đã ban hành")
    FAILED = "failed", _("Lỗi")


class SigningBackend(models.TextChoices):
    DEMO = "demo", _("Chứng thư số demo")
    CSC = "csc", _("Dịch vụ ký số từ xa (CSC)")
    TOKEN = "token", _("Thiết bị ký số của người ký")


PROGRESS = {
    DocumentStatus.QUEUED: 0,
    DocumentStatus.RENDERING: 20,
    DocumentStatus.SIGNING: 60,
    DocumentStatus.AWAITING_SIGNATURE: 70,
    DocumentStatus.ISSUED: 100,
    DocumentStatus.FAILED: 100,
}


def document_path(instance: IssuedDocument, filename: str) -> str:
    return f"documents/{instance.plan_id}/v{instance.version}-{filename}"


class IssuedDocument(models.Model):
    """One issued (signed) PDF of a plan. Written once: the file is stored when signed and
    never replaced; reissuing the plan makes the next version."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="issued_documents")
    version = models.PositiveIntegerField(_("lần ban hành"))
    status = models.CharField(max_length=24, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED)
    backend = models.CharField(max_length=8, choices=SigningBackend.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # As printed and signed (kept: names and titles change later).
    signer_name = models.CharField(max_length=255)
    signer_title = models.CharField(max_length=255, blank=True)
    capacity = models.CharField(max_length=255, blank=True, help_text=_("TM./KT. như khối chữ ký in"))
    number_symbol = models.CharField(max_length=64)
    issued_on = models.DateField()
    place = models.CharField(max_length=128, blank=True)
    file = models.FileField(upload_to=document_path, blank=True, max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    certificate_subject = models.CharField(max_length=512, blank=True)
    certificate_serial = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    # The prepared-hash flow (backend "token"): what the server keeps between its two steps.
    prepared = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("văn bản đã ban hành")
        verbose_name_plural = _("văn bản đã ban hành")
        ordering = ["plan", "-version"]
        constraints = [models.UniqueConstraint(fields=["plan", "version"], name="documents_one_version_per_plan")]

    def __str__(self) -> str:
        return f"{self.number_symbol} v{self.version}"

    @property
    def progress(self) -> int:
        return PROGRESS[DocumentStatus(self.status)]

    @property
    def is_busy(self) -> bool:
        return self.status in (DocumentStatus.QUEUED, DocumentStatus.RENDERING, DocumentStatus.SIGNING)


class AgencyExchangeCode(models.Model):
    """The agency's code on the document exchange platform (mã định danh, QCVN 102:2016's
    OrganId), as data per agency: the directory app's Agency has no such field."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="exchange_code")
    code = models.CharField(_("mã định danh"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("mã định danh cơ quan")
        verbose_name_plural = _("mã định danh cơ quan")

    def __str__(self) -> str:
        return self.code


class SignerCredential(models.Model):
    """The officer's credential at the remote signing service (CSC credentialID)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signing_credential")
    csc_credential_id = models.CharField(max_length=255)

    def __str__(self) -> str:
        return self.csc_credential_id

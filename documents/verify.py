"""Verifying a signed PDF anyone uploads: pyHanko's validator against the configured trust roots.

The answer (``Verdict``) says whether the file is a PDF at all, whether it carries a signature,
and for each signature: intact or changed after signing, who signed, when, with which
certificate (subject, issuer, serial number, SHA-256 fingerprint, validity), the signature
mechanism and digest, and whether the chain reaches a trust root (``DOCUMENTS_TRUST_ROOTS``:
the national root's PEM in production; the demo root by default in demo mode).
Nothing a user can upload makes it fail: every parse or validation error is an answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import pem, x509
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"


@dataclass
class SignatureReport:
    field_name: str
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # the certificate chains to a configured trust root
    covers_whole_file: bool  # nothing was added after this signature
    signer: str
    signer_subject: str
    issuer: str
    serial: str
    fingerprint_sha256: str
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    signed_at: dt.datetime | None
    timestamped: bool
    mechanism: str
    digest: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file

    @property
    def is_changed(self) -> bool:
        return not (self.intact and self.valid and self.covers_whole_file)


@dataclass
class Verdict:
    outcome: str  # "ok", "changed", "untrusted", "unsigned", "not_pdf", "empty", "too_large", "unreadable"
    message: str
    sha256: str = ""
    size: int = 0
    signatures: list[SignatureReport] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "message": self.message,
            "sha256": self.sha256,
            "size": self.size,
            "signatures": [
                {
                    "field": s.field_name,
                    "intact": s.intact,
                    "valid": s.valid,
                    "trusted": s.trusted,
                    "covers_whole_file": s.covers_whole_file,
                    "signer": s.signer,
                    "signer_subject": s.signer_subject,
                    "issuer": s.issuer,
                    "serial": s.serial,
                    "fingerprint_sha256": s.fingerprint_sha256,
                    "not_before": s.not_before.isoformat() if s.not_before else None,
                    "not_after": s.not_after.isoformat() if s.not_after else None,
                    "signed_at": s.signed_at.isoformat() if s.signed_at else None,
                    "timestamped": s.timestamped,
                    "mechanism": s.mechanism,
                    "digest": s.digest,
                }
                for s in self.signatures
            ],
        }


def max_bytes() -> int:
    return int(settings.DOCUMENTS_VERIFY_MAX_BYTES)


def trust_roots() -> list[x509.Certificate]:
    """The configured roots (PEM or DER files; a PEM file may hold several)."""
    roots = []
    for path in settings.DOCUMENTS_TRUST_ROOTS:
        data = Path(path).read_bytes() if Path(path).exists() else b""
        if not data:
            logger.warning("trust root %s is missing", path)
            continue
        if pem.detect(data):
            roots.extend(x509.Certificate.load(der) for _type, _headers, der in pem.unarmor(data, multiple=True))
        else:
            roots.append(x509.Certificate.load(data))
    return roots


def _validation_context(roots: list[x509.Certificate]):
    from pyhanko_certvalidator import ValidationContext

    # No fetching at request time: revocation data the file embeds is used, none is fetched
    # (a verification page must answer offline and cannot be made to call out).
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def _name(cert: x509.Certificate, which: str = "subject") -> str:
    return getattr(cert, which).human_friendly


def _common_name(cert: x509.Certificate) -> str:
    return cert.subject.native.get("common_name", "") or _name(cert)


def verify_pdf(data: bytes, *, roots: list[x509.Certificate] | None = None) -> Verdict:
    """The verdict on an uploaded file (bytes already bounded by the caller's size check)."""
    size = len(data)
    if size == 0:
        return Verdict("empty", _("Tệp rỗng (0 byte): hãy chọn tệp PDF đã ký."))
    if size > max_bytes():
        return Verdict("too_large", too_large_message(), size=size)
    digest = hashlib.sha256(data).hexdigest()
    if PDF_MAGIC not in data[:1024]:
        return Verdict("not_pdf", _("Tệp không phải là PDF."), sha256=digest, size=size)
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:
        logger.info("uploaded PDF could not be read", exc_info=True)
        return Verdict("unreadable", _("Không đọc được tệp PDF (tệp hỏng hoặc đã bị sửa)."), sha256=digest, size=size)
    if not embedded:
        return Verdict("unsigned", _("Tệp PDF không có chữ ký số."), sha256=digest, size=size)
    roots = trust_roots() if roots is None else roots
    reports = [_report(sig, roots) for sig in embedded]
    if any(r is None for r in reports):
        return Verdict(
            "changed",
            _("Chữ ký số bị hỏng: tệp đã bị thay đổi sau khi ký."),
            sha256=digest,
            size=size,
            signatures=[r for r in reports if r is not None],
        )
    if any(r.is_changed for r in reports):
        outcome, message = "changed", _("Tệp đã bị thay đổi sau khi ký: chữ ký không còn nguyên vẹn.")
    elif not all(r.trusted for r in reports):
        outcome, message = (
            "untrusted",
            _("Chữ ký nguyên vẹn nhưng chứng thư số không thuộc chuỗi tin cậy đã cấu hình."),
        )
    else:
        outcome, message = "ok", _("Chữ ký hợp lệ: tệp nguyên vẹn từ khi ký, chứng thư số thuộc chuỗi tin cậy.")
    return Verdict(outcome, message, sha256=digest, size=size, signatures=reports)


def too_large_message() -> str:
    return _("Tệp quá lớn (tối đa %(mb)s MB).") % {"mb": max_bytes() // (1024 * 1024)}


def _report(sig, roots) -> SignatureReport | None:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        status = validate_pdf_signature(sig, _validation_context(roots))
    except Exception:
        logger.info("signature could not be validated", exc_info=True)
        return None
    cert = status.signing_cert
    timestamp = status.timestamp_validity
    return SignatureReport(
        field_name=sig.field_name,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=_common_name(cert),
        signer_subject=_name(cert),
        issuer=_name(cert, "issuer"),
        serial=format(cert.serial_number, "X"),
        fingerprint_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
        signed_at=timestamp.timestamp if timestamp else status.signer_reported_dt,
        timestamped=timestamp is not None,
        mechanism=status.pkcs7_signature_mechanism,
        digest=status.md_algorithm,
    )


def verify_upload(upload) -> Verdict:
    """The verdict on an uploaded file, read no further than the size limit."""
    if upload.size is not None and upload.size > max_bytes():
        return Verdict("too_large", too_large_message(), size=upload.size)
    data = upload.read(max_bytes() + 1)
    return verify_pdf(data)

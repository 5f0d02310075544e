"""Issuing a plan's document: the request (one transaction: the next version, who signs, as the
audit trail decides), the job that renders and signs it (``documents.tasks``), storing the signed
PDF once with its SHA-256 in the audit event of the issue, and the two steps of signing on the
officer's own token.

Never inside the approval transaction: ``document_issue`` only records the request and queues
the job after commit; the job renders (LibreOffice) and signs outside any plan lock, and takes
the plan's row lock only for the short write of the file's record and the audit event.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import selectors as issuing
from approvals import services as approvals
from config import clock
from config.dates import parse_user_date
from config.errors import Conflict
from config.text import text_error
from directory.models import Role, User
from documents.models import DocumentStatus, IssuedDocument, SigningBackend
from planning.models import Plan
from planning.selectors import plan_get_for_user, user_roles_on_unit

logger = logging.getLogger(__name__)

ISSUE_ACTION = "issue_document"
# The audit code of the number and date the issuer records at issuance (a locked plan's header).
NUMBER_ACTION = "record_document_number"
ISSUER_ROLES = frozenset({Role.DRAFTER, Role.HEAD})
STALE_AFTER = dt.timedelta(hours=1)
BUSY = (DocumentStatus.QUEUED, DocumentStatus.RENDERING, DocumentStatus.SIGNING, DocumentStatus.AWAITING_SIGNATURE)


def may_issue(user: User, plan: Plan) -> bool:
    """The plan's own drafters and heads (the records clerk's side of the unit)."""
    return bool(user_roles_on_unit(user, plan.unit) & ISSUER_ROLES)


def signature_parts(plan: Plan, signer: User, on_behalf_of: User | None) -> tuple[str, str]:
    """(capacity, position) from the block the .docx prints: "TM. ỦY BAN NHÂN DÂN / KT. CHỦ
    TỊCH" and "PHÓ CHỦ TỊCH"; a single head's block is only the position."""
    lines = issuing.signature_lines(plan, signer, on_behalf_of)
    return " / ".join(lines[:-1]), lines[-1]


def _certificate_der(value: str) -> bytes:
    """The officer's certificate from the token side (PEM or base64 DER), checked to parse."""
    from asn1crypto import pem, x509

    raw = value.strip().encode("ascii", "ignore")
    try:
        der = pem.unarmor(raw)[2] if pem.detect(raw) else base64.b64decode(raw, validate=True)
        cert = x509.Certificate.load(der)
        cert.native  # noqa: B018 - parse it all now, not later in the job
    except (ValueError, TypeError, binascii.Error):
        raise ValidationError({"certificate": _("Chứng thư số không đọc được (PEM hoặc DER base64).")}) from None
    if cert.public_key.algorithm != "rsa" or cert.public_key.bit_size < 2048:
        raise ValidationError({"certificate": _("Chứng thư số phải dùng khóa RSA từ 2048 bit.")})
    return der


def _number_and_date(plan: Plan, number_symbol: str | None, issued_on: dt.date | str | None) -> tuple[str, dt.date]:
    """The document's number/symbol and issue date as the issuer gave them, else the plan's.

    Blank means "keep the plan's": required only while the plan has none. The date is the
    officer's dd/mm/yyyy (or ISO), not after the application's today and not before the
    People's Council resolution the document cites among its bases. Raises ValidationError
    naming ``number_symbol`` and ``issued_on``."""
    from workflows.selectors import plan_resolution

    errors: dict[str, list[str]] = {}
    number = (number_symbol or "").strip() or plan.number_symbol.strip()
    if not number:
        errors["number_symbol"] = [_("Cần số, ký hiệu của văn bản (ví dụ 15/KH-UBND).")]
    elif message := text_error(number, multiline=False):
        errors["number_symbol"] = [message]
    elif len(number) > (longest := Plan._meta.get_field("number_symbol").max_length or 64):
        errors["number_symbol"] = [_("Số, ký hiệu dài quá %(n)d ký tự.") % {"n": longest}]
    try:
        day = parse_user_date(issued_on) or plan.issued_on
    except ValueError as exc:  # not a date, or no such day (31/02/2027)
        day, errors["issued_on"] = None, [str(exc)]
    if "issued_on" in errors:
        pass
    elif day is None:
        errors["issued_on"] = [_("Cần ngày ban hành (dd/mm/yyyy).")]
    elif day > clock.today():  # the application's today (the demo may move it)
        errors["issued_on"] = [_("Ngày ban hành không thể ở tương lai.")]
    elif (resolution := plan_resolution(plan)) is not None and day < resolution.date:
        errors["issued_on"] = [
            _("Ngày ban hành không thể trước ngày nghị quyết HĐND phê duyệt kế hoạch (%(date)s).")
            % {"date": resolution.date.strftime("%d/%m/%Y")}
        ]
    if errors:
        raise ValidationError(errors)
    assert day is not None
    return number, day


def _record_number(*, actor: User, plan: Plan, number: str, day: dt.date) -> None:
    """Write the number and date on the plan (its header prints them from now on) with an audit
    row saying what they were; nothing when they are unchanged. The caller holds the row lock."""
    before = (plan.number_symbol, plan.issued_on)
    if before == (number, day):
        return
    plan.number_symbol, plan.issued_on = number, day
    plan.save(update_fields=["number_symbol", "issued_on", "updated_at"])
    approvals.audit_record(
        plan=plan,
        actor=actor,
        action=NUMBER_ACTION,
        from_status=plan.status,
        agency=issuing.issuing_agency(plan),
        data={
            "number_symbol": number,
            "issued_on": day,
            "previous_number_symbol": before[0],
            "previous_issued_on": before[1],
        },
    )


def document_issue(
    *,
    actor: User,
    plan_id: int,
    backend: str | None = None,
    certificate: str = "",
    chain: list[str] | None = None,
    number_symbol: str | None = None,
    issued_on: dt.date | str | None = None,
) -> IssuedDocument:
    """Record the request to issue the plan's signed PDF (the next version) and queue the job.

    ``number_symbol`` and ``issued_on`` are the document's "số, ký hiệu" and "ngày ban hành",
    given by the issuer at issuance (the plan's header is locked once submitted): stored on the
    plan in the same transaction, audited when they change. Blank keeps the plan's own; a
    reissue may keep or change them (each version keeps the number it was printed with).

    404 for a plan outside the actor's scope, 403 for someone who is not its drafter or head,
    409 while the plan has no signing decision or another issue is under way, 400 naming
    ``number_symbol`` or ``issued_on`` when the plan has none and none was given, or when the
    one given is wrong. A refused request saves nothing."""
    from django.conf import settings

    backend = backend or settings.DOCUMENTS_SIGNING_BACKEND
    if backend not in SigningBackend.values or (backend == SigningBackend.DEMO and not settings.DEMO):
        raise ValidationError({"backend": _("Cách ký không hợp lệ.")})
    prepared: dict[str, Any] = {}
    if backend == SigningBackend.TOKEN:
        if not certificate:
            raise ValidationError({"certificate": _("Cần chứng thư số của thiết bị ký.")})
        prepared = {
            "certificate": base64.b64encode(_certificate_der(certificate)).decode(),
            "chain": [base64.b64encode(_certificate_der(c)).decode() for c in chain or []],
        }
    with transaction.atomic():
        plan = plan_get_for_user(user=actor, plan_id=plan_id, for_update=True)
        if not may_issue(actor, plan):
            raise PermissionDenied(_("Chỉ chuyên viên hoặc lãnh đạo của đơn vị được ban hành văn bản."))
        if issuing.last_signing_event(plan) is None:
            raise Conflict(_("Kế hoạch chưa được lãnh đạo ký duyệt: chưa có người ký."))
        # A job older than STALE_AFTER (a worker that died) no longer blocks a reissue.
        since = timezone.now() - STALE_AFTER
        if plan.issued_documents.filter(status__in=BUSY, created_at__gte=since).exists():
            raise Conflict(_("Văn bản của kế hoạch đang được tạo hoặc chờ ký."))
        number, day = _number_and_date(plan, number_symbol, issued_on)
        _record_number(actor=actor, plan=plan, number=number, day=day)
        # After the date: a deputy's delegation is read on the day of issue.
        signer, on_behalf_of = issuing.document_signer(plan)
        if signer is None:  # the issuing body has no head to sign for it (transaction rolls back)
            raise Conflict(_("Kế hoạch chưa được lãnh đạo ký duyệt: chưa có người ký."))
        version = (plan.issued_documents.aggregate(last=Max("version"))["last"] or 0) + 1
        capacity, position = signature_parts(plan, signer, on_behalf_of)
        document = IssuedDocument.objects.create(
            plan=plan,
            version=version,
            backend=backend,
            requested_by=actor,
            signer=signer,
            on_behalf_of=on_behalf_of,
            signer_name=signer.display_name,
            signer_title=position,
            capacity=capacity,
            number_symbol=number,
            issued_on=day,
            place=plan.place or plan.unit.name,
            prepared=prepared,
        )
        from documents import tasks

        transaction.on_commit(lambda: tasks.document_render_and_sign.delay(document.pk))
    return document


def document_mark(
    *, document: IssuedDocument, status: str, error: str = "", prepared: dict[str, Any] | None = None
) -> None:
    """Move the job's record on (the page polls it); a failure keeps its reason."""
    document.status = status
    document.error = error
    fields = ["status", "error"]
    if prepared is not None:
        document.prepared = prepared
        fields.append("prepared")
    if status in (DocumentStatus.FAILED, DocumentStatus.ISSUED):
        document.finished_at = timezone.now()
        fields.append("finished_at")
    document.save(update_fields=fields)


def document_store(*, document: IssuedDocument, pdf: bytes, pages: int = 0) -> IssuedDocument:
    """Store the signed PDF once and record its SHA-256 in the audit event of the issue, under
    the plan's row lock (which orders the plan's audit chain)."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    cert = signature.signer_cert
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=document.plan_id)
        document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if document.status == DocumentStatus.ISSUED:
            raise Conflict(_("Văn bản này đã được ban hành."))
        name = f"{plan.cycle.year}-{plan.unit.code}-{document.pk}.pdf"
        document.file.save(name, ContentFile(pdf), save=False)
        document.sha256 = digest
        document.size = len(pdf)
        document.pages = pages
        document.certificate_subject = cert.subject.human_friendly[:512]
        document.certificate_serial = format(cert.serial_number, "X")
        document.status = DocumentStatus.ISSUED
        document.error = ""
        document.prepared = {}
        document.finished_at = timezone.now()
        document.save()
        approvals.audit_record(
            plan=plan,
            actor=document.requested_by,
            action=ISSUE_ACTION,
            from_status=plan.status,
            agency=issuing.issuing_agency(plan),
            data={
                "document_id": document.pk,
                "version": document.version,
                "sha256": digest,
                "size": len(pdf),
                "number_symbol": document.number_symbol,
                "issued_on": document.issued_on,
                "signer": document.signer_name,
                "capacity": document.capacity,
                "backend": document.backend,
                "certificate_serial": document.certificate_serial,
            },
        )
    return document


def document_token_finish(*, actor: User, document_id: int, signature: str) -> IssuedDocument:
    """Step two of signing on the officer's token: the signature over the prepared bytes,
    embedded in the PDF and stored. Only the signer may give it."""
    from documents import selectors, signing, verify

    document = selectors.document_get_for_user(user=actor, document_id=document_id)
    if document.signer_id != actor.pk:
        raise PermissionDenied(_("Chỉ người ký được ký văn bản này."))
    if document.status != DocumentStatus.AWAITING_SIGNATURE:
        raise Conflict(_("Văn bản không ở bước chờ ký."))
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": _("Chữ ký phải là chuỗi base64.")}) from None
    prepared = signing.prepared_from_json(document.prepared)
    if not signing.token_signature_matches(prepared, raw):
        raise ValidationError({"signature": _("Chữ ký không khớp với chứng thư số và dữ liệu cần ký.")})
    pdf = signing.token_finish(prepared, raw)
    verdict = verify.verify_pdf(pdf, roots=[])
    if not verdict.signatures or verdict.signatures[0].is_changed:
        raise ValidationError({"signature": _("Chữ ký không hợp lệ.")})
    return document_store(document=document, pdf=pdf, pages=document.pages)

"""The exchange package of an issued document: an edXML envelope (QCVN 102:2016/BTTTT, the
structure of the message exchanged between agencies' document systems) carrying the signed PDF.

Header (``MessageHeader``): sender and receivers (``From``/``To``: the agencies' codes on the
exchange platform, ``AgencyExchangeCode``, data per agency), number and notation (``Code``),
place and date (``PromulgationInfo``), document type, subject, signer's competence (TM./KT.),
position and full name (``SignerInfo``), the recipients (``ToPlaces``) and other information
(priority, page count); ``TraceHeaderList`` records the sender's hand-off. The signed PDF is
the one attachment (``AttachmentEncoded``, base64), its name and SHA-256 in its description.
Built with lxml; the tests parse it back with ElementTree.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from approvals import selectors as issuing
from directory.models import Agency, AgencyKind, Tier
from documents.models import AgencyExchangeCode, IssuedDocument
from planning import exports

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
E = "{%s}" % NS  # noqa: UP031 - the Clark notation of the namespace
# QCVN 102's document type codes: 1 is an administrative document ("văn bản hành chính").
DOCUMENT_TYPE_ADMINISTRATIVE = "1"
DOCUMENT_KIND_CODES = {"KH": "Kế hoạch", "BC": "Báo cáo"}


def agency_code(agency: Agency | None) -> str:
    code = AgencyExchangeCode.objects.filter(agency=agency).values_list("code", flat=True).first() if agency else None
    if not code:
        name = agency.name if agency else _("(không xác định)")
        raise ValidationError(
            {"agency": _("Cơ quan “%(agency)s” chưa có mã định danh trên trục liên thông.") % {"agency": name}}
        )
    return code


def receiver_agency(document: IssuedDocument) -> Agency | None:
    """Where the plan goes: its parent unit's People's Committee, or the ministry for a province."""
    unit = document.plan.unit
    if unit.tier == Tier.PROVINCE or unit.parent is None or unit.parent.tier == Tier.NATION:
        return Agency.objects.filter(unit__tier=Tier.NATION, kind=AgencyKind.MINISTRY).order_by("pk").first()
    return Agency.objects.filter(unit=unit.parent, kind=AgencyKind.PEOPLE_COMMITTEE).order_by("pk").first()


def _sub(parent, tag: str, text: str | None = None):
    element = etree.SubElement(parent, E + tag)
    if text is not None:
        element.text = text
    return element


def _organ(parent, tag: str, agency: Agency):
    organ = _sub(parent, tag)
    _sub(organ, "OrganId", agency_code(agency))
    _sub(organ, "OrganName", agency.name)
    _sub(organ, "OrganAdd", agency.unit.name)
    _sub(organ, "Email", "")
    _sub(organ, "Telephone", "")
    _sub(organ, "Fax", "")
    _sub(organ, "Website", "")
    return organ


def split_number(number_symbol: str) -> tuple[str, str]:
    """ "15/KH-UBND" → ("15", "KH-UBND")."""
    number, _slash, notation = number_symbol.partition("/")
    return number.strip(), notation.strip()


def build(document: IssuedDocument, pdf: bytes, *, sent_at: dt.datetime | None = None) -> bytes:
    """The edXML envelope of an issued document with its signed PDF."""
    plan = document.plan
    sender = issuing.issuing_agency(plan)
    receiver = receiver_agency(document)
    if sender is None or receiver is None:
        raise ValidationError({"agency": _("Không xác định được cơ quan gửi hoặc nhận.")})
    sent_at = sent_at or timezone.now()
    number, notation = split_number(document.number_symbol)
    kind = issuing.issuer_of(plan).kind

    envelope = etree.Element(E + "edXMLEnvelope", nsmap={"edXML": NS})
    header = _sub(envelope, "edXMLHeader")
    message = _sub(header, "MessageHeader")
    _organ(message, "From", sender)
    _organ(message, "To", receiver)
    _sub(message, "DocumentId", f"{agency_code(sender)},{document.issued_on:%Y/%m/%d},{number}/{notation}")
    code = _sub(message, "Code")
    _sub(code, "CodeNumber", number)
    _sub(code, "CodeNotation", notation)
    promulgation = _sub(message, "PromulgationInfo")
    _sub(promulgation, "Place", document.place)
    _sub(promulgation, "PromulgationDate", document.issued_on.isoformat())
    doc_type = _sub(message, "DocumentType")
    _sub(doc_type, "Type", DOCUMENT_TYPE_ADMINISTRATIVE)
    _sub(doc_type, "TypeName", DOCUMENT_KIND_CODES.get(kind, exports.document_name(plan)))
    _sub(message, "Subject", exports.plan_title(plan))
    _sub(message, "Content", exports.plan_title(plan))
    signer = _sub(message, "SignerInfo")
    _sub(signer, "Competence", document.capacity)
    _sub(signer, "Position", document.signer_title)
    _sub(signer, "FullName", document.signer_name)
    _sub(message, "DueDate", "")
    places = _sub(message, "ToPlaces")
    for recipient in exports.recipients(plan):
        _sub(places, "Place", recipient)
    other = _sub(message, "OtherInfo")
    _sub(other, "Priority", "0")
    _sub(other, "SphereOfPromulgation", "")
    _sub(other, "TyperNotation", "")
    _sub(other, "PromulgationAmount", "1")
    _sub(other, "PageAmount", str(document.pages or 0))
    _sub(other, "Appendixes", "")
    _sub(message, "SteeringType", "0")
    trace = _sub(header, "TraceHeaderList")
    hop = _sub(trace, "TraceHeader")
    _sub(hop, "OrganId", agency_code(sender))
    _sub(hop, "Timestamp", sent_at.isoformat(timespec="seconds"))

    attachments = _sub(envelope, "AttachmentEncoded")
    attachment = _sub(attachments, "Attachment")
    _sub(attachment, "ContentId", f"cid:{uuid.uuid5(uuid.NAMESPACE_URL, document.sha256)}")
    _sub(attachment, "ContentType", "application/pdf")
    _sub(attachment, "Description", f"{document.number_symbol}; SHA-256 {document.sha256}")
    _sub(attachment, "AttachmentName", attachment_name(document))
    _sub(attachment, "ContentTransferEncoded", base64.b64encode(pdf).decode("ascii"))
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def attachment_name(document: IssuedDocument) -> str:
    plan = document.plan
    return f"ke-hoach-{plan.cycle.year}-{plan.unit.code}-v{document.version}.pdf"

"""Issuing a plan's document: the job renders and signs it after the request's commit, the PDF is
stored once with its SHA-256 in the audit event of the issue, a reissue is a new version, the
plan's own agency downloads it and an outsider gets 404; its edXML package carries the same
number, date and signer as the PDF's signature; the remote CSC signer and the officer's token
sign the same way."""

from __future__ import annotations

import base64
import hashlib
import io
import xml.etree.ElementTree as ET

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from approvals.models import AuditEvent
from documents import pki, verify
from documents.models import AgencyExchangeCode, DocumentStatus, SignerCredential
from documents.testing.csc_server import CSCService
from tests.documents.conftest import COMMUNE_DRAFTER, COMMUNE_HEAD, ISSUED_ON, NUMBER, OUTSIDER, user

NS = {"edXML": "http://www.mic.gov.vn/TBT/QCVN_102_2016"}


def stored(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def validated(pdf: bytes):
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    context = ValidationContext(trust_roots=verify.trust_roots(), allow_fetching=False)
    return signature, validate_pdf_signature(signature, context)


def test_a_signed_off_plan_is_issued_as_a_pades_pdf_the_demo_root_validates(signed_off_plan, issue):
    document = issue(signed_off_plan)
    assert document.status == DocumentStatus.ISSUED, document.error
    signature, status = validated(stored(document))
    assert status.intact and status.valid and status.trusted
    assert status.pkcs7_signature_mechanism == "rsassa_pss"
    assert status.md_algorithm == "sha256"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES baseline
    assert status.signing_cert.public_key.bit_size >= 2048
    assert status.signing_cert.subject.native["common_name"] == f"DEMO {user(COMMUNE_HEAD).display_name}"
    assert "DEMO" in status.signing_cert.subject.native["organization_name"]
    assert (document.number_symbol, document.issued_on) == (NUMBER, ISSUED_ON)
    assert (document.capacity, document.signer_title) == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert_a4_with_every_font_embedded(stored(document))
    assert_field_between_capacity_and_name(stored(document), user(COMMUNE_HEAD).display_name)


def assert_a4_with_every_font_embedded(pdf: bytes) -> None:
    """``pdfinfo`` says A4 and ``pdffonts`` lists every font (LibreOffice's and the visible
    signature's) as embedded."""
    import subprocess

    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "(A4)" in info
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(row[-5] == "yes" for row in rows), fonts  # the "emb" column


def assert_field_between_capacity_and_name(pdf: bytes, name: str) -> None:
    """The visible signature field is on the page of the signature block, below its capacity
    line and above the signer's printed name, in the right-hand column."""
    from documents import render

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    x1, y1, x2, y2 = (float(v) for v in signature.sig_field["/Rect"])
    words = render.words_by_page(pdf)
    page_index = next(i for i, (_w, _h, ws) in enumerate(words) if any(w[4] == name.split()[0] for w in ws))
    width, height, page_words = words[page_index]
    page_ref = signature.sig_field["/P"]
    assert page_ref.get_object() == PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"][page_index].get_object()
    name_top = min(w[1] for w in page_words if w[4] == name.split()[-1])
    capacity_bottom = max(w[3] for w in page_words if w[4] == "TỊCH")
    assert height - capacity_bottom >= y2 - 3 and y1 >= height - name_top - 3
    assert x1 > width / 2 - 60 and x2 <= width


def test_the_issue_is_audited_with_the_files_sha256_and_a_reissue_is_a_new_version(signed_off_plan, issue, login_api):
    first = issue(signed_off_plan)
    second = issue(signed_off_plan)
    assert (first.version, second.version) == (1, 2)
    assert first.file.name != second.file.name
    assert stored(first) != stored(second)  # both kept: a reissue never overwrites
    events = AuditEvent.objects.filter(plan=signed_off_plan, action="issue_document").order_by("id")
    assert [e.data["sha256"] for e in events] == [
        hashlib.sha256(stored(first)).hexdigest(),
        hashlib.sha256(stored(second)).hexdigest(),
    ]
    assert [e.data["version"] for e in events] == [1, 2]

    client = login_api(COMMUNE_DRAFTER)
    listed = client.get(f"/api/v1/plans/{signed_off_plan.pk}/documents/").json()
    assert [d["version"] for d in listed] == [2, 1]
    download = client.get(listed[0]["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == stored(second)

    outsider = login_api(OUTSIDER)
    assert outsider.get(f"/api/v1/plans/{signed_off_plan.pk}/documents/").status_code == 404
    assert outsider.get(f"/api/v1/documents/{second.pk}/file.pdf").status_code == 404
    assert outsider.get(f"/api/v1/documents/{second.pk}/").status_code == 404


def test_the_plan_page_shows_the_issued_document_and_the_button(signed_off_plan, issue, client):
    document = issue(signed_off_plan)
    client.force_login(user(COMMUNE_DRAFTER))
    page = client.get(f"/plans/{signed_off_plan.pk}/").content.decode()
    assert 'data-testid="issued-documents"' in page
    assert f"/documents/{document.pk}/file.pdf" in page
    assert "Ban hành lại (phiên bản mới)" in page
    assert client.get(f"/documents/{document.pk}/status/").json()["done"] is True


def test_the_edxml_package_carries_the_number_date_and_signer_of_the_pdf(signed_off_plan, issue, login_api):
    from approvals.selectors import issuing_agency
    from documents.edxml import receiver_agency

    document = issue(signed_off_plan)
    AgencyExchangeCode.objects.create(agency=issuing_agency(signed_off_plan), code="H49.01.03592")
    AgencyExchangeCode.objects.create(agency=receiver_agency(document), code="H49.01.109")
    response = login_api(COMMUNE_DRAFTER).get(f"/api/v1/documents/{document.pk}/package.edxml")
    assert response.status_code == 200, response.content[:300]
    root = ET.fromstring(response.content)
    header = root.find("edXML:edXMLHeader/edXML:MessageHeader", NS)
    assert header.findtext("edXML:From/edXML:OrganId", namespaces=NS) == "H49.01.03592"
    assert header.findtext("edXML:To/edXML:OrganId", namespaces=NS) == "H49.01.109"
    number = header.findtext("edXML:Code/edXML:CodeNumber", namespaces=NS)
    notation = header.findtext("edXML:Code/edXML:CodeNotation", namespaces=NS)
    assert f"{number}/{notation}" == NUMBER
    assert header.findtext("edXML:PromulgationInfo/edXML:PromulgationDate", namespaces=NS) == ISSUED_ON.isoformat()
    assert header.findtext("edXML:SignerInfo/edXML:Competence", namespaces=NS) == "TM. ỦY BAN NHÂN DÂN"
    assert header.findtext("edXML:SignerInfo/edXML:Position", namespaces=NS) == "CHỦ TỊCH"
    full_name = header.findtext("edXML:SignerInfo/edXML:FullName", namespaces=NS)
    assert full_name == user(COMMUNE_HEAD).display_name
    pdf = base64.b64decode(
        root.findtext("edXML:AttachmentEncoded/edXML:Attachment/edXML:ContentTransferEncoded", namespaces=NS)
    )
    assert pdf == stored(document)
    _signature, status = validated(pdf)
    assert status.intact and status.trusted
    assert status.signing_cert.subject.native["common_name"] == f"DEMO {full_name}"
    # The same number and date are printed in the signed PDF itself.
    assert NUMBER in pdf_text(pdf) and "ngày 20 tháng 11 năm 2023" in pdf_text(pdf)


def pdf_text(pdf: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_without_agency_codes_the_package_says_which_code_is_missing(signed_off_plan, issue, login_api):
    document = issue(signed_off_plan)
    response = login_api(COMMUNE_DRAFTER).get(f"/api/v1/documents/{document.pk}/package.edxml")
    assert response.status_code == 400
    assert "mã định danh" in response.json()["detail"]


def test_an_unsigned_off_draft_cannot_be_issued(demo, login_api):
    from planning.models import Plan

    draft = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023, plan_type="annual")
    response = login_api(COMMUNE_DRAFTER).post(f"/api/v1/plans/{draft.pk}/documents/", {}, format="json")
    assert response.status_code == 409


def test_an_outsider_cannot_issue_and_learns_nothing(signed_off_plan, login_api):
    response = login_api(OUTSIDER).post(f"/api/v1/plans/{signed_off_plan.pk}/documents/", {}, format="json")
    assert response.status_code == 404


@pytest.fixture
def csc_service(demo_pki):
    service = CSCService().start()
    yield service
    service.stop()


def test_the_remote_csc_signer_signs_over_loopback(signed_off_plan, issue, csc_service, settings):
    """pyHanko's CSC client against the project's own CSC service on 127.0.0.1 holding the
    signer's key: credentials/info, authorize (SAD pinned to the hash), signHash with PSS."""
    head = user(COMMUNE_HEAD)
    credential = pki.demo_credential_for(head)
    csc_service.add_credential(
        "cred-0042", key_path=credential.key_path, cert_paths=[credential.cert_path, *credential.chain]
    )
    SignerCredential.objects.create(user=head, csc_credential_id="cred-0042")
    settings.DOCUMENTS_CSC_URL = csc_service.url
    settings.DOCUMENTS_CSC_TOKEN = csc_service.token
    assert csc_service.url.startswith("http://127.0.0.1:")
    document = issue(signed_off_plan, backend="csc")
    assert document.status == DocumentStatus.ISSUED, document.error
    assert csc_service.signed == ["cred-0042"]
    _signature, status = validated(stored(document))
    assert status.intact and status.valid and status.trusted
    assert status.pkcs7_signature_mechanism == "rsassa_pss"


def test_a_csc_service_refusing_the_token_fails_the_job_with_its_reason(signed_off_plan, issue, csc_service, settings):
    settings.DOCUMENTS_CSC_URL = csc_service.url
    settings.DOCUMENTS_CSC_TOKEN = "not-the-token"
    document = issue(signed_off_plan, backend="csc")
    assert document.status == DocumentStatus.FAILED
    assert "signing service" in document.error
    assert not AuditEvent.objects.filter(plan=signed_off_plan, action="issue_document").exists()


def test_the_officers_token_signs_the_prepared_hash(signed_off_plan, issue, login_api):
    """The server prepares the PDF and the bytes to sign; the "token" (the demo key, standing in
    for the officer's device) returns an RSASSA-PSS signature; the server embeds it."""
    head = user(COMMUNE_HEAD)
    credential = pki.demo_credential_for(head)
    document = issue(
        signed_off_plan,
        backend="token",
        certificate=credential.cert_path.read_text(),
        chain=[p.read_text() for p in credential.chain],
    )
    assert document.status == DocumentStatus.AWAITING_SIGNATURE, document.error
    client = login_api(COMMUNE_HEAD)
    challenge = client.get(f"/api/v1/documents/{document.pk}/token/").json()
    assert challenge["mechanism"]["algorithm"] == "1.2.840.113549.1.1.10"
    key = serialization.load_pem_private_key(credential.key_path.read_bytes(), password=None)
    raw = key.sign(
        base64.b64decode(challenge["to_sign"]),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=challenge["mechanism"]["salt_length"]),
        hashes.SHA256(),
    )
    assert (
        login_api(COMMUNE_DRAFTER)
        .post(f"/api/v1/documents/{document.pk}/token/", {"signature": base64.b64encode(raw).decode()}, format="json")
        .status_code
        == 403
    )  # only the signer signs
    wrong = client.post(
        f"/api/v1/documents/{document.pk}/token/", {"signature": base64.b64encode(b"x" * 256).decode()}, format="json"
    )
    assert wrong.status_code == 400 and "signature" in wrong.json()
    response = client.post(
        f"/api/v1/documents/{document.pk}/token/", {"signature": base64.b64encode(raw).decode()}, format="json"
    )
    assert response.status_code == 200, response.content
    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED
    _signature, status = validated(stored(document))
    assert status.intact and status.valid and status.trusted
    assert status.pkcs7_signature_mechanism == "rsassa_pss"
    assert AuditEvent.objects.filter(plan=signed_off_plan, action="issue_document").count() == 1


def test_the_plan_pages_button_explains_why_a_draft_cannot_be_issued(demo, client):
    from planning.models import Plan

    draft = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023, plan_type="annual")
    client.force_login(user(COMMUNE_DRAFTER))
    page = client.get(f"/plans/{draft.pk}/").content.decode()
    assert 'data-testid="issue-not-yet"' in page and 'data-testid="issue-form"' not in page
    response = client.post(
        f"/documents/plans/{draft.pk}/issue/", {"number_symbol": NUMBER, "issued_on": "20/11/2023"}, follow=True
    )
    assert response.status_code == 200
    assert "Kế hoạch chưa được lãnh đạo ký duyệt: chưa có người ký." in response.content.decode()
    assert not draft.issued_documents.exists()
    draft.refresh_from_db()
    assert (draft.number_symbol, draft.issued_on) == ("", None)  # refused: the number is not kept either
    client.force_login(user(OUTSIDER))
    assert client.post(f"/documents/plans/{draft.pk}/issue/").status_code == 404

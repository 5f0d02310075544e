"""A plan's issued PDF: rendered from the .docx, signed PAdES with RSASSA-PSS and SHA-256 by the
signer of the audit trail, checked by pyHanko's validator against the demo root."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from documents import verify
from documents.models import DocumentStatus
from tests.documents.conftest import COMMUNE_HEAD, NUMBER, user


def stored(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def test_a_signed_off_plan_is_issued_as_a_pades_pdf_the_demo_root_validates(signed_off_plan, issue):
    document = issue(signed_off_plan)
    assert document.status == DocumentStatus.ISSUED, document.error
    pdf = stored(document)
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=verify.trust_roots(), allow_fetching=False)
    )
    assert status.intact and status.valid and status.trusted
    assert status.pkcs7_signature_mechanism == "rsassa_pss"
    assert status.md_algorithm == "sha256"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert status.signing_cert.subject.native["common_name"] == f"DEMO {user(COMMUNE_HEAD).display_name}"
    assert document.number_symbol == NUMBER

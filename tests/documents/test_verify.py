"""The verification page and API: anyone uploads a PDF and reads, in Vietnamese, whether the
signature is intact, who signed, when, with which certificate and whether it chains to the
configured trust root. Bad input is a clear message, never a 500."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from documents import verify
from tests.documents.conftest import blank_pdf, flip_one_byte, sign_blank

API = "/api/v1/documents/verify/"
PAGE = "/documents/verify/"


@pytest.fixture
def signed(demo_pki) -> bytes:
    return sign_blank(demo_pki)


def upload(content: bytes, name: str = "van-ban.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_file_signed_under_the_demo_root_is_intact_and_trusted(signed):
    verdict = verify.verify_pdf(signed)
    assert verdict.outcome == "ok", verdict.message
    (report,) = verdict.signatures
    assert report.intact and report.valid and report.trusted and report.covers_whole_file
    assert report.signer == "DEMO Nguyễn Văn Demo"
    assert report.mechanism == "rsassa_pss" and report.digest == "sha256"
    assert "DEMO" in report.issuer and report.signed_at is not None


def test_one_flipped_byte_is_reported_as_changed(signed):
    verdict = verify.verify_pdf(flip_one_byte(signed))
    assert verdict.outcome == "changed"
    assert not verdict.signatures[0].intact
    assert "thay đổi" in verdict.message


def test_a_certificate_of_another_root_is_not_trusted(tmp_path):
    other = sign_blank(tmp_path / "another-ca")
    verdict = verify.verify_pdf(other)
    assert verdict.outcome == "untrusted"
    assert verdict.signatures[0].intact and not verdict.signatures[0].trusted
    assert "chuỗi tin cậy" in verdict.message


def test_text_appended_after_signing_is_reported_as_changed(signed):
    verdict = verify.verify_pdf(signed + b"\n% added later\n")
    assert verdict.outcome == "changed"
    assert not verdict.signatures[0].covers_whole_file


def test_the_api_answers_the_verdict_without_an_account(signed):
    response = APIClient().post(API, {"file": upload(signed)}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "ok"
    assert body["signatures"][0]["signer"] == "DEMO Nguyễn Văn Demo"
    assert body["signatures"][0]["trusted"] is True


def test_the_page_shows_a_changed_file_in_vietnamese(signed):
    response = Client().post(PAGE, {"file": upload(flip_one_byte(signed))})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-outcome="changed"' in text
    assert "Đã bị thay đổi sau khi ký" in text


@pytest.mark.parametrize(
    ("content", "outcome", "message"),
    [
        (b"PK\x03\x04 this is a .docx, not a PDF", "not_pdf", "không phải là PDF"),
        (b"", "empty", "Tệp rỗng"),
        (b"%PDF-" + b"0" * (60 * 1024 * 1024), "too_large", "Tệp quá lớn (tối đa 20 MB)"),
    ],
    ids=["non-pdf", "0-byte", "60-MB"],
)
def test_bad_input_gets_a_clear_message_not_a_500(db, content, outcome, message):
    api = APIClient().post(API, {"file": upload(content)}, format="multipart")
    assert api.status_code == 400
    assert api.json()["code"] == outcome and message in api.json()["file"][0]
    page = Client().post(PAGE, {"file": upload(content)})
    assert page.status_code == 400
    assert message in page.content.decode()


def test_an_unsigned_pdf_is_reported_as_unsigned(db):
    api = APIClient().post(API, {"file": upload(blank_pdf())}, format="multipart")
    assert api.status_code == 200
    assert api.json()["outcome"] == "unsigned"
    assert "không có chữ ký số" in api.json()["message"]
    page = Client().post(PAGE, {"file": upload(blank_pdf())})
    assert "không có chữ ký số" in page.content.decode()


def test_a_damaged_pdf_is_an_answer_not_a_500(db):
    response = APIClient().post(API, {"file": upload(b"%PDF-1.7\n garbage without objects")}, format="multipart")
    assert response.status_code == 200
    assert response.json()["outcome"] in {"unreadable", "unsigned"}


def test_the_page_without_a_file_names_the_field(db):
    assert Client().get(PAGE).status_code == 200
    response = Client().post(PAGE, {})
    assert response.status_code == 400
    assert "Chọn tệp PDF" in response.content.decode()


def test_the_api_without_a_file_names_the_field(db):
    response = APIClient().post(API, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_the_upload_is_read_no_further_than_the_limit(settings):
    settings.DOCUMENTS_VERIFY_MAX_BYTES = 1024
    stream = io.BytesIO(b"%PDF-" + b"0" * 4096)
    stream.size = None  # a stream that does not tell its size
    assert verify.verify_upload(stream).outcome == "too_large"


def test_with_a_timestamp_authority_the_signature_is_b_t_and_its_time_is_the_authoritys(demo_pki, monkeypatch):
    """PAdES B-T: the signature carries an RFC 3161 timestamp (here from pyHanko's local
    timestamper with a TSA certificate of the demo CA, standing in for DOCUMENTS_TSA_URL's)."""
    import datetime as dt

    from asn1crypto import keys, x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from documents import pki, signing

    root = pki.create_root()
    ca_cert = cx509.load_pem_x509_certificate(root.cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key(root.key_path.read_bytes(), password=None)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    tsa_cert = (
        cx509.CertificateBuilder()
        .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "DEMO TSA")]))
        .issuer_name(ca_cert.subject)
        .public_key(tsa_key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    stamper = DummyTimeStamper(
        tsa_cert=x509.Certificate.load(tsa_cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
    )
    monkeypatch.setattr(signing, "timestamper", lambda: stamper)
    verdict = verify.verify_pdf(sign_blank(demo_pki, key_name="b-t"))
    assert verdict.outcome == "ok", verdict.message
    assert verdict.signatures[0].timestamped
    assert abs(verdict.signatures[0].signed_at - now) < dt.timedelta(minutes=5)


def test_a_configured_timestamp_authority_is_used_over_http(settings):
    from pyhanko.sign.timestamps import HTTPTimeStamper

    from documents import signing

    settings.DOCUMENTS_TSA_URL = "http://127.0.0.1:9/tsa"
    assert isinstance(signing.timestamper(), HTTPTimeStamper)
    settings.DOCUMENTS_TSA_URL = ""
    assert signing.timestamper() is None

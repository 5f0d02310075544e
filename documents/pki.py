"""The demo's own small certification authority: a root and one certificate per demo signer.

Demo only. Every certificate's subject says DEMO (organisation "DEMO — không có giá trị pháp
lý"), its keys are written under ``DOCUMENTS_DEMO_PKI_DIR`` (``var/demo-pki``), and nothing
here runs in production (``refuse_in_production``): there, an officer's key stays in the
remote signing service (CSC) or on their own token.

Keys are RSA (3072 bits for the root, 2048 for a signer, Circular 15/2025/TT-BKHCN's minimum);
the documents are signed with RSASSA-PSS and SHA-256 (``documents.signing``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEMO_ORGANISATION = "DEMO — không có giá trị pháp lý"
ROOT_NAME = "DEMO CTMTQG Giảm nghèo — Root CA"
ROOT_CERT, ROOT_KEY = "root-ca.pem", "root-ca.key"
SIGNER_KEY_BITS = 2048
ROOT_KEY_BITS = 3072
VALID_YEARS = 10


@dataclass(frozen=True)
class Credential:
    """A certificate with its private key and its chain up to the root (PEM files)."""

    cert_path: Path
    key_path: Path
    chain: tuple[Path, ...]


def refuse_in_production() -> None:
    if not settings.DEMO:
        raise ImproperlyConfigured("The demo CA and demo keys exist only in demo mode (APP_MODE=demo).")


def pki_dir() -> Path:
    return Path(settings.DOCUMENTS_DEMO_PKI_DIR)


def _name(common_name: str, *, title: str = "", unit: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit[:64]))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title[:64]))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(attributes)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _load(cert_path: Path, key_path: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return cert, key


def create_root(directory: Path | None = None, *, name: str = ROOT_NAME) -> Credential:
    """A self-signed root CA in ``directory`` (the demo's by default); kept if it exists."""
    refuse_in_production()
    directory = directory or pki_dir()
    cert_path, key_path = directory / ROOT_CERT, directory / ROOT_KEY
    if cert_path.exists() and key_path.exists():
        return Credential(cert_path, key_path, (cert_path,))
    key = rsa.generate_private_key(public_exponent=65537, key_size=ROOT_KEY_BITS)
    subject = _name(name)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(key_path, key)
    _write_cert(cert_path, cert)
    return Credential(cert_path, key_path, (cert_path,))


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "signer"


def issue_signer(
    root: Credential, *, key_name: str, common_name: str, title: str = "", unit: str = "", directory: Path | None = None
) -> Credential:
    """A signing certificate under ``root`` for one signer (kept if it exists): key usage
    digital signature and non-repudiation, the demo's organisation in its subject."""
    refuse_in_production()
    directory = (directory or root.cert_path.parent) / "signers"
    cert_path, key_path = directory / f"{slug(key_name)}.pem", directory / f"{slug(key_name)}.key"
    if not (cert_path.exists() and key_path.exists()):
        ca_cert, ca_key = _load(root.cert_path, root.key_path)
        key = rsa.generate_private_key(public_exponent=65537, key_size=SIGNER_KEY_BITS)
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"DEMO {common_name}", title=title, unit=unit))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * 3))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(key_path, key)
        _write_cert(cert_path, cert)
    return Credential(cert_path, key_path, (root.cert_path,))


def demo_root() -> Credential:
    """The demo root, created on first use (demo only)."""
    return create_root()


def demo_credential_for(user) -> Credential:
    """The demo certificate of a signer (created on first use, demo only): the subject carries
    the officer's name and title, prefixed DEMO."""
    from directory.models import Membership

    membership = Membership.objects.filter(user=user).exclude(title="").select_related("agency").first()
    return issue_signer(
        demo_root(),
        key_name=user.username,
        common_name=user.display_name,
        title=membership.title if membership else "",
        unit=membership.agency.name if membership else "",
    )

"""The demo CA: a root and DEMO certificates for the signers, refused in production."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from directory.models import Agency
from documents import pki
from documents.models import AgencyExchangeCode
from tests.documents.conftest import COMMUNE_HEAD, user


def test_the_command_makes_demo_codes_and_a_demo_certificate_that_chains_to_the_demo_root(demo, demo_pki):
    call_command("documents_demo_ca", "--root-only")
    assert AgencyExchangeCode.objects.count() == Agency.objects.count()
    assert AgencyExchangeCode.objects.exclude(code__startswith="DEMO.").count() == 0
    credential = pki.demo_credential_for(user(COMMUNE_HEAD))
    assert credential.cert_path.parent.parent == demo_pki
    from asn1crypto import pem, x509

    cert = x509.Certificate.load(pem.unarmor(credential.cert_path.read_bytes())[2])
    root = x509.Certificate.load(pem.unarmor((demo_pki / "root-ca.pem").read_bytes())[2])
    assert "DEMO" in cert.subject.human_friendly and cert.public_key.bit_size == 2048
    import asyncio

    validator = CertificateValidator(cert, validation_context=ValidationContext(trust_roots=[root]))
    path = asyncio.run(validator.async_validate_usage({"non_repudiation"}))
    assert path is not None
    assert oct(credential.key_path.stat().st_mode & 0o777) == "0o600"


def test_the_demo_ca_is_refused_in_production(db, settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="demo mode"):
        call_command("documents_demo_ca", "--root-only")

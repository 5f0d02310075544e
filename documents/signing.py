"""Signing the issued PDF with pyHanko: PAdES baseline B-B (B-T when ``DOCUMENTS_TSA_URL`` names
a timestamp authority), RSASSA-PSS with SHA-256 (Circular 15/2025/TT-BKHCN), a visible field
where the signature block is, showing the signer's name, title and capacity (TM./KT.).

Three ways to the signer's key, one signature format:

- ``demo``: the demo's own CA and a demo key per signer under ``var/demo-pki`` (``documents.pki``;
  refused in production);
- ``csc``: a remote signing service speaking the Cloud Signature Consortium API v1 (pyHanko's
  ``CSCSigner``; the key never leaves the service);
- ``token``: the officer's own token, in two steps (pyHanko's interrupted signing): the server
  prepares the PDF and the signed attributes and hands out their bytes to sign, the officer's
  side (browser extension, token middleware) returns the raw RSASSA-PSS signature, the server
  embeds it (``token_prepare`` / ``token_finish``).
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from asn1crypto import cms, x509
from django.conf import settings
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.render import SignatureBox

# fontTools logs every subset step at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FIELD_NAME = "ChuKySo"
DIGEST = "sha256"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
STAMP_TEXT = "%(capacity)s\nKý bởi: %(signer)s\nChức vụ: %(title)s\nThời gian ký: %(ts)s"


class SigningFailed(Exception):
    """The signer could not sign (service unreachable, refused, misconfigured)."""


@dataclass(frozen=True)
class Appearance:
    """What the visible signature shows and where."""

    signer_name: str
    title: str  # "Chủ tịch", "Phó Chủ tịch"
    capacity: str  # "TM. ỦY BAN NHÂN DÂN · KT. CHỦ TỊCH"
    location: str  # "Lai Châu"
    box: SignatureBox

    def text_params(self) -> dict[str, str]:
        return {"capacity": self.capacity, "signer": self.signer_name, "title": self.title}


def font_file() -> str:
    configured = getattr(settings, "DOCUMENTS_SIGNATURE_FONT", "")
    for candidate in (configured, *FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    raise SigningFailed("no font with Vietnamese letters for the visible signature (apt-get install fonts-liberation2)")


# The letters the visible signature may print: Latin with Vietnamese (and its combining
# marks), general punctuation and the middle dot.
FONT_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x324),
    *range(0x1EA0, 0x1EFA),
    *range(0x2000, 0x2070),
]


@cache
def _font_bytes(path: str) -> bytes:
    """The font cut to the letters above and scaled to 1000 units per em: pyHanko writes the
    glyph widths (/W) in the font's own units, which PDF reads as thousandths of an em, so a
    2048-unit TrueType font (Liberation, DejaVu) would print with every letter spaced apart.
    Scaling the whole font takes seconds: the result is kept beside the temporary files,
    named by the font's path, size and time."""
    import hashlib
    import tempfile

    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    stat = Path(path).stat()
    key = hashlib.sha256(f"{path}:{stat.st_size}:{stat.st_mtime_ns}:v1".encode()).hexdigest()[:16]
    cached = Path(tempfile.gettempdir()) / f"ctmtqg-signature-font-{key}.ttf"
    if cached.exists():
        return cached.read_bytes()
    font = TTFont(path)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=FONT_UNICODES)
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    buffer = io.BytesIO()
    font.save(buffer)
    data = buffer.getvalue()
    partial = cached.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(cached)  # atomic: a parallel job reads the whole file or none
    return data


class FontInMemory(GlyphAccumulatorFactory):
    """pyHanko's OpenType font engine, fed from memory: its own factory opens the font file
    and never closes it."""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_bytes(self.font_file)),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


def _stamp_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=TextBoxStyle(font=FontInMemory(font_file(), font_size=7)),
        border_width=1,
        timestamp_format="%d/%m/%Y %H:%M:%S %z",
        background=None,
    )


def timestamper() -> timestamps.TimeStamper | None:
    url = getattr(settings, "DOCUMENTS_TSA_URL", "")
    return timestamps.HTTPTimeStamper(url) if url else None


def pdf_signer(signer: signers.Signer, appearance: Appearance) -> signers.PdfSigner:
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        name=appearance.signer_name,
        location=appearance.location,
        reason=appearance.capacity,
    )
    return signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper(),
        stamp_style=_stamp_style(),
        new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=appearance.box.page, box=appearance.box.box),
    )


async def _sign_with(signer: signers.Signer, pdf: bytes, appearance: Appearance) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = await pdf_signer(signer, appearance).async_sign_pdf(writer, appearance_text_params=appearance.text_params())
    return out.getvalue()


# --- demo: the demo CA's keys on this server --------------------------------------------------


def local_signer(*, key_path: Path, cert_path: Path, chain: tuple[Path, ...]) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load(
        str(key_path), str(cert_path), ca_chain_files=[str(p) for p in chain], prefer_pss=True
    )
    if signer is None:
        raise SigningFailed("the demo key or certificate could not be read")
    return signer


def sign_local(
    pdf: bytes, appearance: Appearance, *, key_path: Path, cert_path: Path, chain: tuple[Path, ...]
) -> bytes:
    signer = local_signer(key_path=key_path, cert_path=cert_path, chain=chain)
    return asyncio.run(_sign_with(signer, pdf, appearance))


# --- csc: a remote signing service -----------------------------------------------------------


def _csc_authorization_manager():
    from pyhanko.sign.signers import csc_signer

    class ServiceAuthorization(csc_signer.CSCAuthorizationManager):
        """SAD from ``credentials/authorize``, pinned to the hashes about to be signed (SCAL 2);
        the service's own means (OTP, app approval) authorise the officer."""

        def __init__(self, session_info, credential_info, session):
            super().__init__(session_info, credential_info)
            self.session = session

        async def authorize_signature(self, hash_b64s):
            import aiohttp

            url = self.csc_session_info.endpoint_url("credentials/authorize")
            try:
                async with self.session.post(
                    url,
                    headers=self.auth_headers,
                    json=self.format_csc_auth_request(hash_b64s=hash_b64s),
                    raise_for_status=True,
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as response:
                    return self.parse_csc_auth_response(await response.json())
            except aiohttp.ClientError as exc:
                raise SigningFailed(f"the signing service refused the authorisation: {exc}") from exc

    return ServiceAuthorization


async def _sign_csc(pdf: bytes, appearance: Appearance, *, service_url: str, credential_id: str, token: str) -> bytes:
    import aiohttp
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.signers import csc_signer

    info = csc_signer.CSCServiceSessionInfo(
        service_url=service_url, credential_id=credential_id, oauth_token=token or None
    )
    async with aiohttp.ClientSession() as session:
        try:
            credential = await csc_signer.fetch_certs_in_csc_credential(session, info)
            manager = _csc_authorization_manager()(info, credential, session)
            signer = csc_signer.CSCSigner(session, manager, prefer_pss=True, sign_timeout=120)
            return await _sign_with(signer, pdf, appearance)
        except SigningError as exc:
            raise SigningFailed(f"the remote signing service failed: {exc}") from exc


def sign_csc(pdf: bytes, appearance: Appearance, *, service_url: str, credential_id: str, token: str = "") -> bytes:
    return asyncio.run(_sign_csc(pdf, appearance, service_url=service_url, credential_id=credential_id, token=token))


# --- token: the officer's own token, a prepared hash -----------------------------------------


@dataclass(frozen=True)
class PreparedSignature:
    """What the server keeps between the two steps, and what the officer's side signs."""

    prepared_pdf: bytes  # the PDF with the signature placeholder
    reserved_start: int
    reserved_end: int
    document_digest: bytes
    signed_attributes: bytes  # DER of the CMS signed attributes: the bytes the token signs
    certificate: bytes  # DER of the officer's certificate
    chain: tuple[bytes, ...]

    @property
    def to_sign(self) -> bytes:
        return self.signed_attributes


def _external(certificate: bytes, chain: tuple[bytes, ...], signature: bytes | int = 256) -> signers.ExternalSigner:
    cert = x509.Certificate.load(certificate)
    registry = SimpleCertificateStore.from_certs([x509.Certificate.load(c) for c in chain])
    return signers.ExternalSigner(cert, registry, signature_value=signature, prefer_pss=True)


async def _token_prepare(pdf: bytes, appearance: Appearance, certificate: bytes, chain: tuple[bytes, ...]):
    signer = _external(certificate, chain, signature=cert_signature_size(certificate))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    prepared, _tbs, output = await pdf_signer(signer, appearance).async_digest_doc_for_signing(
        writer, appearance_text_params=appearance.text_params()
    )
    attributes = await signer.signed_attrs(prepared.document_digest, DIGEST, use_pades=True)
    return PreparedSignature(
        prepared_pdf=output.getvalue(),
        reserved_start=prepared.reserved_region_start,
        reserved_end=prepared.reserved_region_end,
        document_digest=prepared.document_digest,
        signed_attributes=attributes.dump(),
        certificate=certificate,
        chain=chain,
    )


def cert_signature_size(certificate: bytes) -> int:
    return x509.Certificate.load(certificate).public_key.bit_size // 8


def token_prepare(
    pdf: bytes, appearance: Appearance, *, certificate: bytes, chain: tuple[bytes, ...]
) -> PreparedSignature:
    """Step one: the PDF with room for the signature, and the bytes the officer's token signs
    (RSASSA-PSS, SHA-256, salt 32 bytes: ``signature_parameters``)."""
    return asyncio.run(_token_prepare(pdf, appearance, certificate, chain))


async def _token_finish(prepared: PreparedSignature, signature: bytes) -> bytes:
    signer = _external(prepared.certificate, prepared.chain, signature=signature)
    attributes = cms.CMSAttributes.load(prepared.signed_attributes)
    container = await signer.async_sign_prescribed_attributes(
        DIGEST, signed_attrs=attributes, timestamper=timestamper()
    )
    digest = PreparedByteRangeDigest(
        document_digest=prepared.document_digest,
        reserved_region_start=prepared.reserved_start,
        reserved_region_end=prepared.reserved_end,
    )
    output = io.BytesIO(prepared.prepared_pdf)
    await PdfTBSDocument.async_finish_signing(output, digest, container)
    return output.getvalue()


def token_finish(prepared: PreparedSignature, signature: bytes) -> bytes:
    """Step two: the officer's signature over ``prepared.to_sign`` embedded in the PDF."""
    return asyncio.run(_token_finish(prepared, signature))


def signature_parameters(certificate: bytes) -> dict:
    """The mechanism the officer's side must use, as the CMS will declare it."""
    mechanism = _external(certificate, ()).get_signature_mechanism_for_digest(DIGEST)
    return {
        "algorithm": mechanism["algorithm"].dotted,
        "parameters": base64.b64encode(mechanism["parameters"].dump()).decode("ascii"),
        "hash": DIGEST,
        "salt_length": mechanism["parameters"]["salt_length"].native,
    }


def prepared_to_json(prepared: PreparedSignature) -> dict:
    b64 = lambda data: base64.b64encode(data).decode("ascii")  # noqa: E731
    return {
        "prepared_pdf": b64(prepared.prepared_pdf),
        "reserved_start": prepared.reserved_start,
        "reserved_end": prepared.reserved_end,
        "document_digest": b64(prepared.document_digest),
        "signed_attributes": b64(prepared.signed_attributes),
        "certificate": b64(prepared.certificate),
        "chain": [b64(c) for c in prepared.chain],
    }


def prepared_from_json(data: dict) -> PreparedSignature:
    d = base64.b64decode
    return PreparedSignature(
        prepared_pdf=d(data["prepared_pdf"]),
        reserved_start=int(data["reserved_start"]),
        reserved_end=int(data["reserved_end"]),
        document_digest=d(data["document_digest"]),
        signed_attributes=d(data["signed_attributes"]),
        certificate=d(data["certificate"]),
        chain=tuple(d(c) for c in data.get("chain", [])),
    )


def token_signature_matches(prepared: PreparedSignature, signature: bytes) -> bool:
    """The officer's signature checks against their certificate's key over the prepared bytes
    (RSASSA-PSS, SHA-256, the salt the CMS declares)."""
    from cryptography import x509 as crypto_x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = crypto_x509.load_der_x509_certificate(prepared.certificate).public_key()
    salt = signature_parameters(prepared.certificate)["salt_length"]
    try:
        key.verify(
            signature,
            prepared.to_sign,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True

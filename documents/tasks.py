"""The job that renders a plan's document to PDF and signs it (Celery; eager in the tests)."""

from __future__ import annotations

import base64
import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def document_render_and_sign(document_id: int) -> str:
    """Render the .docx of the plan as it stands, find the signature block, sign (demo key,
    remote CSC service) or prepare the hash for the officer's token; store the signed PDF.
    A failure is recorded on the document (the page shows it), never half a file."""
    from documents import pki, render, services, signing
    from documents.models import DocumentStatus, IssuedDocument, SignerCredential, SigningBackend
    from planning import exports

    document = IssuedDocument.objects.select_related("plan__unit", "plan__cycle__period", "signer").get(pk=document_id)
    if document.status != DocumentStatus.QUEUED:
        return document.status
    try:
        services.document_mark(document=document, status=DocumentStatus.RENDERING)
        plan = document.plan
        docx = exports.plan_docx(plan, signer=document.signer, on_behalf_of=document.on_behalf_of)
        pdf = render.docx_to_pdf(docx)
        capacity_lines = exports.signature_block(plan, document.signer, document.on_behalf_of)[:-2]
        box = render.signature_box(pdf, capacity_lines=capacity_lines, name=document.signer_name)
        pages = render.page_count(pdf)
        document.pages = pages
        document.save(update_fields=["pages"])
        appearance = signing.Appearance(
            signer_name=document.signer_name,
            title=document.signer_title.capitalize(),
            capacity=document.capacity.replace(" / ", " · ") or document.signer_title,
            location=document.place,
            box=box,
        )
        services.document_mark(document=document, status=DocumentStatus.SIGNING)
        if document.backend == SigningBackend.DEMO:
            credential = pki.demo_credential_for(document.signer)
            signed = signing.sign_local(
                pdf, appearance, key_path=credential.key_path, cert_path=credential.cert_path, chain=credential.chain
            )
        elif document.backend == SigningBackend.CSC:
            if not settings.DOCUMENTS_CSC_URL:
                raise signing.SigningFailed("DOCUMENTS_CSC_URL is not set")
            own = SignerCredential.objects.filter(user=document.signer).first()
            signed = signing.sign_csc(
                pdf,
                appearance,
                service_url=settings.DOCUMENTS_CSC_URL,
                credential_id=own.csc_credential_id if own else document.signer.username,
                token=settings.DOCUMENTS_CSC_TOKEN,
            )
        else:
            prepared = signing.token_prepare(
                pdf,
                appearance,
                certificate=base64.b64decode(document.prepared["certificate"]),
                chain=tuple(base64.b64decode(c) for c in document.prepared.get("chain", [])),
            )
            services.document_mark(
                document=document,
                status=DocumentStatus.AWAITING_SIGNATURE,
                prepared=signing.prepared_to_json(prepared),
            )
            return DocumentStatus.AWAITING_SIGNATURE
        services.document_store(document=document, pdf=signed, pages=pages)
    except (render.RenderError, signing.SigningFailed, pki.ImproperlyConfigured, OSError) as exc:
        logger.warning("issuing document %s failed: %s", document_id, exc)
        services.document_mark(document=document, status=DocumentStatus.FAILED, error=str(exc)[:2000])
        return DocumentStatus.FAILED
    except Exception as exc:  # a bug or a library's surprise: recorded, so the plan can be reissued
        logger.exception("issuing document %s failed unexpectedly", document_id)
        services.document_mark(document=document, status=DocumentStatus.FAILED, error=str(exc)[:2000])
        return DocumentStatus.FAILED
    return DocumentStatus.ISSUED

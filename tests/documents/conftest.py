"""Fixtures of the issued documents: a demo CA of the test session (never var/), a plan of the
demo signed off by its commune chair with its number and date, and the renderer's tools."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from directory.models import User
from planning.models import Plan, Structure
from tests.complete import complete
from tests.office import require_office_tools

COMMUNE_HEAD, COMMUNE_DRAFTER = "t3-c03592-ubnd-head", "t3-c03592-ubnd-drafter"  # xã Sin Suối Hồ
OUTSIDER = "t2-c03388-ubnd-drafter"  # a two-tier commune: no business with a 2023 three-tier plan
NUMBER = "15/KH-UBND"
ISSUED_ON = dt.date(2023, 11, 20)
TOOLS = ("soffice", "pdftotext", "pdffonts")


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture(scope="session")
def pki_root(tmp_path_factory):
    """The demo CA of this test session, in a temporary folder."""
    return tmp_path_factory.mktemp("demo-pki")


@pytest.fixture(autouse=True)
def demo_pki(settings, pki_root):
    settings.DOCUMENTS_DEMO_PKI_DIR = pki_root
    settings.DOCUMENTS_TRUST_ROOTS = [str(pki_root / "root-ca.pem")]
    settings.DOCUMENTS_SIGNING_BACKEND = "demo"
    settings.DOCUMENTS_TSA_URL = ""
    from documents import pki

    pki.create_root()
    return pki_root


@pytest.fixture(scope="session")
def renderer_tools():
    """LibreOffice and poppler: skipped on a laptop without them, a failure under
    REQUIRE_POSTGRES=1 (CI, where .ci/run installs them), as tests/planning/test_documents.py."""
    require_office_tools(tools=TOOLS, font="Liberation", purpose="issuing")


@pytest.fixture
def unnumbered_plan(demo) -> Plan:
    """Xã Sin Suối Hồ's 2023 plan, complete, submitted by the commune chair (the audit trail's
    signing decision), without a number or date yet: its header is locked, as in the demo."""
    from workflows import services as workflows

    plan = Plan.objects.get(
        unit__structure=Structure.THREE_TIER, unit__code="03592", cycle__year=2023, plan_type="annual"
    )
    plan = complete(plan)
    workflows.plan_act(actor=user(COMMUNE_HEAD), plan_id=plan.pk, action="submit")
    Plan.objects.filter(pk=plan.pk).update(place="Sin Suối Hồ")
    plan.refresh_from_db()
    return plan


@pytest.fixture
def signed_off_plan(unnumbered_plan) -> Plan:
    """The same plan with its number and date."""
    Plan.objects.filter(pk=unnumbered_plan.pk).update(number_symbol=NUMBER, issued_on=ISSUED_ON)
    unnumbered_plan.refresh_from_db()
    return unnumbered_plan


@pytest.fixture
def issue(django_capture_on_commit_callbacks, renderer_tools):
    """Issue a plan's document as a user would, running the job (eager Celery) after commit."""
    from documents import services

    def _issue(plan: Plan, username: str = COMMUNE_DRAFTER, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            document = services.document_issue(actor=user(username), plan_id=plan.pk, **kwargs)
        document.refresh_from_db()
        return document

    return _issue


def atomic():
    return transaction.atomic()


def blank_pdf() -> bytes:
    """A one-page A4 PDF without a signature (pyHanko's writer), for tests that need no plan."""
    import io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter()
    content = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td ET"))
    box = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)])
    page = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Page"),
            generic.pdf_name("/MediaBox"): box,
            generic.pdf_name("/Contents"): content,
        }
    )
    writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def appearance():
    from documents.render import SignatureBox
    from documents.signing import Appearance

    return Appearance(
        signer_name="Nguyễn Văn Demo",
        title="Chủ tịch",
        capacity="TM. ỦY BAN NHÂN DÂN",
        location="Lai Châu",
        box=SignatureBox(0, (320, 500, 530, 570)),
    )


def sign_blank(root_dir, *, key_name: str = "nguyen-van-demo") -> bytes:
    """A blank PDF signed by a certificate of the demo CA in ``root_dir`` (the project's signing)."""
    from documents import pki, signing

    root = pki.create_root(root_dir)
    credential = pki.issue_signer(root, key_name=key_name, common_name="Nguyễn Văn Demo", title="Chủ tịch")
    return signing.sign_local(
        blank_pdf(), appearance(), key_path=credential.key_path, cert_path=credential.cert_path, chain=credential.chain
    )


def flip_one_byte(pdf: bytes) -> bytes:
    """The file with one byte changed inside the signed range where the file still parses: a
    digit of the page's text position (the blank PDF) or a letter of the producer's name
    (LibreOffice's PDF)."""
    signed_up_to = pdf.index(b"/ByteRange")
    at = next(pdf.index(marker) for marker in (b"72 720", b"LibreOffice") if 0 <= pdf.find(marker) < signed_up_to)
    changed = bytearray(pdf)
    changed[at] ^= 0x01
    return bytes(changed)

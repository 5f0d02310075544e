"""A commune's 2023 plan in three-tier Lai Châu (xã Sin Suối Hồ), reviewed by the district
(Phòng LĐTBXH Phong Thổ); the outsider is a two-tier commune elsewhere."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_HEAD, OUTSIDER, as_user, plan_of  # noqa: F401

REASON = "Đề nghị ghi rõ số hộ tham gia mô hình và bổ sung biên bản họp dân."
LINE_COMMENT = "Kinh phí mô hình chưa khớp với số hộ."


@pytest.fixture
def commune_plan(demo):
    return complete(plan_of("03592"))


@pytest.fixture
def returned(commune_plan, as_user):  # noqa: F811 (the workflows fixture, imported above)
    """Submitted by the commune's head, returned by the district with a reason and a line comment."""
    as_user(C_HEAD).act(commune_plan, "submit")
    line = commune_plan.lines.select_related("item").order_by("position").first()
    as_user(D_HEAD).act(
        commune_plan, "return", comment=REASON, line_comments=[{"line": line.item.code, "comment": LINE_COMMENT}]
    )
    commune_plan.refresh_from_db()
    commune_plan.returned_line = line
    return commune_plan


# --- files, by content ------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x02\x00\x3e\x00" + b"\x00" * 64
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00" + b"\x00" * 64


def docx_bytes() -> bytes:
    from docx import Document

    buffer = io.BytesIO()
    document = Document()
    document.add_paragraph("Tờ trình về việc phê duyệt kế hoạch")
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Biểu tổng hợp"
    book.save(buffer)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office document")
        archive.writestr("run.sh", "#!/bin/sh\necho hi\n")
    return buffer.getvalue()


def macro_workbook() -> bytes:
    """A zip with [Content_Types].xml declaring a macro-enabled workbook (.xlsm), not .xlsx."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"\x00" * 16)
    return buffer.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")

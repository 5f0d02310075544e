"""What an uploaded file is, read from its bytes, never from its name.

``filetype`` (PyPI, no dependencies) reads the magic bytes of PDF, PNG and JPEG; a .docx or
.xlsx is a zip, so it is opened with Python's ``zipfile`` and accepted only when its
``[Content_Types].xml`` declares the main part of a Word document or an Excel workbook (a
macro-enabled workbook declares another type and is refused, as is any other zip)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

import filetype

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The content type of the main part each OOXML package must declare.
OOXML_MAIN = {
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
EXTENSIONS = {PDF: ("pdf",), PNG: ("png",), JPEG: ("jpg", "jpeg"), DOCX: ("docx",), XLSX: ("xlsx",)}
LABELS = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG", DOCX: "Word (.docx)", XLSX: "Excel (.xlsx)"}
HEAD_BYTES = 8192


@dataclass(frozen=True)
class Detected:
    mime: str

    @property
    def label(self) -> str:
        return LABELS[self.mime]


def _ooxml_type(fileobj) -> str | None:
    """DOCX or XLSX when the zip is that package, else None (a broken zip too)."""
    try:
        with zipfile.ZipFile(fileobj) as package:
            names = set(package.namelist())
            if "[Content_Types].xml" not in names:
                return None
            declared = package.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError, NotImplementedError):
        return None
    for mime, main in OOXML_MAIN.items():
        if f'ContentType="{main}"' in declared:
            return mime
    return None


def detect(fileobj) -> Detected | None:
    """The accepted type of ``fileobj`` (a seekable binary file), or None when it is none of them."""
    fileobj.seek(0)
    head = fileobj.read(HEAD_BYTES)
    fileobj.seek(0)
    if not head:
        return None
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in (PDF, PNG, JPEG):
        return Detected(mime)
    if mime in (DOCX, XLSX, "application/zip") or head.startswith(b"PK\x03\x04"):
        found = _ooxml_type(fileobj)
        fileobj.seek(0)
        return Detected(found) if found else None
    return None


def extension_fits(name: str, detected: Detected) -> bool:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return suffix in EXTENSIONS[detected.mime]

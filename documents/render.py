"""The official document as PDF: the plan's .docx (``planning.exports.plan_docx``, the one
source of the document) converted by LibreOffice headless, and where its signature block is.

LibreOffice (Debian's ``libreoffice-writer-nogui``) rather than an HTML/CSS renderer: the .docx
already lays out Decree 30's page (A4, margins, the header table, the landscape annex) and is
tested page by page; a second layout in HTML would drift from it. LibreOffice embeds the
fonts it uses (Liberation Serif 2, Times New Roman's metrics with every Vietnamese letter)
as subsets; ``pdffonts`` on the result lists each one "emb yes".

The signature field goes where the block is: poppler's ``pdftotext -bbox`` gives every word's
box, the signer's name is found on the page of the text (before the annex), and the field
fills the blank room between the capacity lines and the name (``SignatureBox``).
"""

# ruff: noqa: S603, S607 — fixed tool names and arguments; the inputs are files this module writes

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_SECONDS = 180
FIELD_WIDTH_PT = 210  # the visible field, centred on the block (its column is 9 cm wide)
MIN_HEIGHT_PT = 48


class RenderError(Exception):
    """LibreOffice or poppler failed, or the signature block was not found."""


@dataclass(frozen=True)
class SignatureBox:
    page: int  # 0-based
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in PDF points, origin bottom left


def docx_to_pdf(docx: bytes) -> bytes:
    """The .docx as PDF (LibreOffice with a profile of its own, so parallel jobs do not share one)."""
    with tempfile.TemporaryDirectory(prefix="documents-render-") as tmp:
        directory = Path(tmp)
        source = directory / "document.docx"
        source.write_bytes(docx)
        profile = (directory / "profile").as_uri()
        try:
            subprocess.run(
                [
                    *("soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore"),
                    *("--convert-to", "pdf:writer_pdf_Export", "--outdir", str(directory), str(source)),
                ],
                check=True,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise RenderError(f"LibreOffice could not convert the document: {exc}") from exc
        pdf = directory / "document.pdf"
        if not pdf.exists():
            raise RenderError("LibreOffice produced no PDF")
        return pdf.read_bytes()


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def words_by_page(pdf: bytes) -> list[tuple[float, float, list[tuple[float, float, float, float, str]]]]:
    """Each page's (width, height, words with their boxes, top-left origin), from poppler."""
    try:
        out = subprocess.run(
            ["pdftotext", "-bbox", "-", "-"], input=pdf, check=True, capture_output=True, timeout=60
        ).stdout.decode("utf-8")
    except (OSError, subprocess.SubprocessError) as exc:
        raise RenderError(f"pdftotext could not read the PDF: {exc}") from exc
    pages = []
    for width, height, body in _PAGE.findall(out):
        words = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in _WORD.findall(body)]
        pages.append((float(width), float(height), words))
    return pages


def _find_line(words, wanted: list[str]) -> list[int]:
    """Start indexes of the word sequence ``wanted`` in the page's words."""
    n = len(wanted)
    return [i for i in range(len(words) - n + 1) if [w[4] for w in words[i : i + n]] == wanted]


def signature_box(pdf: bytes, *, capacity_lines: list[str], name: str) -> SignatureBox:
    """The room between the last capacity line ("CHỦ TỊCH") and the signer's name, on the
    first page where both stand one above the other (the annex follows on later pages)."""
    last_capacity = capacity_lines[-1].split()
    for index, (width, height, words) in enumerate(words_by_page(pdf)):
        for start in _find_line(words, name.split()):
            name_words = words[start : start + len(name.split())]
            top = min(w[1] for w in name_words)
            above = [
                words[i : i + len(last_capacity)]
                for i in _find_line(words, last_capacity)
                if max(w[3] for w in words[i : i + len(last_capacity)]) < top
            ]
            if not above:
                continue
            capacity = max(above, key=lambda ws: ws[0][3])  # the nearest line above the name
            bottom_of_capacity = max(w[3] for w in capacity)
            centre = (min(w[0] for w in name_words + capacity) + max(w[2] for w in name_words + capacity)) / 2
            x1 = max(0, centre - FIELD_WIDTH_PT / 2)
            x2 = min(width, centre + FIELD_WIDTH_PT / 2)
            y_top = height - bottom_of_capacity - 2
            y_bottom = height - top + 2
            if y_top - y_bottom < MIN_HEIGHT_PT:
                y_bottom = y_top - MIN_HEIGHT_PT
            return SignatureBox(index, (round(x1), round(y_bottom), round(x2), round(y_top)))
    raise RenderError("the signature block was not found in the rendered PDF")


def page_count(pdf: bytes) -> int:
    return len(words_by_page(pdf))

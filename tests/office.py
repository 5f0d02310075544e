"""LibreOffice, poppler and the Liberation 2 fonts, which the document tests render with: skipped
on a laptop without them, a failure under REQUIRE_POSTGRES=1 (CI, where .ci/run installs them)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.conf import settings

PACKAGES = "libreoffice-writer-nogui fonts-liberation2 poppler-utils"
VIETNAMESE_LETTER = "1edd"  # "ờ": Liberation 1.x lacks it (a wider fallback font moves page breaks)


def require_office_tools(*, tools: tuple[str, ...], font: str, purpose: str) -> None:
    """Skip (or fail in CI) unless every tool is on PATH and ``font`` (a family name's start)
    has the Vietnamese letters."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        families = subprocess.run(
            ["fc-list", f":charset={VIETNAMESE_LETTER}", "family"], capture_output=True, text=True, check=False
        ).stdout
        if font not in families:
            missing.append(f"{font} with Vietnamese letters (fonts-liberation2)")
    if missing:
        reason = f"{purpose} needs {', '.join(missing)} (apt-get install {PACKAGES})"
        if settings.REQUIRE_POSTGRES:
            pytest.fail(f"{reason}; REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(reason)

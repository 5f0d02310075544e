"""Runs the client-side test of static/js/notifications.js with Node (fake DOM, no npm packages)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NODE = shutil.which("node")
SCRIPT = Path(__file__).parent / "js" / "notifications.test.js"


@pytest.mark.skipif(NODE is None, reason="needs Node.js")
def test_notifications_js_follows_the_socket_protocol():
    result = subprocess.run([NODE, str(SCRIPT)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "notifications.js: ok" in result.stdout

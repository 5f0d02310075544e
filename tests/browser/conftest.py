"""A real server for browser tests: uvicorn (HTTP + websockets) on a private demo database,
driven by Playwright with Debian's Chromium (no browser download)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server_env() -> dict[str, str]:
    """What a module's server needs besides the demo's environment (a module overrides it)."""
    return {}


@pytest.fixture(scope="module")
def live_server_url(tmp_path_factory, live_server_env):
    if not Path(CHROMIUM).exists():
        from django.conf import settings

        if os.environ.get("REQUIRE_BROWSER") == "1" or settings.REQUIRE_POSTGRES:
            pytest.fail("Chromium is not installed (apt-get install chromium); CI forbids skipping")
        pytest.skip("Chromium is not installed")
    db = tmp_path_factory.mktemp("browser") / "demo.sqlite3"
    port = _free_port()
    env = {
        **os.environ,
        "APP_MODE": "demo",
        "DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SCHEDULER_INTERVAL_SECONDS": "3600",
        **live_server_env,
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    subprocess.run([*manage, "load_demo"], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to a minute: the machine may be busy
            try:
                urllib.request.urlopen(f"{url}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API runs an event loop in this thread while it is open,
    and Django's sync test client refuses to run beside one, so it closes with the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def login(browser, live_server_url):
    from directory.demo import DEMO_PASSWORD

    contexts = []

    def _login(username: str, **context_options):
        """A page signed in as ``username``; ``context_options`` go to the browser context
        (a phone's viewport, say)."""
        context = browser.new_context(locale="vi-VN", **context_options)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server_url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server_url}/")
        return page

    yield _login
    for context in contexts:
        context.close()

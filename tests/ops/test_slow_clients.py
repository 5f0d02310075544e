"""Slow clients: what each layer of the shipped configuration enforces (deploy/README.md, "Slow
clients").

* The uvicorn command lines (systemd unit, compose, the image's CMD, prod-smoke) carry the same
  limits, and they fit the layers around them: uvicorn keeps idle upstream connections longer
  than nginx does, and stops within the service manager's grace period.
* nginx's configuration has the header, body, send and keep-alive timeouts and the body limit
  (prod-smoke exercises them against a running nginx when one is installed).
* uvicorn 0.54 itself, run with those flags: it closes an idle keep-alive connection, answers
  503 beyond --limit-concurrency and gives up on a hanging request at shutdown — and it keeps a
  client that trickles its headers, or sends nothing, for as long as it likes. That last test
  documents the gap nginx closes; if it fails, uvicorn gained a header timeout and the README's
  table should say so.
"""

from __future__ import annotations

import itertools
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SHIPPED = {
    "--http": "httptools",
    "--timeout-keep-alive": "75",
    "--timeout-graceful-shutdown": "25",
    "--ws-max-size": "65536",
    "--ws-ping-interval": "20",
    "--ws-ping-timeout": "20",
}


def _flags(words: list[str]) -> dict[str, str]:
    """``--flag value`` pairs of a command line (flags without a value are left out)."""
    words = [w for w in words if w != "\\"]
    pairs = itertools.pairwise(words)
    return {flag: value for flag, value in pairs if flag.startswith("--") and not value.startswith("--")}


def uvicorn_command_lines() -> dict[str, dict[str, str]]:
    unit = (DEPLOY / "systemd" / "ctmtqg-web.service").read_text()
    exec_start = re.search(r"^ExecStart=(.*?)(?<!\\)$", unit, re.MULTILINE | re.DOTALL).group(1)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    web = compose["services"]["web"]["command"][-1]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*?\])$", dockerfile, re.MULTILINE | re.DOTALL).group(1)
    smoke = (ROOT / "scripts" / "prod_smoke.sh").read_text()
    array = re.search(r"^UVICORN=\((.*?)\)$", smoke, re.MULTILINE | re.DOTALL).group(1)
    return {
        "systemd": _flags(shlex.split(exec_start.replace("\\\n", " "))),
        "compose": _flags(shlex.split(web)),
        "Dockerfile": _flags(yaml.safe_load(cmd.replace("\\\n", " "))),
        "prod-smoke": _flags(shlex.split(array)),
    }


@pytest.mark.parametrize("where", ["systemd", "compose", "Dockerfile", "prod-smoke"])
def test_every_shipped_uvicorn_has_the_same_limits(where):
    flags = uvicorn_command_lines()[where]
    assert {k: flags.get(k) for k in SHIPPED} == SHIPPED
    # A fixed 1000, or the env.example setting whose default is 1000 (compose escapes its $).
    assert flags["--limit-concurrency"] in {"1000", "${WEB_LIMIT_CONCURRENCY}", "$${WEB_LIMIT_CONCURRENCY:-1000}"}


def test_the_limits_fit_the_layers_around_uvicorn():
    nginx = (DEPLOY / "nginx" / "ctmtqg.conf").read_text()
    upstream = re.search(r"upstream ctmtqg_web \{(.*?)\}", nginx, re.DOTALL).group(1)
    nginx_upstream_idle = int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))
    # nginx drops an idle upstream connection before uvicorn would (no request on a closing one).
    assert nginx_upstream_idle < int(SHIPPED["--timeout-keep-alive"])
    # uvicorn gives up on hanging requests before systemd / compose kill it.
    unit = (DEPLOY / "systemd" / "ctmtqg-web.service").read_text()
    assert int(SHIPPED["--timeout-graceful-shutdown"]) < int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M).group(1))
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert int(SHIPPED["--timeout-graceful-shutdown"]) < int(compose["services"]["web"]["stop_grace_period"][:-1])


def test_nginx_times_out_slow_clients_and_limits_bodies():
    nginx = (DEPLOY / "nginx" / "ctmtqg.conf").read_text()
    tls = nginx[nginx.index("listen 443 ssl;") :]
    for directive in ("client_header_timeout", "client_body_timeout", "send_timeout", "keepalive_timeout"):
        assert re.search(rf"^\s*{directive} \d+s;", tls, re.MULTILINE), directive
    assert re.search(r"^\s*client_max_body_size 20m;", tls, re.MULTILINE)
    assert re.search(r"^\s*proxy_request_buffering on;", tls, re.MULTILINE)
    api = re.search(r"location /api/ \{(.*?)\}", tls, re.DOTALL).group(1)
    assert "error_page 413 @api_too_large;" in api
    assert '"code": "request_too_large"' in tls


# --- uvicorn itself ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Uvicorn:
    def __init__(self, *flags: str) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tests.ops.tiny_asgi:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--lifespan", "off", "--log-level", "warning", *flags],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("uvicorn did not start")

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        return sock

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def uvicorn() -> Iterator:
    started: list[Uvicorn] = []

    def start(*flags: str) -> Uvicorn:
        started.append(Uvicorn(*flags))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _get(sock: socket.socket) -> bytes:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock.recv(4096)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (the client sending nothing; what
    is left of an answer is read and dropped)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def test_uvicorn_closes_an_idle_keep_alive_connection(uvicorn):
    server = uvicorn("--http", "httptools", "--timeout-keep-alive", "1")
    with server.connect() as sock:
        assert _get(sock).startswith(b"HTTP/1.1 200")
        assert _closed_within(sock, 4)


def test_uvicorn_keeps_a_client_that_trickles_its_headers_or_sends_nothing(uvicorn):
    server = uvicorn("--http", "httptools", "--timeout-keep-alive", "1")
    with server.connect() as trickling, server.connect() as silent:
        trickling.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        trickling.settimeout(0.5)
        for n in range(6):  # 3 s of one header line every half second: 3 x the keep-alive timeout
            trickling.sendall(f"X-Slow-{n}: {n}\r\n".encode())
            with pytest.raises(TimeoutError):
                trickling.recv(4096)
        assert not _closed_within(silent, 0.1)  # nothing sent for 3 s, still open
        # Only the end of the headers makes it a request.
        trickling.settimeout(5)
        trickling.sendall(b"\r\n")
        assert trickling.recv(4096).startswith(b"HTTP/1.1 200")


def test_uvicorn_answers_503_beyond_its_concurrency_limit(uvicorn):
    server = uvicorn("--http", "httptools", "--limit-concurrency", "3")
    held = [server.connect() for _ in range(3)]  # idle connections count, as slow ones would
    try:
        time.sleep(0.3)
        with server.connect() as sock:
            assert _get(sock).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    with server.connect() as sock:
        assert _get(sock).startswith(b"HTTP/1.1 200")


def test_uvicorn_gives_up_on_a_hanging_request_at_shutdown(uvicorn):
    server = uvicorn("--http", "httptools", "--timeout-graceful-shutdown", "1")
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")  # 90 bytes owed
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        server.process.wait(10)
        assert time.monotonic() - started < 5

"""The production smoke run's Python half; scripts/prod_smoke.sh starts the processes and calls it.

Subcommands:

* ``bootstrap``: under production settings, load the programme catalogue and a cycle, and create
  three officers with random passwords (not the demo loader, which production refuses). Prints
  JSON for the scenario.
* ``smtp-sink``: a tiny SMTP server that writes every message it receives to a folder, so the
  Celery worker's e-mail goes over a real SMTP conversation and can be checked.
* ``scenario``: drives the running system over HTTP and websockets, as a browser and an API
  client would, and asserts what a person would see.

The processes run as the restricted application role (``DATABASE_URL``; deploy/roles.sql): the
scenario checks that every connection to the database is that role's and that it may not
rewrite or erase the audit trail. With nginx installed it also checks what nginx is there for
against slow and oversized clients (``slow_clients``).

The scenario talks to uvicorn directly with ``X-Forwarded-Proto: https``, the header nginx
sets: uvicorn runs with ``--proxy-headers --forwarded-allow-ips=127.0.0.1`` and Django with
``BEHIND_TLS_PROXY=true``, so the production settings (HTTPS redirect, HSTS, secure cookies)
are exercised unchanged without a TLS proxy in the loop. It also uses the ORM, as an operator's
``manage.py shell`` would, for one thing HTTP cannot do: giving a task a deadline that is already
due, so Celery beat's real sweep sends a real reminder within seconds (see ``position_deadline``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email
import email.policy
import http.client
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

YEAR, STRUCTURE, PROVINCE = 2025, "two-tier", "12"  # the two-tier cycle after the July 2025 reform


class SmokeFailure(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


# --- bootstrap ---------------------------------------------------------------------------------


def bootstrap(_args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings

    from directory import services as directory
    from directory.models import AdministrativeUnit, Agency, AgencyKind, Role, Tier, User
    from planning import services as planning

    check(settings.PRODUCTION, "bootstrap is for APP_MODE=production")
    planning.catalogue_load_all()
    cycle = planning.cycle_ensure(year=YEAR, structure=STRUCTURE)
    province = AdministrativeUnit.objects.get(structure=STRUCTURE, code=PROVINCE)
    commune = AdministrativeUnit.objects.filter(province=province, tier=Tier.COMMUNE).order_by("code").first()
    check(commune is not None, "load_units two-tier --province 12 --with-agencies must run first")
    staff = {
        "commune_drafter": (commune, AgencyKind.PEOPLE_COMMITTEE, Role.DRAFTER, ""),
        "commune_head": (commune, AgencyKind.PEOPLE_COMMITTEE, Role.HEAD, "Chủ tịch"),
        "province_head": (province, AgencyKind.AGRICULTURE, Role.HEAD, "Giám đốc"),
    }
    officers = {}
    for key, (unit, kind, role, title) in staff.items():
        username = f"smoke-{key.replace('_', '-')}"
        password = secrets.token_urlsafe(18)
        user = User.objects.filter(username=username).first() or User(username=username)
        user.full_name, user.email = f"Smoke {key}", f"{username}@smoke.invalid"
        user.set_password(password)
        user.save()
        directory.membership_add(user=user, agency=Agency.objects.get(unit=unit, kind=kind), role=role, title=title)
        officers[key] = {"username": username, "password": password, "email": user.email}
    json.dump(
        {
            "cycle": cycle.pk,
            "period": cycle.period.code,
            "province": province.code,
            "commune": commune.code,
            "officers": officers,
        },
        sys.stdout,
    )


# --- SMTP sink ---------------------------------------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 for smtplib: HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 smoke-smtp ready")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].decode("ascii", "replace").upper()
            if verb in ("HELO", "EHLO"):
                self.reply("250 smoke-smtp")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(line.decode("ascii", "replace").split(":", 1)[1].strip(" <>\r\n"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self._store(recipients, self._read_data())
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
        return b"".join(lines)

    def _store(self, recipients: list[str], message: bytes) -> None:
        folder: Path = self.server.folder  # type: ignore[attr-defined]
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:6]}.eml"
        header = "".join(f"X-Smoke-Rcpt: {r}\r\n" for r in recipients).encode()
        (folder / name).write_bytes(header + message)


def smtp_sink(args: argparse.Namespace) -> None:
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", args.port), _SMTPHandler)
    server.folder = folder  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"smtp sink on 127.0.0.1:{args.port}, writing to {folder}", flush=True)
    server.serve_forever()


# --- HTTP and websocket clients ----------------------------------------------------------------


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        for value in self.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        return {key: morsel.value for key, morsel in jar.items()}

    def set_cookie_line(self, name: str) -> str:
        return next((v for v in self.headers.get_all("Set-Cookie") or [] if v.startswith(f"{name}=")), "")


class Web:
    """One uvicorn listener, spoken to as nginx would: plain HTTP plus X-Forwarded-Proto."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        https: bool = True,
        token: str = "",
        cookies: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> Response:
        sent = {"X-Forwarded-Proto": "https"} if https else {}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Token {token}"
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        sent.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()

    def api(self, method: str, path: str, token: str, expect: int = 200, **kwargs: Any) -> Response:
        response = self.request(method, path, token=token, **kwargs)
        check(
            response.status == expect,
            f"{method} {path}: expected {expect}, got {response.status}: {response.text[:500]}",
        )
        return response

    def token(self, officer: dict[str, str]) -> str:
        body = {"username": officer["username"], "password": officer["password"]}
        return self.api("POST", "/api/v1/auth/token/", "", json_body=body).json()["token"]

    def browser_login(self, officer: dict[str, str]) -> dict[str, str]:
        """Sign in through the HTML form with its CSRF token, as a browser does; return cookies."""
        page = self.request("GET", "/login/")
        check(page.status == 200, f"GET /login/ answered {page.status}")
        cookies = page.cookies()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        check(match and "csrftoken" in cookies, "the login page has no CSRF token")
        form = f"csrfmiddlewaretoken={match.group(1)}&username={officer['username']}&password={officer['password']}"
        answer = self.request(
            "POST",
            "/login/",
            body=form.encode(),
            cookies=cookies,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": f"{self.origin}/login/",
            },
        )
        check(answer.status == 302, f"login form answered {answer.status}: {answer.text[:300]}")
        session_cookie = answer.set_cookie_line("sessionid")
        check(session_cookie, "no session cookie after login")
        check("Secure" in session_cookie and "HttpOnly" in session_cookie, f"session cookie flags: {session_cookie}")
        return {**cookies, **answer.cookies()}


class Socket:
    """The notification websocket of one signed-in officer."""

    def __init__(self, web: Web, cookies: dict[str, str], stack: contextlib.ExitStack) -> None:
        from websockets.sync.client import connect

        self.ws = stack.enter_context(
            connect(
                f"ws://127.0.0.1:{web.port}/ws/notifications/",
                origin=web.origin,
                additional_headers={"Cookie": f"sessionid={cookies['sessionid']}"},
                open_timeout=10,
            )
        )
        self.ws.send(json.dumps({"type": "hello", "last_id": 0}))
        self.seen: list[dict[str, Any]] = []
        self.next_of_type("sync", timeout=10)

    def next_of_type(self, kind: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                break
            if message.get("type") == "notification":
                self.seen.append(message["notification"])
            if message.get("type") == kind:
                return message
        raise SmokeFailure(f"no {kind!r} message on the websocket within {timeout:.0f} s")

    def notification(self, kinds: set[str], plan_id: int, timeout: float) -> dict[str, Any]:
        """The first notification of one of ``kinds`` about ``plan_id`` (received or arriving)."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((n for n in self.seen if n["kind"] in kinds and n["plan_id"] == plan_id), None)
            if found:
                self.seen.remove(found)
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise SmokeFailure(f"no {sorted(kinds)} notification of plan {plan_id} within {timeout:.0f} s")
            with contextlib.suppress(SmokeFailure):
                self.next_of_type("notification", timeout=left)


# --- the scenario --------------------------------------------------------------------------------


SECURITY_HEADERS: dict[str, Callable[[str], bool]] = {
    "Strict-Transport-Security": lambda v: "max-age=31536000" in v and "includeSubDomains" in v,
    "Content-Security-Policy": lambda v: "default-src 'self'" in v and "frame-ancestors 'none'" in v,
    "X-Frame-Options": lambda v: v == "DENY",
    "Referrer-Policy": lambda v: v == "same-origin",
    "X-Content-Type-Options": lambda v: v == "nosniff",
    "Cross-Origin-Opener-Policy": lambda v: v == "same-origin",
}


class Steps:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.timings: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        print(f"  .. {name}", flush=True)
        yield
        elapsed = time.monotonic() - started
        self.timings.append((name, elapsed))
        print(f"  ok {name} ({elapsed:.2f} s)", flush=True)


def scenario(args: argparse.Namespace) -> None:
    data = json.loads(Path(args.officers).read_text())
    web1, web2 = Web(args.web1), Web(args.web2)
    steps = Steps()
    with contextlib.ExitStack() as sockets:
        _scenario(args, data, web1, web2, steps, sockets)
    print(f"  scenario passed in {time.monotonic() - steps.started:.1f} s")


def _scenario(
    args: argparse.Namespace, data: dict, web1: Web, web2: Web, steps: Steps, sockets: contextlib.ExitStack
) -> None:
    """One commune plan, submitted and accepted across both listeners, then a reminder and metrics."""
    officers = data["officers"]
    mail_dir = Path(args.mail_dir)
    step = steps.step

    with step("probes: /healthz over plain HTTP, /readyz?strict=1 on both listeners"):
        for web in (web1, web2):
            health = web.request("GET", "/healthz", https=False)
            check(health.status == 200 and health.text == "ok", f"/healthz: {health.status} {health.text!r}")
            ready = web.request("GET", "/readyz?strict=1", https=False)
            check(ready.status == 200, f"/readyz: {ready.status} {ready.text}")
            check(ready.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}, ready.text)

    with step("database roles: every process connects as the restricted application role"):
        database_roles(args)

    with step("HTTPS: plain HTTP is redirected, responses carry the security headers"):
        plain = web1.request("GET", "/login/", https=False)
        check(plain.status == 301, f"plain HTTP answered {plain.status}, not a redirect")
        check(plain.headers["Location"].startswith("https://"), f"redirect to {plain.headers['Location']}")
        page = web1.request("GET", "/login/", headers={"X-Request-ID": "smoke-headers-0001"})
        check(page.status == 200, f"GET /login/ answered {page.status}")
        for name, ok in SECURITY_HEADERS.items():
            value = page.headers.get(name, "")
            check(ok(value), f"header {name}: {value!r}")
            print(f"       {name}: {value[:90]}")
        check(page.headers.get("X-Request-ID") == "smoke-headers-0001", "X-Request-ID not echoed")
        check(
            len(web1.request("GET", "/login/", headers={"X-Request-ID": "bad id!"}).headers["X-Request-ID"]) == 32,
            "a malformed X-Request-ID must be replaced",
        )

    with step("static files: a hashed file from the manifest is served, cached for a year"):
        manifest = json.loads((Path(args.static_root) / "staticfiles.json").read_text())["paths"]
        name = next(v for k, v in manifest.items() if k.endswith(".css"))
        static = web2.request("GET", f"/static/{name}")
        check(static.status == 200, f"/static/{name}: {static.status}")
        check("max-age=315360000" in static.headers.get("Cache-Control", ""), static.headers.get("Cache-Control"))

    with step("API: officers get tokens; a websocket without a session is refused"):
        tokens = {key: web1.token(officer) for key, officer in officers.items()}
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect

        try:
            with connect(f"ws://127.0.0.1:{web2.port}/ws/notifications/", origin=web2.origin, open_timeout=5):
                raise SmokeFailure("an anonymous websocket was accepted")
        except InvalidStatus as exc:
            check(exc.response.status_code == 403, f"anonymous websocket: {exc}")

    with step("browser sign-in (form + CSRF) and websockets on the second listener"):
        province_socket_cookies = web2.browser_login(officers["province_head"])
        province_socket = Socket(web2, province_socket_cookies, sockets)
        commune_socket = Socket(web2, web2.browser_login(officers["commune_head"]), sockets)

    with step("plans are opened over the API: province, then commune"):
        cycle = data["cycle"]
        province_plan = web1.api(
            "POST",
            "/api/v1/plans/",
            tokens["province_head"],
            201,
            json_body={"cycle": cycle, "unit": data["province"], "type": "annual"},
        ).json()
        commune_plan = web1.api(
            "POST",
            "/api/v1/plans/",
            tokens["commune_drafter"],
            201,
            json_body={"cycle": cycle, "unit": data["commune"], "type": "annual"},
        ).json()
        # The period's catalogue: its funding sources (data, not columns), items and criteria.
        period = data["period"]
        catalogue = web1.api("GET", f"/api/v1/catalogue/?period={period}", tokens["commune_drafter"]).json()
        check(
            isinstance(catalogue, dict) and {"sources", "items", "criteria"} <= set(catalogue),
            f"catalogue of {period}: {str(catalogue)[:300]}",
        )
        sources = [source["code"] for source in catalogue["sources"]]
        item, source = "2", "central_recurrent"  # project 2 (livelihoods), central recurrent funds
        check(source in sources, f"catalogue {period} has no source {source!r}: {sources}")
        check(
            any(i["code"] == item and i["budgetable"] for i in catalogue["items"]),
            f"catalogue {period} has no budgetable item {item!r}",
        )
        lines = web1.api(
            "PUT",
            f"/api/v1/plans/{commune_plan['id']}/lines/",
            tokens["commune_drafter"],
            json_body=[{"item": item, "content": "Mô hình nuôi dê (smoke)", "amounts": {source: "450"}}],
        ).json()
        check(len(lines) == 1, f"lines after PUT: {lines}")
        (line,) = lines
        expected = {code: "450.000" if code == source else "0.000" for code in sources}
        check(
            (line["item"], line["catalogue"], line["amounts"], line["total"]) == (item, period, expected, "450.000"),
            f"line after PUT: {line}",
        )
        # What a commune plan must hold before it is submitted (planning/data/completeness.json).
        web1.api(
            "PATCH",
            f"/api/v1/plans/{commune_plan['id']}/",
            tokens["commune_drafter"],
            json_body={
                "legal_bases": "Căn cứ Kế hoạch của UBND tỉnh (smoke);",
                "purpose": "Kiểm tra hệ thống (smoke).",
                "objectives": "Tỷ lệ hộ nghèo giảm 1% (smoke).",
            },
        )
        web1.api(
            "PUT",
            f"/api/v1/plans/{commune_plan['id']}/indicators/",
            tokens["commune_drafter"],
            json_body=[{"code": "GN-1", "name": "Tỷ lệ hộ nghèo giảm", "unit": "%", "kind": "change", "value": "1"}],
        )

    submit_id = f"smoke-submit-{uuid.uuid4().hex[:12]}"
    with step("the commune head submits (web 1); the province head's websocket (web 2) hears it"):
        sent_at = time.monotonic()
        answer = web1.api(
            "POST",
            f"/api/v1/plans/{commune_plan['id']}/actions/submit/",
            tokens["commune_head"],
            json_body={"idempotency_key": uuid.uuid4().hex},
            headers={"X-Request-ID": submit_id},
        )
        check(answer.json()["status"] == "submitted", answer.text)
        check(answer.headers.get("X-Request-ID") == submit_id, "submit: X-Request-ID not echoed")
        task = province_socket.notification({"task"}, commune_plan["id"], timeout=20)
        print(f"       pushed in {time.monotonic() - sent_at:.2f} s: {task['text'][:80]}")

    with step("the province head accepts (web 1); the commune head's websocket hears it"):
        sent_at = time.monotonic()
        answer = web1.api(
            "POST",
            f"/api/v1/plans/{commune_plan['id']}/actions/accept/",
            tokens["province_head"],
            json_body={"idempotency_key": uuid.uuid4().hex},
        )
        check(answer.json()["status"] == "accepted", answer.text)
        accepted = commune_socket.notification({"accepted"}, commune_plan["id"], timeout=20)
        print(f"       pushed in {time.monotonic() - sent_at:.2f} s: {accepted['text'][:80]}")

    with step("the audit trail stores the request id of the submission"):
        history = web1.api("GET", f"/api/v1/plans/{commune_plan['id']}/history/", tokens["commune_head"]).json()
        check([e["action"] for e in history] == ["submit", "accept"], history)
        check(history[0]["request_id"] == submit_id, f"audit request_id {history[0]['request_id']!r}")
        logged = [json.loads(line) for line in Path(args.web_log).read_text().splitlines() if submit_id in line]
        check(
            any(e.get("logger") == "ops.access" and e.get("status") == 200 for e in logged),
            "no JSON access-log line with the submission's request id",
        )

    with step("the Celery worker mailed the province head through SMTP"):
        address = officers["province_head"]["email"]
        subject = wait_for(lambda: _mail_to(mail_dir, address, task["text"]), 30, "no e-mail of the new task")
        print(f"       to {address}: {subject}")

    with step("a reminder: a task already due is found by beat's sweep and pushed (demo clock off)"):
        item = position_deadline(province_plan["id"])
        print(f"       work item {item} of the province plan: opened 14 days ago, due yesterday")
        reminder = province_socket.notification({"reminder", "escalation"}, province_plan["id"], timeout=45)
        print(f"       {reminder['kind']}: {reminder['text'][:100]}")

    if args.nginx_https:
        with step("through nginx: TLS, redirect, security headers, static files, wss, /metrics closed"):
            through_nginx(args, web2, province_socket_cookies)
        with step("slow clients: nginx cuts a trickling client at its header timeout; 413 over the body limit"):
            slow_clients(args, web1)

    with step("metrics: local scrape sums both uvicorn workers; remote needs the token"):
        body = web1.request("GET", "/metrics", https=False).text
        for needle in (
            'ctmtqg_http_requests_total{method="POST",status="2xx"}',
            "ctmtqg_http_request_duration_seconds_bucket",
            'ctmtqg_celery_queue_length{queue="celery"}',
            "ctmtqg_overdue_tasks 1.0",
            'ctmtqg_notification_delivery_lag_seconds{channel="email"}',
            'ctmtqg_metrics_source_up{source="redis"} 1.0',
        ):
            check(needle in body, f"/metrics lacks {needle!r}")
        posts = _sample(body, 'ctmtqg_http_requests_total{method="POST",status="2xx"}')
        # 3 tokens, 2 plans, submit, accept went to web 1; its two workers' counters are summed
        # (web 2's share the folder, and its only POSTs, the logins, answered 302).
        check(posts == 7, f"POST 2xx count {posts}, expected 7: counters are not summed across processes")
        remote = {"X-Forwarded-For": "203.0.113.7"}  # uvicorn trusts 127.0.0.1 to say who the client is
        check(web1.request("GET", "/metrics", https=False, headers=remote).status == 403, "remote scrape allowed")
        with_token = {**remote, "Authorization": f"Bearer {args.metrics_token}"}
        check(web1.request("GET", "/metrics", https=False, headers=with_token).status == 200, "token refused")


def through_nginx(args: argparse.Namespace, web: Web, cookies: dict[str, str]) -> None:
    """The same checks through deploy/nginx/ctmtqg.conf: what a browser meets in production."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the run's self-signed certificate

    def get(path: str, *, tls: bool = True, headers: dict[str, str] | None = None) -> Response:
        if tls:
            connection = http.client.HTTPSConnection("127.0.0.1", args.nginx_https, timeout=30, context=context)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", args.nginx_http, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()

    plain = get("/login/", tls=False)
    check(plain.status == 301 and plain.headers["Location"].startswith("https://"), f"nginx port 80: {plain.status}")
    page = get("/login/", headers={"X-Request-ID": "smoke-nginx-00001"})
    check(page.status == 200, f"GET /login/ through nginx: {page.status} (X-Forwarded-Proto missing?)")
    for name, ok in SECURITY_HEADERS.items():
        check(ok(page.headers.get(name, "")), f"through nginx, header {name}: {page.headers.get(name)!r}")
    check(page.headers.get("X-Request-ID") == "smoke-nginx-00001", "nginx did not pass X-Request-ID")
    check(re.fullmatch(r"[0-9a-f]{32}", get("/healthz").headers.get("X-Request-ID", "")), "no nginx $request_id")
    manifest = json.loads((Path(args.static_root) / "staticfiles.json").read_text())["paths"]
    static = get(f"/static/{manifest['js/notifications.js']}")
    check(static.status == 200 and "immutable" in static.headers.get("Cache-Control", ""), f"static: {static.status}")
    check("X-Request-ID" not in static.headers, "static files should come from nginx, not Django")
    check(get("/metrics").status == 404, "nginx must not expose /metrics")

    from websockets.sync.client import connect

    with connect(
        f"wss://127.0.0.1:{args.nginx_https}/ws/notifications/",
        ssl=context,
        origin="https://127.0.0.1",
        additional_headers={"Cookie": f"sessionid={cookies['sessionid']}"},
        open_timeout=10,
    ) as socket:
        socket.send(json.dumps({"type": "hello", "last_id": 0}))
        while (message := json.loads(socket.recv(timeout=10)))["type"] != "sync":
            pass
    print(f"       wss through nginx: synced at id {message['last_id']}")


# What the application role must not be able to do (tests/ops/test_db_roles.py has the full list).
REFUSED_TO_APP = (
    ("TRUNCATE approvals_auditevent", "permission denied"),
    ("UPDATE approvals_auditevent SET comment = comment", "permission denied"),
    ("DELETE FROM approvals_auditevent", "permission denied"),
    ("ALTER TABLE approvals_auditevent DISABLE TRIGGER ALL", "must be owner"),
    ("SET session_replication_role = replica", "permission denied"),
    ("CREATE TABLE smoke_intruder (id integer)", "permission denied"),
)


def database_roles(args: argparse.Namespace) -> None:
    """This process has the web processes' DATABASE_URL. Its role is the application's, a plain
    one; every other session on the database (the uvicorn workers' pools, the Celery worker and
    beat) is that role's too; the owner owns every table; and the audit trail is out of reach."""
    import django

    django.setup()
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        role, superuser = cursor.fetchone()
        check(role == args.app_role and not superuser, f"connected as {role} (superuser: {superuser})")
        cursor.execute(
            "SELECT usename, count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY usename"
        )
        sessions = dict(cursor.fetchall())
        check(set(sessions) == {args.app_role}, f"sessions on the database by role: {sessions}")
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> %s", [args.owner_role]
        )
        (foreign,) = cursor.fetchone()
        check(foreign == 0, f"{foreign} table(s) not owned by {args.owner_role}")
        for statement, needle in REFUSED_TO_APP:
            try:
                cursor.execute(statement)
            except DatabaseError as exc:
                check(needle in str(exc), f"{statement}: refused, but with {exc}")
            else:
                raise SmokeFailure(f"the application role may run {statement!r}")
    print(f"       {sessions[args.app_role]} other session(s), all {args.app_role}; tables owned by {args.owner_role}")
    print(f"       refused: {', '.join(statement.split(' SET')[0].split(' (')[0] for statement, _ in REFUSED_TO_APP)}")


def _nginx_limit(conf: str, directive: str, unit: str) -> int:
    values = [int(v) for v in re.findall(rf"^\s*{directive}\s+(\d+){unit};", conf, re.MULTILINE)]
    check(values, f"no {directive} in the nginx configuration")
    return max(values)


def trickle(open_socket: Callable[[], socket.socket], seconds: float) -> tuple[str, float]:
    """A slowloris client: a request line, then one more header line a second, never the blank
    line that ends the headers. Returns what happened first ("open" after ``seconds``, "closed",
    "reset …" or "answered …") and when."""
    sock = open_socket()
    sock.settimeout(1)
    started = time.monotonic()
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sent = 0
        while time.monotonic() - started < seconds:
            try:
                data = sock.recv(4096)
            except TimeoutError:
                sock.sendall(f"X-Trickle-{sent}: {sent}\r\n".encode())
                sent += 1
                continue
            first_line = data.split(b"\r\n", 1)[0]
            return ("closed" if not data else f"answered {first_line!r}"), time.monotonic() - started
    except OSError as exc:  # reset, broken pipe, TLS alert
        return f"reset ({exc.__class__.__name__})", time.monotonic() - started
    finally:
        sock.close()
    return "open", time.monotonic() - started


def slow_clients(args: argparse.Namespace, web: Web) -> None:
    """nginx's limits from deploy/nginx/ctmtqg.conf, against the running nginx: a trickling client
    is cut off after client_header_timeout, while the same client straight at uvicorn is kept
    (uvicorn 0.54 has no header timeout: deploy/README.md, "Slow clients"); a body over
    client_max_body_size gets 413 before it reaches uvicorn, in the API's JSON shape under /api/."""
    conf = Path(args.nginx_conf).read_text()
    header_timeout = _nginx_limit(conf, "client_header_timeout", "s")
    body_limit = _nginx_limit(conf, "client_max_body_size", "m") * 1024 * 1024
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE

    def through_nginx() -> socket.socket:
        raw = socket.create_connection(("127.0.0.1", args.nginx_https), timeout=5)
        return context.wrap_socket(raw, server_hostname="127.0.0.1")

    def straight_to_uvicorn() -> socket.socket:
        return socket.create_connection(("127.0.0.1", web.port), timeout=5)

    with ThreadPoolExecutor(2) as pool:
        at_nginx = pool.submit(trickle, through_nginx, header_timeout + 6)
        at_uvicorn = pool.submit(trickle, straight_to_uvicorn, header_timeout + 3)

        def post(path: str, length: int, body: bytes = b"") -> Response:
            connection = http.client.HTTPSConnection("127.0.0.1", args.nginx_https, timeout=30, context=context)
            try:
                connection.putrequest("POST", path)
                connection.putheader("Content-Type", "application/json")
                connection.putheader("Content-Length", str(length))
                connection.endheaders(body or None)
                answer = connection.getresponse()
                return Response(answer.status, answer.headers, answer.read())
            finally:
                connection.close()

        too_large = post("/api/v1/auth/token/", body_limit + 1)
        check(too_large.status == 413, f"a body of {body_limit + 1} bytes answered {too_large.status}")
        check(too_large.headers.get_content_type() == "application/json", f"413 under /api/: {too_large.text[:200]}")
        check(too_large.json().get("code") == "request_too_large", f"413 under /api/: {too_large.text[:200]}")
        check("X-Request-ID" not in too_large.headers, "the 413 should come from nginx, not from Django")
        page = post("/login/", body_limit + 1)
        check(page.status == 413, f"an oversized form answered {page.status}")
        wrong = json.dumps({"username": f"smoke-nobody-{uuid.uuid4().hex[:8]}", "password": "x"}).encode()
        fine = post("/api/v1/auth/token/", len(wrong), wrong)
        check(400 <= fine.status < 500 and "X-Request-ID" in fine.headers, f"a small body: {fine.status} {fine.text}")
        print(f"       {body_limit + 1} bytes: 413 {too_large.json()['code']} (nginx); a small body reaches Django")

        outcome, elapsed = at_nginx.result()
        check(outcome != "open", f"nginx kept a trickling client for {elapsed:.1f} s (client_header_timeout?)")
        check(
            header_timeout - 2 <= elapsed <= header_timeout + 3,
            f"nginx ended the trickling client after {elapsed:.1f} s ({outcome}), not at its {header_timeout} s",
        )
        print(f"       trickling headers through nginx: {outcome} after {elapsed:.1f} s (timeout {header_timeout} s)")
        outcome, elapsed = at_uvicorn.result()
        if outcome == "open":
            print(f"       the same client straight at uvicorn: still open after {elapsed:.0f} s (no header timeout)")
        else:
            print(
                f"       NOTE: uvicorn itself ended the trickling client ({outcome} after {elapsed:.1f} s): "
                "it now has a header timeout; update deploy/README.md, 'Slow clients'"
            )


def wait_for(probe: Callable[[], Any], timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.5)
    raise SmokeFailure(message)


def _mail_to(folder: Path, address: str, text: str) -> str:
    """The subject of a message to ``address`` whose body contains ``text``, else ''."""
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address not in message.get_all("X-Smoke-Rcpt", []):
            continue
        body = message.get_body(preferencelist=("plain",))
        if body is not None and text in body.get_content():
            return str(message["Subject"])
    return ""


def _sample(exposition: str, series: str) -> float:
    line = next((ln for ln in exposition.splitlines() if ln.startswith(series + " ")), None)
    check(line is not None, f"no sample {series}")
    return float(line.rsplit(" ", 1)[1])


def position_deadline(plan_id: int) -> int:
    """Make the plan's open task one that was opened 14 days ago and was due yesterday.

    Reminders fire at a configured hour of working days before and after the due day, and only
    for thresholds passed after the task was created; a task created a second ago has nothing
    due for days, and production refuses the demo clock. So the row is moved as an operator's
    shell would, and its reminder timer (if the sweep already armed it) is dropped so the next
    sweep arms it from the new dates. Everything after that — the sweep run by Celery beat on
    the worker, the reminder ledger, the outbox and the push — is the production path.
    """
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from deadlines.models import DeadlineTimer
    from deadlines.thresholds import end_of_day
    from workflows.models import WorkItem

    opened = timezone.now() - dt.timedelta(days=14)
    with transaction.atomic():
        item = WorkItem.objects.select_for_update().get(plan_id=plan_id, is_open=True)
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        WorkItem.objects.filter(pk=item.pk).update(created_at=opened, due_at=end_of_day(yesterday))
    # A sweep that read the row before this commit may still insert a timer armed from the old
    # dates; such a timer (armed after ``opened``) is dropped until only a fresh one can exist.
    for _ in range(3):
        DeadlineTimer.objects.filter(work_item=item, armed_from__gt=opened + dt.timedelta(minutes=1)).delete()
        time.sleep(1)
    return item.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("bootstrap").set_defaults(run=bootstrap)
    sink = commands.add_parser("smtp-sink")
    sink.add_argument("--port", type=int, required=True)
    sink.add_argument("--dir", required=True)
    sink.set_defaults(run=smtp_sink)
    run = commands.add_parser("scenario")
    for name in ("--web1", "--web2"):
        run.add_argument(name, type=int, required=True)
    for name in ("--officers", "--mail-dir", "--static-root", "--web-log", "--metrics-token"):
        run.add_argument(name, required=True)
    run.add_argument("--nginx-http", type=int, default=0)
    run.add_argument("--nginx-https", type=int, default=0)
    run.add_argument("--nginx-conf", default="")
    run.add_argument("--app-role", required=True)
    run.add_argument("--owner-role", required=True)
    run.set_defaults(run=scenario)
    args = parser.parse_args()
    try:
        args.run(args)
    except SmokeFailure as exc:
        print(f"SMOKE FAILED: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

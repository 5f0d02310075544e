"""Under /api/, every error is JSON with one shape, ``{"detail", "code"}`` (plus the field errors
of a 400), whoever answers it: DRF, Django's own 404, an oversized body, the login lockout, a
crash or a database outage. Web pages keep their HTML."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from rest_framework.test import APIClient

from config.errors import RequestTooLarge
from config.parsers import JSONParser
from directory import api as directory_api
from directory.models import User
from planning.models import Plan

T2_COMMUNE_HEAD = "t2-c03388-ubnd-head"
T2_COMMUNE_DRAFTER = "t2-c03388-ubnd-drafter"
OUTSIDER = "t3-c03592-ubnd-head"  # a three-tier commune: cannot see the two-tier commune's plan


def shape(response, status: int, code: str | None = None) -> dict:
    """The answer is JSON in the one error shape, with this status (and code)."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def commune_plan(demo) -> Plan:
    return Plan.objects.get(unit__structure="two-tier", unit__code="03388", cycle__year=2025, plan_type="annual")


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient(raise_request_exception=False)


def test_400_names_the_field_beside_detail_and_code(anonymous):
    body = shape(anonymous.post("/api/v1/auth/token/", {"username": "x"}, format="json"), 400, "invalid")
    assert "password" in body
    assert body["detail"].startswith("password: ")


@pytest.mark.parametrize("text", ["null", "42", "true", '"text"', "-1.5"])
def test_a_json_body_that_is_not_an_object_or_array_is_400(anonymous, login_api, commune_plan, text):
    shape(anonymous.post("/api/v1/auth/token/", text, content_type="application/json"), 400, "json_not_object")
    head = login_api(T2_COMMUNE_HEAD)
    url = f"/api/v1/plans/{commune_plan.pk}/actions/submit/"
    shape(head.post(url, text, content_type="application/json"), 400, "json_not_object")


def test_a_list_where_an_object_is_expected_is_400(login_api, commune_plan):
    head = login_api(T2_COMMUNE_HEAD)
    url = f"/api/v1/plans/{commune_plan.pk}/actions/submit/"
    shape(head.post(url, "[null, null]", content_type="application/json"), 400, "invalid")


def test_malformed_json_is_400(anonymous):
    shape(anonymous.post("/api/v1/auth/token/", "{bad", content_type="application/json"), 400, "parse_error")
    shape(anonymous.post("/api/v1/auth/token/", '{"a": NaN}', content_type="application/json"), 400, "parse_error")
    shape(anonymous.post("/api/v1/auth/token/", '{"a": 1e400}', content_type="application/json"), 400, "parse_error")


def test_401_without_credentials(anonymous):
    response = anonymous.get("/api/v1/me/")
    shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_403_for_a_role_that_may_not_act(login_api, commune_plan):
    drafter = login_api(T2_COMMUNE_DRAFTER)
    shape(drafter.post(f"/api/v1/plans/{commune_plan.pk}/actions/submit/", {}, format="json"), 403)


def test_404_for_a_plan_outside_the_tree_and_for_an_unknown_url(login_api, commune_plan):
    outsider = login_api(OUTSIDER)
    shape(outsider.get(f"/api/v1/plans/{commune_plan.pk}/"), 404, "not_found")
    for path in ("/api/v1/no-such-thing/", "/api/v2/plans/", "/api/"):
        shape(outsider.get(path), 404, "not_found")


def test_405_keeps_the_allow_header(demo, login_api):
    response = login_api(T2_COMMUNE_HEAD).delete("/api/v1/me/")
    shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_413_for_a_body_over_the_limit(anonymous, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "x" * 2000, "password": "y"})
    shape(anonymous.post("/api/v1/auth/token/", body, content_type="application/json"), 413, "request_too_large")
    form = {"username": "x" * 2000}
    shape(anonymous.post("/api/v1/auth/token/", form), 413, "request_too_large")  # form-encoded


def test_413_for_multipart_fields_over_the_limit(login_api, commune_plan, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    drafter = login_api(T2_COMMUNE_DRAFTER)
    drafter.raise_request_exception = False
    upload = SimpleUploadedFile("lines.xlsx", b"PK" + b"0" * 100)
    response = drafter.post(
        f"/api/v1/plans/{commune_plan.pk}/lines/import/", {"file": upload, "note": "x" * 5000}, format="multipart"
    )
    shape(response, 413, "request_too_large")


def test_the_parser_refuses_an_undeclared_body_over_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    with pytest.raises(RequestTooLarge):
        JSONParser().parse(io.BytesIO(b'{"a": "' + b"x" * 200 + b'"}'), "application/json", {})


def test_429_for_the_login_lockout(anonymous, demo, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = anonymous.post("/api/v1/auth/token/", {"username": T2_COMMUNE_HEAD, "password": "sai"}, format="json")
        shape(wrong, 400, "invalid")
    locked = anonymous.post("/api/v1/auth/token/", {"username": T2_COMMUNE_HEAD, "password": "sai"}, format="json")
    shape(locked, 429, "locked_out")


def test_500_is_json(demo, login_api, monkeypatch):
    def crash(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(directory_api.MeView, "get", crash)
    client = login_api(T2_COMMUNE_HEAD)
    client.raise_request_exception = False
    shape(client.get("/api/v1/me/"), 500, "server_error")


def test_503_when_the_database_is_unavailable_in_a_view(demo, login_api, monkeypatch):
    def outage(self, request):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(directory_api.MeView, "get", outage)
    client = login_api(T2_COMMUNE_HEAD)
    client.raise_request_exception = False
    response = client.get("/api/v1/me/")
    body = shape(response, 503, "database_unavailable")
    assert "5432" not in body["detail"]  # no internals in the answer
    assert response["Retry-After"]


def test_503_when_the_database_fails_in_a_middleware(demo, client, monkeypatch):
    """The session is saved by its middleware after the view: a failure there is a 500 Django
    renders as HTML, which the API turns into a 503 JSON."""
    from django.contrib.sessions.backends.db import SessionStore

    def outage(self, must_create=False):
        raise OperationalError("server closed the connection unexpectedly")

    client.raise_request_exception = False
    client.force_login(User.objects.get(username=T2_COMMUNE_HEAD))
    monkeypatch.setattr(SessionStore, "save", outage)
    shape(client.get("/api/v1/me/"), 503, "database_unavailable")


def test_web_pages_keep_their_html(client, demo):
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_successful_answer_is_untouched(demo, login_api):
    response = login_api(T2_COMMUNE_HEAD).get("/api/v1/me/")
    assert response.status_code == 200
    assert "detail" not in response.json()


def test_the_async_chain_answers_json_too(db):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    shape(async_to_sync(AsyncClient().get)("/api/v1/no-such-thing/"), 404, "not_found")
    web = async_to_sync(AsyncClient().get)("/no-such-page/")
    assert web["Content-Type"].startswith("text/html")

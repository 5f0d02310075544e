"""Deeply nested JSON is a 400 naming the problem on every JSON endpoint, never a RecursionError."""

from __future__ import annotations

import io
import json

import pytest
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from config.parsers import JSONParser, nesting_depth
from planning.models import Plan

T2_COMMUNE_HEAD = "t2-c03388-ubnd-head"


def nested(levels: int, leaf: str = "1") -> str:
    return '{"a": ' * levels + leaf + "}" * levels


def parse(text: str):
    return JSONParser().parse(io.BytesIO(text.encode()), "application/json", {})


def test_a_thousand_levels_on_the_anonymous_token_endpoint_is_400():
    response = APIClient(raise_request_exception=False).post(
        "/api/v1/auth/token/", "[" * 1000 + "]" * 1000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"
    assert "32" in response.json()["detail"]


@pytest.mark.parametrize("path", ["actions/submit/", "lines/", "envelope/", "indicators/", "households/", ""])
def test_a_thousand_levels_on_an_authenticated_endpoint_is_400(demo, login_api, path):
    plan = Plan.objects.get(unit__structure="two-tier", unit__code="03388", cycle__year=2025, plan_type="annual")
    client = login_api(T2_COMMUNE_HEAD)
    client.raise_request_exception = False
    method = client.post if path.startswith("actions") else (client.patch if path == "" else client.put)
    response = method(f"/api/v1/plans/{plan.pk}/{path}", nested(1000), content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] == "json_too_deep"


def test_the_limit_is_32_levels_by_default():
    assert parse(nested(31))  # 31 objects: fine
    assert parse("[" * 32 + "]" * 32) == [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
    with pytest.raises(ParseError, match="deeper than 32"):
        parse("[" * 33 + "]" * 33)


def test_the_limit_is_a_setting(settings):
    settings.API_JSON_MAX_DEPTH = 3
    assert parse('[{"item": "2", "amounts": {"local": "1"}}]')  # PUT lines: the API's deepest body
    with pytest.raises(ParseError, match="deeper than 3"):
        parse('[{"amounts": {"local": []}}]')


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"content": "[" * 5000 + '\\"{' * 100})
    assert nesting_depth(text, 32) == 1
    assert parse(text)["content"].startswith("[[[")


def test_a_real_body_is_parsed_as_before():
    body = [{"item": "2", "content": "Mô hình nuôi dê [25 hộ]", "amounts": {"central_recurrent": "450"}}]
    assert parse(json.dumps(body, ensure_ascii=False)) == body

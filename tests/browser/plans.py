"""Writing a demo plan on the live server through its API, as an officer's other tools would
(the browser tests' server runs in its own process, on its own database)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def api(base_url: str, method: str, path: str, body: Any = None, token: str = "") -> Any:
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", **({"Authorization": f"Token {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path}: {exc.code} {exc.read().decode()}") from None


def token_of(base_url: str, username: str) -> str:
    from directory.demo import DEMO_PASSWORD

    return api(base_url, "POST", "/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD})["token"]


def write_commune_plan(base_url: str, plan_id: int, username: str, *, amount: str = "450") -> None:
    """What a commune's 2023 annual plan must hold to be submitted (planning/data/completeness.json):
    its legal bases, purpose, objectives, an indicator and a budget line with money."""
    token = token_of(base_url, username)
    api(
        base_url,
        "PATCH",
        f"/api/v1/plans/{plan_id}/",
        {
            "legal_bases": "Căn cứ Kế hoạch số 219a/KH-UBND ngày 01/7/2022 của UBND huyện Phong Thổ;",
            "purpose": "Hỗ trợ hộ nghèo phát triển sinh kế bền vững.",
            "objectives": "Tỷ lệ hộ nghèo giảm 4%.",
        },
        token,
    )
    api(
        base_url,
        "PUT",
        f"/api/v1/plans/{plan_id}/lines/",
        [{"item": "2", "content": "Mô hình nuôi dê", "amounts": {"central_recurrent": amount}}],
        token,
    )
    api(
        base_url,
        "PUT",
        f"/api/v1/plans/{plan_id}/indicators/",
        [{"code": "GN-1", "name": "Tỷ lệ hộ nghèo giảm", "unit": "%", "kind": "change", "value": "4"}],
        token,
    )

"""The API fuzzed from its own OpenAPI schema (schemathesis, in-process over WSGI).

Every operation of ``/api/v1/`` gets a bounded, derandomised set of generated requests (valid
and invalid bodies, query strings, path parameters), sent as a demo officer with token auth,
and every answer must pass schemathesis's checks:

- ``not_a_server_error``: no 5xx, whatever was sent;
- ``status_code_conformance``: the status is one the schema documents for the operation;
- ``content_type_conformance``: the answer's media type is one the schema documents;
- ``response_schema_conformance``: the body validates against the documented schema (the list
  answers are arrays, the errors the one shape of config.errors).

Generated path parameters are mapped onto real objects (the demo's plans, the officer's own and
others', units, the actions of the routes), so the requests reach the views' logic instead of
stopping at a 404; the mapping is a pure function of the generated value, so the run stays
deterministic (``derandomize``). The database is the test's: every change is rolled back.
"""

from __future__ import annotations

import json
import zlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from directory.models import AdministrativeUnit, User
from planning import selectors
from planning.models import Plan

OFFICER = "t3-d109-labour-drafter"  # Phòng LĐTBXH Phong Thổ: edits the district's plans
EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ACTIONS = ["submit", "accept", "return", "approve", "report", "acknowledge", "amend", "waive", "claim", "nope"]


def _project_schema() -> dict:
    """The schema ``/api/v1/schema/`` serves, built without a request (no DB needed)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


schema = schemathesis.openapi.from_dict(_project_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def in_test_transaction():
    """Keep the test's database connection across requests, as Django's test client does: the
    WSGI handler's request signals would close it (and the test's transaction with it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def officer_headers(demo, in_test_transaction) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=User.objects.get(username=OFFICER))
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def real_objects(demo) -> dict[str, list]:
    """What generated path parameters are mapped onto: mostly the officer's own plans (three
    chances in four), else a plan outside the officer's tree or none (those must answer 404);
    some units; the route actions."""
    officer = User.objects.get(username=OFFICER)
    own = list(selectors.plan_list(user=officer).order_by("pk").values_list("pk", flat=True))
    others = list(Plan.objects.exclude(pk__in=own).order_by("pk").values_list("pk", flat=True)[: len(own) // 3])
    assert own, "the officer sees plans"
    return {
        "plan_id": [*own, *own, *own, *others, 0, 2**31],
        "code": [*AdministrativeUnit.objects.order_by("pk").values_list("code", flat=True)[:40], "nope"],
        "action": ACTIONS,
        "fmt": ["xlsx", "docx", "pdf"],
    }


def _pick(options: list, generated: object) -> object:
    return options[zlib.crc32(repr(generated).encode()) % len(options)]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_request_as_its_schema_says(case, officer_headers, real_objects):
    for name, value in list((case.path_parameters or {}).items()):
        if name in real_objects:
            case.path_parameters[name] = _pick(real_objects[name], value)
    case.call_and_validate(headers=officer_headers, checks=CHECKS)

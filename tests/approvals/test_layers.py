"""Layers as the README draws them: approvals decides and knows no flow, the directory is the
ground floor, a document receives its signer, and one module decides who may act."""

import ast
from pathlib import Path

import pytest

from approvals import selectors as decisions
from tests.complete import complete
from tests.workflows.conftest import C_HEAD, plan_of
from workflows import services

ROOT = Path(__file__).resolve().parents[2]


def imported(path: str) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def names_used(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | {
        node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
    }


def test_approvals_decisions_import_no_flow_and_reverse_no_url():
    modules = imported("approvals/services.py")
    assert not {m for m in modules if m.startswith("workflows")}
    assert "django.urls" not in modules
    assert "reverse" not in names_used("approvals/services.py")


@pytest.mark.parametrize("path", ["directory/authority.py", "directory/selectors.py", "config/clock.py"])
def test_the_ground_floor_imports_no_app_above_it(path):
    above = ("planning", "approvals", "workflows", "deadlines", "notifications", "ops", "demo")
    assert not {m for m in imported(path) if m.split(".")[0] in above}


def test_a_document_receives_its_signer_and_fetches_none():
    used = names_used("planning/exports.py")
    assert not {"document_signer", "signatory", "last_signing_event"} & used
    assert "approvals.services" not in imported("planning/exports.py")
    assert "approvals.services" not in imported("planning/api.py")


def test_one_module_decides_who_may_act():
    """Delegations are read only by directory/authority.py (the demo loader, which creates
    them, aside)."""
    readers = sorted(
        str(path.relative_to(ROOT))
        for app in ("approvals", "config", "deadlines", "directory", "notifications", "planning", "workflows")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "demo.py"
        and any(
            token in path.read_text(encoding="utf-8")
            for token in ("Delegation.objects.filter", "delegations_given__", "starts_on__lte")
        )
    )
    assert readers == ["directory/authority.py"]


def test_the_trail_is_read_from_approvals_selectors(demo):
    plan = complete(plan_of("03592"))
    from directory.models import User

    services.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=plan.pk, action="submit")
    events = list(decisions.history(plan))
    assert [e.action for e in events][-1] == "submit"
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert decisions.signatory(plan)[0].username == C_HEAD

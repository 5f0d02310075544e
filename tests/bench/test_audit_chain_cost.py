"""The benchmark's figure for what the tamper-evident audit chain costs a transition."""

from __future__ import annotations

from types import SimpleNamespace

from approvals.models import AuditEvent
from bench import run
from directory.models import User
from planning.models import Plan


def test_the_chain_cost_is_measured_on_real_events_and_writes_nothing(demo):
    plan = Plan.objects.filter(events__isnull=False).distinct().first()
    people = SimpleNamespace(province=User.objects.get(username="admin"), province_plan=plan)
    before = AuditEvent.objects.count()
    cost = run.audit_chain_cost(people, repeats=20)
    assert AuditEvent.objects.count() == before  # every write was rolled back
    assert cost["prev_read_p50_ms"] > 0 and cost["digest_p50_ms"] > 0
    assert cost["chain_p50_ms"] >= cost["digest_p50_ms"]
    assert cost["audit_write_p50_ms"] > 0
    figures = run.build_figures_audit_chain({"audit_chain": cost, "transitions": {"p50_ms": 100.0}})
    assert "audit chain per transition" in figures[0].name and "% of a transition's p50" in figures[0].note

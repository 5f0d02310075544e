"""The audit trail's hash chain: what an event's hash covers, and how a chain is checked.

Each ``AuditEvent`` stores ``prev_hash`` (the hash of the plan's previous event, empty for its
first) and ``chain_hash`` = SHA-256 over the event's content and ``prev_hash``. Editing an event
changes its content but not its hash; removing or inserting one breaks the next event's link;
re-hashing an edited event breaks the link of the one after it. See ``AuditEvent`` for why the
chain is per plan.

The content is canonical JSON (sorted keys, ASCII only) of the fields below, as they are stored
and read back: the database round trip (jsonb key order, timestamps in UTC) must not change the
digest. ``V1`` never changes once events are hashed with it; a new algorithm gets a new prefix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

V1 = "audit-v1"
# Every field the hash covers, by its attribute (column) name. Not the id: it is assigned by the
# database on insert, after the hash is computed; the links fix the order instead.
CONTENT_FIELDS = (
    "plan_id",
    "actor_id",
    "acting_for_id",
    "agency_id",
    "action",
    "step",
    "from_status",
    "to_status",
    "comment",
    "round_number",
    "data",
    "request_id",
    "created_at",
)
# What verification reads of each event, in order.
VERIFY_FIELDS = ("id", *CONTENT_FIELDS, "prev_hash", "chain_hash")


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def digest(content: Mapping[str, Any], prev_hash: str) -> str:
    """The chain hash of an event with these field values after the event ``prev_hash``."""
    payload = {name: content[name] for name in CONTENT_FIELDS}
    payload["created_at"] = _timestamp(payload["created_at"])
    text = json.dumps([V1, prev_hash, payload], sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first broken link of one plan's chain."""

    plan_id: int
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"plan {self.plan_id}, event {self.event_id}: {self.reason}"


def first_breaks(events: Iterable[Mapping[str, Any]]) -> Iterator[Break]:
    """Walk events (dicts with ``VERIFY_FIELDS``) ordered by plan then id; yield the first broken
    link of each plan whose chain is broken."""
    plan_id: int | None = None
    previous: Mapping[str, Any] | None = None
    broken = False
    for event in events:
        if event["plan_id"] != plan_id:
            plan_id, previous, broken = event["plan_id"], None, False
        if broken:
            continue
        reason = _check(event, previous)
        if reason:
            broken = True
            yield Break(plan_id=event["plan_id"], event_id=event["id"], reason=reason)
        previous = event


def _check(event: Mapping[str, Any], previous: Mapping[str, Any] | None) -> str | None:
    if not event["chain_hash"]:
        return "not chained (no hash)"
    expected_prev = previous["chain_hash"] if previous else ""
    if event["prev_hash"] != expected_prev:
        if previous is None:
            return "the plan's first event names a previous one: events before it were removed"
        return (
            f"does not follow event {previous['id']} (previous hash {event['prev_hash'][:12]}…, "
            f"event {previous['id']} has {expected_prev[:12]}…): an event was removed, inserted or re-hashed"
        )
    if digest(event, event["prev_hash"]) != event["chain_hash"]:
        return "its content does not match its hash: the row was edited"
    return None

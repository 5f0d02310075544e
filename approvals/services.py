"""Decisions on plans: state transitions, the audit trail, council resolutions, idempotency,
and the notifications each decision causes (written in the same transaction: an outbox).

Reads (the trail of a plan, its signatory) are in ``approvals.selectors``; the notice of a new
task belongs to the flow (``workflows.services``), which also names the page a notice links to."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import chain
from approvals.models import AuditEvent, IdempotencyRecord, Resolution
from config.errors import Conflict
from directory.authority import unit_members_with_roles
from directory.models import Agency, Role, User
from ops.context import current_request_id, is_well_formed
from planning.models import Plan, PlanStatus

logger = logging.getLogger(__name__)

TRANSITION_TO: dict[str, str] = {
    PlanStatus.SUBMITTED: "mark_submitted",
    PlanStatus.APPRAISAL: "mark_appraisal",
    PlanStatus.COUNCIL: "mark_council",
    PlanStatus.APPROVED: "mark_approved",
    PlanStatus.REPORTED: "mark_reported",
    PlanStatus.ACCEPTED: "mark_accepted",
    PlanStatus.CLOSED: "mark_closed",
    PlanStatus.GUIDANCE_ISSUED: "mark_guidance_issued",
    PlanStatus.RETURNED: "mark_returned",
    PlanStatus.WAIVED: "mark_waived",
    PlanStatus.DRAFT: "mark_draft",
}


def plan_transition(*, plan: Plan, target: str, also: tuple[str, ...] = ()) -> None:
    """Move the plan with its django-fsm transition (which refuses an illegal move) and save,
    with ``also``: other fields the caller changed on ``plan`` (one UPDATE of the row).

    The caller holds the plan's row lock inside its transaction."""
    from django_fsm import TransitionNotAllowed

    try:
        getattr(plan, TRANSITION_TO[target])()
    except TransitionNotAllowed:
        raise Conflict(
            _("Không thể chuyển kế hoạch từ “%(status)s”.") % {"status": plan.get_status_display()}
        ) from None
    plan.save(update_fields=["status", "updated_at", *also])


def audit_record(
    *,
    plan: Plan,
    actor: User,
    action: str,
    from_status: str,
    acting_for: User | None = None,
    agency: Agency | None = None,
    step: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
    request_id: str = "",
) -> AuditEvent:
    """Append the plan's next audit event, chained to its previous one (``approvals.chain``).

    The caller holds the plan's row lock in its transaction (``plan_act``, ``deadline_extend``):
    that lock is what orders one plan's events, so the last hash read here is the last one. A
    caller without it loses a race on the chain's unique link (IntegrityError), never forks it.

    The request id is the current one (``ops.context``: the request's, as the request-id
    middleware validated it, or the Celery task's): callers pass none. ``request_id`` only
    overrides it with another well-formed id; a malformed one is never stored (the current id
    replaces it).
    """
    if request_id and not is_well_formed(request_id):
        logger.warning("audit_record got a malformed request id; storing the validated one instead")
        request_id = ""
    event = AuditEvent(
        plan=plan,
        actor=actor,
        acting_for=acting_for,
        agency=agency,
        action=action,
        step=step,
        from_status=from_status,
        to_status=plan.status,
        comment=comment,
        round_number=plan.round_number,
        data=_jsonable(data or {}),
        request_id=request_id or current_request_id(),
        created_at=timezone.now(),
    )
    event.prev_hash = (
        AuditEvent.objects.filter(plan_id=plan.pk).order_by("-id").values_list("chain_hash", flat=True).first() or ""
    )
    event.chain_hash = chain.digest({name: getattr(event, name) for name in chain.CONTENT_FIELDS}, event.prev_hash)
    event.save(force_insert=True)
    return event


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """The data as it reads back from the JSON column, so the hash covers what is stored."""
    plain = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
    stored: dict[str, Any] = json.loads(json.dumps(plain))
    return stored


def resolution_record(*, actor: User, plan: Plan, number: str, date: dt.date) -> Resolution:
    return Resolution.objects.create(
        plan=plan, number=number, date=date, round_number=plan.round_number, recorded_by=actor
    )


def idempotent_replay(*, actor: User, key: str, plan_id: int, action: str) -> dict[str, Any] | None:
    """The first answer to this key, replayed (a record is kept at least IDEMPOTENCY_KEEP_DAYS)."""
    record = IdempotencyRecord.objects.filter(actor=actor, key=key).first()
    if record is None:
        return None
    if record.plan_id != plan_id or record.action != action:
        raise Conflict(_("Khóa idempotency này đã dùng cho một thao tác khác."))
    return {**record.response, "replayed": True}


def idempotent_record(*, actor: User, key: str, plan: Plan, action: str, response: dict[str, Any]) -> None:
    IdempotencyRecord.objects.create(actor=actor, key=key, plan=plan, action=action, response=response)


PURGE_BATCH = 5000


def idempotency_records_purge(*, now: dt.datetime | None = None) -> int:
    """Delete idempotency records older than ``IDEMPOTENCY_KEEP_DAYS`` (the scheduled job).

    A retry inside the window always finds its record: only records older than the whole window
    go, in short batches (no long lock on the table). A key reused after its record went is a
    new action. Returns how many were deleted.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.IDEMPOTENCY_KEEP_DAYS)
    deleted = 0
    while True:
        ids = list(
            IdempotencyRecord.objects.filter(created_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:PURGE_BATCH]
        )
        if not ids:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]


# --- notifications (outbox rows in the same transaction) --------------------------------------


def notify(**kwargs: Any) -> None:
    """An outbox row in the caller's transaction (``notifications.services.notify``)."""
    from notifications import services as notifications

    notifications.notify(**kwargs)


OUTCOME_TEXT = {
    "return": ("returned", "Kế hoạch bị trả lại: {reason}", "Plan returned for revision: {reason}"),
    "accept": ("accepted", "Kế hoạch đã được chấp nhận", "Plan accepted"),
    "approve": (
        "approved",
        "HĐND đã phê duyệt kế hoạch (Nghị quyết {resolution})",
        "The council approved the plan (resolution {resolution})",
    ),
    "acknowledge": ("acknowledged", "Bộ đã xác nhận báo cáo", "The ministry acknowledged the report"),
    "waive": ("info", "Kế hoạch được cấp trên miễn: {reason}", "Plan waived by the level above: {reason}"),
    "reopen": ("returned", "Cấp trên mở lại kế hoạch: {reason}", "Plan re-opened by the level above: {reason}"),
}


def announce_outcome(*, event: AuditEvent, link: str) -> None:
    """Tell the plan's own unit what happened to its plan (returned, accepted, approved, …);
    ``link``: the page the notice opens (the flow's task page, which the caller names)."""
    if event.action not in OUTCOME_TEXT:
        return
    kind, vi, en = OUTCOME_TEXT[event.action]
    plan = event.plan
    values = {"reason": event.comment, "resolution": event.data.get("resolution_number", "")}
    recipients = set(unit_members_with_roles(plan.unit_id, (Role.DRAFTER, Role.HEAD)))
    editor = plan.last_edited_by if plan.last_edited_by_id else None
    if editor is not None:
        recipients.add(editor)
    recipients.discard(event.actor)
    title = f"{plan.get_plan_type_display()} {plan.cycle.year}, {plan.unit.name}"
    notify(
        recipients=recipients,
        kind=kind,
        plan=plan,
        link=link,
        text_vi=f"{vi.format(**values)} — {title}",
        text_en=f"{en.format(**values)} — {title}",
        event_id=event.pk,
    )

"""Reads of a plan's dossier. Callers have already checked that the plan is visible
(``planning.selectors.plan_get_for_user``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from approvals.models import AuditEvent
from directory.models import Agency, Membership, Role, User
from dossier.models import Attachment, Comment
from planning.models import Plan, PlanStatus

# The decisions that send a plan back to its drafters with a reason.
RETURN_ACTIONS = ("return", "reopen")
# Decisions whose reason belongs in the conversation.
DECISIONS_WITH_REASON = ("return", "reopen", "waive", "amend", "accept", "approve")


def line_key(ref: Any) -> str:
    """A line's item as one key, whatever wrote it: the task page ("2"), the editor's choice
    value ("2021-2025:1" for a continuing item) or the API."""
    return str(ref or "").strip().rpartition(":")[2]


def last_return(plan: Plan) -> AuditEvent | None:
    """The plan's latest return (or re-opening) by the level above."""
    return (
        AuditEvent.objects.filter(plan=plan, action__in=RETURN_ACTIONS)
        .select_related("actor", "acting_for", "agency")
        .order_by("-id")
        .first()
    )


def open_return(plan: Plan) -> AuditEvent | None:
    """The return the drafters are answering now: the latest one, while the plan is still
    returned (a resubmission closes it)."""
    return last_return(plan) if plan.status == PlanStatus.RETURNED else None


def named_line_comments(plan: Plan, events: list[AuditEvent]) -> dict[int, list[dict[str, str]]]:
    """Each decision's line comments, the line named by its catalogue item (``planning.changes``),
    for all the events at once (one set of catalogue reads, whatever their number)."""
    from planning import changes

    raw = [(event.pk, c) for event in events for c in (event.data or {}).get("line_comments") or []]
    named = changes.line_comments(plan, [c for _pk, c in raw]) if raw else []
    result: dict[int, list[dict[str, str]]] = {}
    for (pk, c), n in zip(raw, named, strict=True):
        result.setdefault(pk, []).append({"line": line_key(c.get("line")), "label": n["line"], "comment": n["comment"]})
    return result


def line_labels(plan: Plan) -> dict[str, str]:
    """Item code → "2. Đa dạng hóa sinh kế…" for the plan's own lines (the thread's anchors)."""
    labels: dict[str, str] = {}
    for line in plan.lines.select_related("item").order_by("position"):
        labels.setdefault(line.item.code, f"{line.item.code}. {line.item.title}")
    return labels


@dataclass
class Entry:
    """One message of the thread, whether a comment or the reason of a decision."""

    kind: str  # "comment" | "decision"
    id: int
    author: User
    agency: Agency | None
    created_at: Any
    round_number: int
    text: str
    action: str = ""
    acting_for: User | None = None
    line_ref: str = ""
    line_label: str = ""
    line_comments: list[dict[str, str]] = field(default_factory=list)
    answers: AuditEvent | None = None
    replies: list[Entry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "author": self.author.display_name,
            "agency": self.agency.name if self.agency else None,
            "created_at": self.created_at.isoformat(),
            "round": self.round_number,
            "text": self.text,
            "action": self.action or None,
            "line": self.line_ref or None,
            "line_label": self.line_label or None,
            "line_comments": self.line_comments,
            "answers_event": self.answers.pk if self.answers else None,
            "replies": [reply.as_dict() for reply in self.replies],
        }


def _comment_entry(comment: Comment, labels: dict[str, str], events: dict[int, AuditEvent]) -> Entry:
    return Entry(
        kind="comment",
        id=comment.pk,
        author=comment.author,
        agency=comment.agency,
        created_at=comment.created_at,
        round_number=comment.round_number,
        text=comment.text,
        line_ref=comment.line_ref,
        line_label=labels.get(comment.line_ref, comment.line_ref),
        answers=events.get(comment.answers_event_id) if comment.answers_event_id else None,
    )


def thread(plan: Plan) -> list[Entry]:
    """The plan's conversation, oldest first: the reasons given with decisions (a return and its
    line comments, a waiver, …) and the officers' comments, each with its replies, in a number
    of queries that does not grow with the thread."""
    labels = line_labels(plan)
    decisions = list(
        AuditEvent.objects.filter(plan=plan, action__in=DECISIONS_WITH_REASON)
        .select_related("actor", "acting_for", "agency")
        .order_by("id")
    )
    events = {event.pk: event for event in decisions}
    named = named_line_comments(plan, decisions)
    entries = [
        Entry(
            kind="decision",
            id=event.pk,
            author=event.actor,
            agency=event.agency,
            acting_for=event.acting_for,
            created_at=event.created_at,
            round_number=event.round_number,
            text=event.comment,
            action=event.action,
            line_comments=named.get(event.pk, []),
        )
        for event in decisions
        if event.comment or (event.data or {}).get("line_comments")
    ]
    replies = Prefetch("replies", queryset=Comment.objects.select_related("author", "agency").order_by("id"))
    comments = (
        Comment.objects.filter(plan=plan, parent__isnull=True)
        .select_related("author", "agency")
        .prefetch_related(replies)
        .order_by("id")
    )
    for comment in comments:
        entry = _comment_entry(comment, labels, events)
        entry.replies = [_comment_entry(reply, labels, events) for reply in comment.replies.all()]
        entries.append(entry)
    entries.sort(key=lambda entry: entry.created_at)
    return entries


@dataclass
class LineNote:
    author: str
    text: str
    created_at: Any
    from_return: bool


def line_notes(plan: Plan) -> dict[str, list[LineNote]]:
    """Item code → what was said about that line: the open return's line comments, then the
    thread's comments anchored to the line in the current round."""
    notes: dict[str, list[LineNote]] = {}
    pending = open_return(plan)
    if pending is not None:
        for c in (pending.data or {}).get("line_comments", []):
            notes.setdefault(line_key(c.get("line")), []).append(
                LineNote(pending.actor.display_name, str(c.get("comment", "")), pending.created_at, True)
            )
    anchored = (
        Comment.objects.filter(plan=plan, round_number=plan.round_number)
        .exclude(line_ref="")
        .select_related("author")
        .order_by("id")
    )
    for comment in anchored:
        notes.setdefault(comment.line_ref, []).append(
            LineNote(comment.author.display_name, comment.text, comment.created_at, False)
        )
    return notes


def attachments_of(plan: Plan) -> QuerySet[Attachment]:
    """The plan's files, by round (the newest round first), then in upload order."""
    return Attachment.objects.filter(plan=plan).select_related("uploaded_by").order_by("-round_number", "id")


def attachment_get(plan: Plan, attachment_id: Any) -> Attachment | None:
    try:
        return Attachment.objects.filter(plan=plan, pk=int(attachment_id)).select_related("uploaded_by").first()
    except (TypeError, ValueError):
        return None


def author_agency(user: User, plan: Plan) -> Agency | None:
    """The agency an officer speaks for on this plan: one of the plan's own unit first, then one
    holding an open task on it, then one that decided on it, then any of theirs."""
    from workflows.models import WorkItem

    memberships = list(Membership.objects.filter(user=user).select_related("agency").order_by("id"))
    if not memberships:
        return None
    agencies = {m.agency_id: m.agency for m in memberships}
    for agency in agencies.values():
        if agency.unit_id == plan.unit_id:
            return agency
    working = WorkItem.objects.filter(plan=plan, is_open=True, agency_id__in=agencies)
    for agency_id in working.values_list("agency_id", flat=True)[:1]:
        return agencies[agency_id]
    decided = AuditEvent.objects.filter(plan=plan, agency_id__in=agencies).order_by("-id")
    for agency_id in decided.values_list("agency_id", flat=True)[:1]:
        return agencies[agency_id]
    return memberships[0].agency


def people_on_plan(plan: Plan) -> list[User]:
    """Who hears of a new comment: the drafters and heads of the plan's unit and its last
    editor, the agencies holding an open task on it, and everyone who decided or commented on it."""
    from workflows.models import WorkItem

    own = Membership.objects.filter(agency__unit_id=plan.unit_id, role__in=(Role.DRAFTER, Role.HEAD))
    working = Membership.objects.filter(
        agency_id__in=WorkItem.objects.filter(plan=plan, is_open=True).values("agency_id")
    )
    ids = set(own.values_list("user_id", flat=True)) | set(working.values_list("user_id", flat=True))
    ids |= set(AuditEvent.objects.filter(plan=plan).values_list("actor_id", flat=True))
    ids |= set(Comment.objects.filter(plan=plan).values_list("author_id", flat=True))
    if plan.last_edited_by_id:
        ids.add(plan.last_edited_by_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))

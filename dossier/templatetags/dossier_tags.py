"""The dossier's parts of other apps' pages, included with one line each
(``{% include "dossier/_thread.html" %}`` …): each reads the page's ``plan`` and ``request``."""

from __future__ import annotations

from django import template

from dossier import selectors
from planning import selectors as plan_selectors

register = template.Library()


def _base(context) -> dict:
    request = context.get("request")
    return {
        "plan": context["plan"],
        "request": request,
        "user": getattr(request, "user", None),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }


@register.inclusion_tag("dossier/thread.html", takes_context=True)
def dossier_thread(context):
    data = _base(context)
    plan = data["plan"]
    data["entries"] = selectors.thread(plan)
    data["line_choices"] = list(selectors.line_labels(plan).items())
    return data


@register.inclusion_tag("dossier/attachments.html", takes_context=True)
def dossier_attachments(context):
    data = _base(context)
    plan = data["plan"]
    attachments = list(selectors.attachments_of(plan))
    data["attachments"] = attachments
    data["can_change"] = data["user"] is not None and plan_selectors.can_edit_content(data["user"], plan)
    data["preparing"] = plan.round_number + 1
    from dossier.models import Attachment

    data["kinds"] = Attachment.Kind.choices
    return data


@register.inclusion_tag("dossier/pinned_return.html", takes_context=True)
def dossier_pinned_return(context):
    data = _base(context)
    plan = data["plan"]
    event = selectors.open_return(plan)
    data["event"] = event
    if event is not None:
        data["line_comments"] = selectors.named_line_comments(plan, [event]).get(event.pk, [])
    return data


@register.inclusion_tag("dossier/reply_field.html", takes_context=True)
def dossier_reply_field(context):
    data = _base(context)
    data["event"] = selectors.open_return(data["plan"])
    posted = context.get("posted") or {}
    data["value"] = posted.get("reply", "") if hasattr(posted, "get") else ""
    return data


@register.simple_tag(takes_context=True)
def dossier_line_notes_for(context, form):
    """The notes on the editor's line ``form`` (``dossier_line_notes`` in the editor's context)."""
    notes = context.get("dossier_line_notes") or {}
    if not notes:
        return []
    try:
        value = form["item"].value()
    except KeyError:
        return []
    return notes.get(selectors.line_key(value), [])

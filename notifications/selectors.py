"""Reads of the notification centre. Every read is scoped to one recipient: there is no way to
list another officer's notifications through this module, so no agency sees another's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import translation

from directory.models import User
from notifications.models import DEFAULT_DIGEST_HOUR, EmailMode, EmailPreference, Kind, Notification

MAX_BATCH = 200  # the API's page and the websocket catch-up batch


@dataclass(frozen=True)
class BellState:
    unread: int
    last_id: int


def notifications_for(user: User) -> QuerySet[Notification]:
    """The officer's notifications, newest first (index notif_recipient_id)."""
    return Notification.objects.filter(recipient=user).order_by("-id")


def notifications_after(user: User, *, after_id: int, limit: int = MAX_BATCH) -> list[Notification]:
    """The officer's notifications with id > ``after_id``, oldest first: the cursor read.

    Callers bound ``limit`` (the API asks for one extra row to know whether more follow)."""
    return list(Notification.objects.filter(recipient=user, id__gt=after_id).order_by("id")[:limit])


def notification_get_for_user(user: User, notification_id: int) -> Notification:
    """The officer's own notification, or 404 (never 403: another's ids are not confirmed)."""
    return get_object_or_404(Notification, pk=notification_id, recipient=user)


def unread_count(user: User) -> int:
    """Counted over the partial index of unread rows."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def bell_state(user: User) -> BellState:
    """Unread count and newest id in one query: the bell's badge and the websocket cursor."""
    row = Notification.objects.filter(recipient=user).aggregate(
        unread=Count("id", filter=Q(read_at__isnull=True)), last_id=Max("id")
    )
    return BellState(unread=row["unread"] or 0, last_id=row["last_id"] or 0)


def notification_payload(notification: Notification, *, language: str) -> dict[str, Any]:
    """The JSON shape shared by the API, the websocket and notifications.js.

    ``text`` is in ``language`` (the recipient's for the API and the socket); ``texts`` carries
    both so a page shown in the other language can pick its own.
    """
    with translation.override(language):
        kind_label = str(Kind(notification.kind).label) if notification.kind in Kind.values else notification.kind
    return {
        "id": notification.id,
        "kind": notification.kind,
        "kind_label": kind_label,
        "text": notification.text_for(language),
        "texts": {"vi": notification.text_vi, "en": notification.text_en or notification.text_vi},
        "link": notification.link,
        "plan_id": notification.plan_id,
        "created_at": _iso(notification.created_at),
        "read": notification.read_at is not None,
    }


def _iso(value: datetime) -> str:
    return value.isoformat()


def payloads_after(user: User, *, after_id: int, limit: int = MAX_BATCH) -> list[dict[str, Any]]:
    """Websocket catch-up: one batch of the officer's notifications after ``after_id``."""
    return [
        notification_payload(n, language=user.language)
        for n in notifications_after(user, after_id=after_id, limit=limit)
    ]


def payload_for(user: User, notification_id: int) -> dict[str, Any] | None:
    """A live push, re-read under the officer's own filter (None if it is not theirs)."""
    notification = Notification.objects.filter(recipient=user, pk=notification_id).first()
    return notification_payload(notification, language=user.language) if notification else None


def email_preference_for(user: User) -> EmailPreference:
    """The officer's saved preference, or an unsaved one holding the defaults."""
    try:
        return user.email_preference
    except EmailPreference.DoesNotExist:
        return EmailPreference(user=user, mode=EmailMode.IMMEDIATE, digest_hour=DEFAULT_DIGEST_HOUR)

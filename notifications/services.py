"""Writes of the notification centre: the outbox, read marks, preferences, and delivery.

The outbox contract (design.md, "Reliability rules"):

* ``notify`` runs inside the caller's transaction: the rows commit or roll back with the event.
  Push and e-mail are scheduled with ``transaction.on_commit(..., robust=True)``, so nothing is
  sent for an event that rolled back, and a delivery failure never reaches the request.
* Many at once (the deadline sweep): inside ``collected()``, ``notify`` with a ``dedupe_key``
  validates and queues its rows, and the collector's ``flush()`` writes every queued row in one
  ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (the dedupe key's unique constraint decides, as
  it does for a single notify) with one after-commit delivery for all of them.
* Push is a hint: a failed push leaves ``pushed_at`` NULL for ``notifications_push_pending``;
  clients also catch up by id whenever they reconnect. Pushing twice is harmless (clients and
  the consumer drop ids they already have), so pushes need no claim.
* E-mail must go out once: every deliverer first *claims* the row with a conditional UPDATE
  (``emailed_at IS NULL AND claim absent or stale``) and only the winner sends. A crashed
  deliverer's claim goes stale after ``EMAIL_CLAIM_SECONDS`` and the row is retried.

Times come from the application clock (``timezone.now()``), not the database's, so tests can
move them with time_machine; the claim timeout is long enough to absorb clock skew between hosts.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta

from celery.exceptions import Retry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from config import bulk
from directory.models import User
from notifications import email, push, selectors
from notifications.circuit import Circuit
from notifications.models import (
    EmailMode,
    EmailOutcome,
    EmailPreference,
    Kind,
    Notification,
)
from planning.models import Plan

logger = logging.getLogger(__name__)

# A claim older than this is presumed dead (worker killed mid-send) and may be taken over. It
# must exceed the longest SMTP conversation (set EMAIL_TIMEOUT well below it).
EMAIL_CLAIM_SECONDS: int = getattr(settings, "NOTIFICATIONS_EMAIL_CLAIM_SECONDS", 300)
# deliver_pending_email_task retries rows whose e-mail is not settled after this long.
EMAIL_RETRY_AFTER: timedelta = timedelta(minutes=getattr(settings, "NOTIFICATIONS_EMAIL_RETRY_AFTER_MINUTES", 10))
# push_pending_task re-pushes rows still unpushed after this long (the on-commit push had its chance).
PUSH_RETRY_AFTER: timedelta = timedelta(seconds=getattr(settings, "NOTIFICATIONS_PUSH_RETRY_AFTER_SECONDS", 30))
# After this many claims a row is given up (outcome "failed") rather than retried forever.
EMAIL_MAX_ATTEMPTS = 8
# Rows handled per scheduled run, so one run stays short after a long outage.
PENDING_BATCH = 500
# A digest lists this many notifications in full and counts the rest.
DIGEST_LIST_LIMIT = 100

# After a failure, after-commit hooks stop trying Redis for a while (see circuit.py).
push_circuit = Circuit("push", cool_off_seconds=30)
broker_circuit = Circuit("broker", cool_off_seconds=30)

# Kinds whose mail uses the reminder template (subject says "deadline").
_REMINDER_KINDS = {Kind.REMINDER, Kind.ESCALATION}
_KINDS = frozenset(Kind.values)


# --- notify -----------------------------------------------------------------------------------


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    plan: Plan | None,
    link: str,
    text_vi: str,
    text_en: str,
    event_id: int | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Create one notification per distinct active recipient, inside the caller's transaction.

    Push and e-mail are scheduled for after commit. With ``dedupe_key``, a recipient who already
    has a notification with that key gets nothing new (the unique constraint decides races), so
    a reminder job may run twice. Returns the rows created, in id order.

    Inside ``collected()`` a call with ``dedupe_key`` is validated the same way, then only
    queues its rows and returns an empty list: nothing is created until the collector's
    ``flush()`` (see ``collected``).
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    _check_link(link)
    if not text_vi.strip():
        raise ValueError("text_vi must not be empty")

    users = _distinct_active(recipients)
    if not users:
        return []
    collector = _collector.get()
    if collector is not None and dedupe_key is not None:
        # Written (or skipped as duplicates) by the collector's flush(); nothing exists yet.
        collector.add(
            [user.pk for user in users],
            kind=kind,
            plan_id=plan.pk if plan is not None else None,
            link=link,
            text_vi=text_vi,
            text_en=text_en,
            event_id=event_id,
            dedupe_key=dedupe_key,
        )
        return []
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            plan=plan,
            link=link,
            text_vi=text_vi,
            text_en=text_en,
            event_id=event_id,
            dedupe_key=dedupe_key,
        )
        for user in users
    ]
    created = Notification.objects.bulk_create(rows) if dedupe_key is None else _create_deduplicated(rows, dedupe_key)
    _deliver_on_commit(created)
    return created


def _deliver_on_commit(created: list[Notification]) -> None:
    _deliver_pairs_on_commit([(n.pk, n.recipient_id) for n in created])


def _deliver_pairs_on_commit(pairs: list[tuple[int, int]]) -> None:
    """Push and e-mail these (notification id, recipient id) after commit."""
    if not pairs:
        return

    def deliver_after_commit() -> None:
        _deliver_after_commit(pairs)

    # robust: a failure is logged by Django and never reaches the committed request.
    transaction.on_commit(deliver_after_commit, robust=True)


# --- many notifications in one statement -------------------------------------------------------


class Collector:
    """What ``notify(…, dedupe_key=…)`` calls queued inside ``collected()``, until ``flush()``:
    per call, its recipients' ids and the values their rows share (plain values, not model
    instances: a sweep queues thousands)."""

    def __init__(self) -> None:
        self._calls: list[tuple[list[int], dict[str, object]]] = []

    def add(self, recipient_ids: list[int], **values: object) -> None:
        """Queue one row per recipient; ``values``: the other columns by attribute name (those
        not given take the model's defaults)."""
        self._calls.append((recipient_ids, values))

    def flush(self) -> list[int]:
        """Write every queued row (caller's transaction) in one ``INSERT … ON CONFLICT DO NOTHING
        RETURNING`` (a few on SQLite if they exceed its variable limit): a row whose (recipient,
        dedupe key) exists already is skipped, as ``notify`` would. Schedules one after-commit
        delivery for the rows written and returns their ids, ascending."""
        calls, self._calls = self._calls, []
        written = _insert_skipping_duplicates(calls)
        _deliver_pairs_on_commit(written)
        return [pk for pk, _recipient_id in written]


_collector: ContextVar[Collector | None] = ContextVar("notifications_collector", default=None)


@contextmanager
def collected() -> Iterator[Collector]:
    """Queue the rows of ``notify(…, dedupe_key=…)`` calls in this block (this thread only) and
    write them together: by ``flush()`` within the block, and whatever is left when the block
    ends normally. If the block raises, what is still queued is dropped (the caller's
    transaction is rolling back anyway). Calls without a dedupe key insert at once, as usual.
    """
    collector = Collector()
    token = _collector.set(collector)
    try:
        yield collector
    finally:
        _collector.reset(token)
    collector.flush()  # only reached when the block did not raise


def _insert_skipping_duplicates(calls: list[tuple[list[int], dict[str, object]]]) -> list[tuple[int, int]]:
    """The collector's rows in one statement (see ``Collector.flush``); returns (id, recipient
    id) of those written, by id."""
    rows: dict[tuple[int, object], dict[str, object]] = {}
    recipients: dict[tuple[int, object], int] = {}
    for recipient_ids, values in calls:
        for recipient_id in recipient_ids:
            key = (recipient_id, values["dedupe_key"])
            if key not in rows:  # the same key twice in one batch: the first stands, as in the table
                rows[key] = values
                recipients[key] = recipient_id
    if not rows:
        return []
    meta = Notification._meta
    fields = bulk.insert_fields(Notification)
    table, columns = bulk.table(Notification), ", ".join(bulk.column(f) for f in fields)
    returning = ", ".join(bulk.column(meta.get_field(name)) for name in ("id", "recipient"))
    keys = list(rows)
    # One moment for the whole statement (what a column default of now() would give); columns
    # no call gave take the field's default.
    now = timezone.now()
    given = set().union(*(values.keys() for values in rows.values()))
    raw: list[bulk.Column] = []
    for field in fields:
        if field.attname == "recipient_id":
            raw.append([recipients[key] for key in keys])
        elif field.attname in given:
            default = field.get_default()
            raw.append([rows[key].get(field.attname, default) for key in keys])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raw.append([now] * len(keys))
        else:
            raw.append([field.get_default()] * len(keys))
    written: list[tuple[int, int]] = []
    for select, params in bulk.selects(fields, bulk.db_columns(fields, raw)):
        # Identifiers come from the model's metadata; every value is bound. (WHERE true: SQLite
        # would read ON CONFLICT as a join's ON without it.)
        sql = f"INSERT INTO {table} ({columns}) {select} WHERE true ON CONFLICT DO NOTHING RETURNING {returning}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            written.extend(cursor.fetchall())
    written.sort()
    return written


def _check_link(link: str) -> None:
    # Only in-site paths: a notification can never send an officer to another site (browsers
    # read "//host" and "/\\host" as other sites, which url_has_allowed_host_and_scheme refuses).
    if not link.startswith("/") or not url_has_allowed_host_and_scheme(link, allowed_hosts=set()):
        raise ValueError(f"link must be a path inside the site, not {link!r}")


def _distinct_active(recipients: Iterable[User]) -> list[User]:
    seen: set[int] = set()
    users = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        users.append(user)
    return users


def _create_deduplicated(rows: list[Notification], dedupe_key: str) -> list[Notification]:
    existing = set(
        Notification.objects.filter(dedupe_key=dedupe_key, recipient__in=[r.recipient_id for r in rows]).values_list(
            "recipient_id", flat=True
        )
    )
    fresh = [row for row in rows if row.recipient_id not in existing]
    try:
        # The usual case, no concurrent writer: one INSERT for all of them, in a savepoint.
        with transaction.atomic():
            return Notification.objects.bulk_create(fresh)
    except IntegrityError:
        for row in fresh:
            row.pk = None
    created = []
    for row in fresh:  # someone raced us for one of the keys: settle row by row
        try:
            # A savepoint, so losing a race does not break the caller's transaction.
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            if not Notification.objects.filter(recipient_id=row.recipient_id, dedupe_key=dedupe_key).exists():
                raise
            # A concurrent run inserted the same key first; that row stands for both.
            continue
        created.append(row)
    return created


def _deliver_after_commit(pairs: list[tuple[int, int]]) -> None:
    """After commit, in the request thread: one message hands the push and the e-mails to a
    worker (``notifications_deliver``, queue ``push``), so the request pays one enqueue, not one
    Redis send per recipient and one enqueue per e-mail; eager Celery runs it right here. Without
    a worker (``NOTIFICATIONS_VIA_WORKER`` off: the demo) the request delivers them itself. A
    broker that is down leaves the rows for the scheduled jobs (``push_pending_task``,
    ``deliver_pending_email_task``); nothing here may fail the (committed) request."""
    from notifications.tasks import deliver_task  # tasks import this module

    if not settings.NOTIFICATIONS_VIA_WORKER:  # the demo: no worker runs, the request delivers
        notifications_deliver(pairs)
        return
    if broker_circuit.is_open:
        logger.info("broker suspended after a recent failure; %d notification(s) left for the jobs", len(pairs))
        return
    try:
        deliver_task.apply_async(args=[[list(pair) for pair in pairs]], retry=False)
    except BrokerError as exc:
        broker_circuit.trip()
        logger.warning("cannot hand %d notification(s) to a worker (broker down): %s", len(pairs), exc)


def notifications_deliver(pairs: list[tuple[int, int]]) -> None:
    """The worker's part of a commit's notifications: push them, then enqueue their e-mails as
    one message. Failures are logged and leave the rows for the scheduled jobs (pushing twice is
    harmless; an e-mail is claimed before it is sent)."""
    if push_circuit.is_open:
        logger.info("push suspended after a recent failure; %d notification(s) left for the job", len(pairs))
    else:
        _push_rows(pairs)
    enqueue_emails([notification_id for notification_id, _recipient_id in pairs])


def enqueue_emails(notification_ids: list[int]) -> bool:
    """Hand these e-mails to Celery as one message (``deliver_emails_task``, default queue): one
    SMTP connection for the commit instead of one message and one connection per recipient.
    False (logged) when the broker is down: the job retries the rows later."""
    from notifications.tasks import deliver_emails_task  # tasks import this module

    if not notification_ids or broker_circuit.is_open:
        return False
    try:
        # retry=False: a down broker fails at once instead of holding the worker for seconds.
        deliver_emails_task.apply_async(args=[notification_ids], retry=False)
    except BrokerError as exc:
        broker_circuit.trip()
        logger.warning("cannot enqueue e-mail of %d notification(s) (broker down): %s", len(notification_ids), exc)
        return False
    except (OSError, Retry) as exc:
        # Eager mode (demo, tests) runs the task right here, and an SMTP failure surfaces as the
        # task's Retry (eager mode does not retry). The rows not sent stay unclaimed for
        # deliver_pending_email_task.
        logger.warning("e-mail of %d notification(s) failed, left for the retry job: %s", len(notification_ids), exc)
        return False
    return True


# --- push -------------------------------------------------------------------------------------


def _push_rows(pairs: list[tuple[int, int]]) -> int:
    """Push (id, recipient) pairs in one go; a failure (Redis is down) trips the circuit and
    leaves the unpushed rows for push_pending_task."""
    pushed, failure = push.send_new_notifications(pairs)
    if failure is not None:
        push_circuit.trip()
        logger.warning(
            "push of %d notification(s) failed, left for push_pending_task: %s", len(pairs) - len(pushed), failure
        )
    if pushed:
        Notification.objects.filter(pk__in=pushed, pushed_at__isnull=True).update(pushed_at=timezone.now())
    return len(pushed)


def notifications_push_pending(*, limit: int = PENDING_BATCH) -> int:
    """Re-push rows the after-commit hook could not push (Redis was down). Returns how many."""
    cutoff = timezone.now() - PUSH_RETRY_AFTER
    pairs = list(
        Notification.objects.filter(pushed_at__isnull=True, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", "recipient_id")[:limit]
    )
    pushed = _push_rows(pairs)
    if pushed:
        push_circuit.reset()  # Redis answers again: requests may push directly
    return pushed


# --- read marks -------------------------------------------------------------------------------


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None, all_unread: bool = False) -> int:
    """Mark the officer's own notifications read: the given ``ids`` or, with ``all_unread``,
    every unread one. Ids of other officers' notifications are ignored. Returns rows updated;
    the officer's other open tabs get the new unread count after commit."""
    if ids is None and not all_unread:
        raise ValueError("give ids or all_unread=True")
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if not all_unread:
        rows = rows.filter(pk__in=list(ids or []))
    updated = rows.update(read_at=timezone.now())
    if updated:

        def push_unread_after_commit() -> None:
            _push_unread_after_commit(user)

        transaction.on_commit(push_unread_after_commit, robust=True)
    return updated


def _push_unread_after_commit(user: User) -> None:
    if push_circuit.is_open:
        return
    try:
        push.send_to_user(user.pk, push.unread_message(selectors.unread_count(user)))
    except push.PushFailed as exc:
        # Only a badge refresh for other tabs; their next sync corrects it. No retry needed.
        push_circuit.trip()
        logger.info("unread-count push for user %s failed: %s", user.pk, exc)


# --- preferences ------------------------------------------------------------------------------


def email_preference_set(*, user: User, mode: str, digest_hour: int) -> EmailPreference:
    """Save how ``user`` wants e-mail. Rows already waiting follow the new mode at their next
    delivery attempt (switching to digest holds them for the digest; "off" settles them)."""
    errors = {}
    if mode not in EmailMode.values:
        errors["mode"] = _("Cách gửi thư không hợp lệ.")
    if not isinstance(digest_hour, int) or not 0 <= digest_hour <= 23:
        errors["digest_hour"] = _("Giờ gửi phải từ 0 đến 23.")
    if errors:
        raise ValidationError(errors)
    preference, _created = EmailPreference.objects.update_or_create(
        user=user, defaults={"mode": mode, "digest_hour": digest_hour}
    )
    return preference


# --- e-mail delivery --------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    stale = now - timedelta(seconds=EMAIL_CLAIM_SECONDS)
    return Q(emailed_at__isnull=True) & (Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale))


def _claim(rows: Q) -> uuid.UUID | None:
    """Claim every claimable row matching ``rows`` with one conditional UPDATE.

    Under READ COMMITTED a concurrent claimer blocks on the row lock, then re-checks the WHERE
    against the committed row and matches nothing: exactly one claimer wins each row.
    """
    now = timezone.now()
    token = uuid.uuid4()
    claimed = Notification.objects.filter(rows, _claimable(now)).update(
        email_claimed_at=now, email_claim_token=token, email_attempts=F("email_attempts") + 1
    )
    return token if claimed else None


def _settle(token: uuid.UUID, outcome: str) -> int:
    """Record the outcome of the rows this claim holds (a lost claim matches nothing)."""
    return Notification.objects.filter(email_claim_token=token).update(
        emailed_at=timezone.now(), email_outcome=outcome, email_claim_token=None
    )


def _release(token: uuid.UUID) -> None:
    """Give the rows back at once, so a retry need not wait for the claim to go stale."""
    Notification.objects.filter(email_claim_token=token).update(email_claim_token=None, email_claimed_at=None)


def _skip_reason(user: User) -> str | None:
    if not user.is_active:
        return EmailOutcome.INACTIVE
    if not user.email:
        return EmailOutcome.NO_ADDRESS
    return None


def email_deliver(*, notification_id: int) -> str:
    """Send one notification's e-mail if its recipient wants it now; exactly once: the batch of
    one (``emails_deliver``), whose contract applies. Returns that row's outcome."""
    return emails_deliver(notification_ids=[notification_id])[notification_id]


def emails_deliver(*, notification_ids: Sequence[int]) -> dict[int, str]:
    """Send these notifications' e-mails, each exactly once, over one SMTP connection.

    Returns each id's outcome: an ``EmailOutcome`` value, ``"deferred"`` (the recipient takes a
    daily digest) or ``"not_claimed"`` (already settled, or another deliverer holds it).

    The rows are read in one query; each is then claimed just before it is handled, so a claim
    covers one SMTP conversation, not the whole batch (a slow batch cannot outlive its claims
    and be mailed twice by the retry job), and only rows actually tried count an attempt. The
    connection is opened at the first mail that goes (a batch of digest or opted-out officers
    opens none). An SMTP error other than a refused address releases the failing row's claim
    and propagates: the rows sent before it stay settled, those after it were never claimed,
    so the caller's retry (or ``deliver_pending_email_task``) sends exactly what is left.
    """
    outcomes = dict.fromkeys(notification_ids, "not_claimed")
    rows = (
        Notification.objects.filter(_claimable(timezone.now()), pk__in=list(outcomes))
        .select_related("recipient", "recipient__email_preference", "plan__cycle", "plan__unit")
        .order_by("id")
    )
    smtp = _BatchConnection()
    try:
        for notification in rows:
            # Only if nobody claimed it since the read (the attempt count would have moved), so
            # the count this row was read with is the one the claim raises.
            token = _claim(Q(pk=notification.pk, email_attempts=notification.email_attempts))
            if token is None:
                continue
            notification.email_attempts += 1
            outcomes[notification.pk] = _email_claimed(notification, token, smtp)
    finally:
        smtp.close()
    return outcomes


class _BatchConnection:
    """One e-mail backend connection for a batch, opened at its first mail."""

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None

    def get(self) -> BaseEmailBackend:
        if self._connection is None:
            connection = get_connection()
            connection.open()
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.close()
        except OSError as exc:  # QUIT failed: every mail sent was already accepted, nothing to redo
            logger.warning("closing the SMTP connection failed: %s", exc)
        self._connection = None


def _email_claimed(notification: Notification, token: uuid.UUID, smtp: _BatchConnection) -> str:
    """Handle one claimed row (``emails_deliver``): settle, defer or send it; returns the outcome."""
    user = notification.recipient
    skip = _skip_reason(user)
    if skip:
        _settle(token, skip)
        return skip
    preference = selectors.email_preference_for(user)
    if preference.mode == EmailMode.OFF:
        _settle(token, EmailOutcome.OFF)
        return EmailOutcome.OFF
    if preference.mode == EmailMode.DAILY_DIGEST:
        _release(token)
        return "deferred"
    if notification.email_attempts > EMAIL_MAX_ATTEMPTS:
        _settle(token, EmailOutcome.FAILED)
        logger.error("giving up e-mail of notification %s after %d attempts", notification.pk, EMAIL_MAX_ATTEMPTS)
        return EmailOutcome.FAILED

    language = email.language_of(user)
    template = "reminder" if notification.kind in _REMINDER_KINDS else "notification"
    try:
        email.send_templated(
            user,
            template,
            {
                "notification": notification,
                "text": notification.text_for(language),
                "url": email.absolute_url(notification.link),
                "plan": notification.plan,
                "preferences_url": email.absolute_url("/notifications/preferences/"),
            },
            headers={"X-Notification-Id": str(notification.pk)},
            connection=smtp.get(),
        )
    except smtplib.SMTPRecipientsRefused:
        # The address itself is refused: retrying cannot help (and the connection still serves).
        _settle(token, EmailOutcome.FAILED)
        logger.warning("address of user %s refused for notification %s", user.pk, notification.pk)
        return EmailOutcome.FAILED
    except Exception:
        _release(token)
        raise
    if not _settle(token, EmailOutcome.SENT):
        logger.warning(
            "notification %s was mailed after its claim went stale; another deliverer may mail it too", notification.pk
        )
    return EmailOutcome.SENT


def email_deliver_pending(*, limit: int = PENDING_BATCH) -> int:
    """Deliver e-mail that should have gone by now (broker was down, SMTP failed, worker died).

    Digest-mode recipients are left to the digest. Stops after three SMTP failures in a run: the
    server is down, the next run tries again. Returns how many rows were settled.
    """
    now = timezone.now()
    ids = list(
        Notification.objects.filter(_claimable(now), created_at__lt=now - EMAIL_RETRY_AFTER)
        .exclude(recipient__email_preference__mode=EmailMode.DAILY_DIGEST)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    settled = failures = 0
    for notification_id in ids:
        try:
            outcome = email_deliver(notification_id=notification_id)
        except OSError as exc:  # SMTPException and socket errors
            failures += 1
            logger.warning("retry of e-mail for notification %s failed: %s", notification_id, exc)
            if failures >= 3:
                break
            continue
        if outcome in EmailOutcome.values:
            settled += 1
    return settled


# --- daily digest -----------------------------------------------------------------------------


def digests_send_due(*, now: datetime | None = None) -> int:
    """Send today's digest to every digest-mode officer whose hour (Vietnam time) has passed and
    who has not had today's yet. Safe to run every tick and concurrently. Returns mails sent."""
    local = timezone.localtime(now or timezone.now())
    today = local.date()
    user_ids = list(
        EmailPreference.objects.filter(mode=EmailMode.DAILY_DIGEST, digest_hour__lte=local.hour)
        .filter(Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=today))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    sent = 0
    for user_id in user_ids:
        try:
            if digest_send(user_id=user_id, today=today):
                sent += 1
        except OSError as exc:  # SMTP down: today's digest is retried at the next tick
            logger.warning("digest for user %s failed: %s", user_id, exc)
    return sent


def digest_send(*, user_id: int, today: date) -> bool:
    """Mail one officer every notification whose e-mail is not settled, in one message.

    The rows are claimed first, so a concurrent run finds nothing to send; ``last_digest_on`` is
    set afterwards, so a failed send is retried at the next tick. Returns True if a mail went.
    """
    token = _claim(Q(recipient_id=user_id))
    mailed = False
    if token is not None:
        user = User.objects.get(pk=user_id)
        rows = list(Notification.objects.filter(recipient_id=user_id, email_claim_token=token).order_by("id"))
        skip = _skip_reason(user)
        if skip:
            _settle(token, skip)
        else:
            language = email.language_of(user)
            items = [{"text": n.text_for(language), "url": email.absolute_url(n.link), "n": n} for n in rows]
            try:
                email.send_templated(
                    user,
                    "digest",
                    {
                        "items": items[:DIGEST_LIST_LIMIT],
                        "count": len(items),
                        "more": max(0, len(items) - DIGEST_LIST_LIMIT),
                        "day": today,
                        "centre_url": email.absolute_url("/notifications/"),
                        "preferences_url": email.absolute_url("/notifications/preferences/"),
                    },
                )
            except Exception:
                _release(token)
                raise
            _settle(token, EmailOutcome.DIGEST)
            mailed = True
    EmailPreference.objects.filter(user_id=user_id).filter(
        Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=today)
    ).update(last_digest_on=today)
    return mailed

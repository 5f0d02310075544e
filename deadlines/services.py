"""Deadlines: due dates of tasks, extensions, and the reminder sweep. The writes of the app.

Due dates
---------
``due_for(plan=…, step=…, lane=…)`` is what ``workflows.services.work_item_open`` stores in
``WorkItem.due_at`` when a task is created: the unit's extension for that step if any, else the
milestone in force (``deadlines.milestones``: defaults from data, the province's overrides), at
the end of that day, local time. A task that exists because of someone else's late action (a
review after a late submission, a plan returned or amended) gets at least a few working days.

Reminders: the sweep and its guarantees
---------------------------------------
Each open work item with a due date has one ``DeadlineTimer`` (armed lazily by the sweep), whose
``next_fire_at`` says when its next threshold (``deadlines.thresholds``) is due. ``sweep()``:

1. arms timers for new work items (``INSERT … ON CONFLICT DO NOTHING``: concurrent sweeps agree);
2. repeatedly, in one transaction per batch: selects due timers by the **database clock** (plus
   the demo offset) with ``SELECT … FOR UPDATE OF timer SKIP LOCKED LIMIT batch``, so concurrent
   workers take disjoint rows and never wait for each other; computes every reminder and
   escalation of the batch in memory (recipients, thresholds, escalation targets, from lookups
   made once per batch), then writes the batch in a fixed number of statements: the ledger rows
   (unique ``(work_item, threshold)``) in one ``INSERT … ON CONFLICT DO NOTHING RETURNING``
   **before** any notification, the notifications of the rows it accepted in one INSERT (the
   outbox, same transaction; ``notifications.services.collected``), every timer's next
   threshold in one UPDATE. About ten queries per batch, whatever its size. If the batch fails,
   it rolls back to a savepoint and its timers (still locked) are fired again one by one, each
   in a savepoint, so one broken row holds back only itself. On PostgreSQL, outside a
   transaction, ``DEADLINES_SWEEP_WORKERS`` threads (2) fire batches at once, each on its own
   connection: two sweeps at once, kept apart as below (``_fire_in_parallel``).

Exactly once, and the window. The ledger row, the in-app notifications and the timer's new
``next_fire_at`` commit together or not at all:

* two sweeps at once: ``SKIP LOCKED`` keeps them apart; if a timer is reached twice anyway
  (SQLite has no row locks; a demo clock rewind), the second ledger insert finds the unique key
  taken (``ON CONFLICT DO NOTHING``; PostgreSQL first waits for the other transaction) and that
  threshold is skipped: never two in-app notifications for one threshold;
* a worker killed mid-batch (process killed, connection lost, an exception escaping the batch):
  its transaction rolls back, ledger rows included, and its row locks are released when
  PostgreSQL sees the connection end. The next sweep finds the same timers still due and sends
  them once. Nothing is lost; the only cost is delay: **up to one scheduler interval** (60 s)
  after the crash, plus however long PostgreSQL takes to notice a dead client (immediate for a
  killed process whose socket closes; up to the TCP keepalive or
  ``idle_in_transaction_session_timeout`` for a vanished host);
* e-mail leaves only after commit, through the notifications outbox (claimed with a conditional
  UPDATE). Its own window: a deliverer killed after the SMTP server accepted a message and before
  it recorded that can mail that one notification a second time, after
  ``NOTIFICATIONS_EMAIL_CLAIM_SECONDS`` (300 s). The deadline side adds no window of its own.

No Celery ETA or countdown is ever used for deadlines: a due date moved by an extension would
leave such a message behind, and a broker restart can lose or repeat it. The timer row is the
schedule; moving a deadline rewrites it in the same transaction (``deadline_extend``).

Catch-up: when a sweep finds several thresholds of a task passed (after an outage, or a demo
clock moved forward), it sends only the latest, saying where things stand now.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import services as approvals
from config import bulk
from deadlines import clock, conf, milestones, selectors, thresholds
from deadlines.models import (
    Audience,
    CalendarDay,
    ClockOffset,
    DeadlineExtension,
    DeadlineTimer,
    MilestoneOverride,
    ReminderLedgerEntry,
)
from deadlines.thresholds import ESCALATE_HEAD, ESCALATE_PARENT, Threshold, due_day, end_of_day
from deadlines.workdays import WorkingCalendar
from directory.authority import MemberIndex, member_ids_by_agency
from directory.models import AdministrativeUnit, Role, User
from notifications import services as notifications
from planning import selectors as plan_selectors
from planning.models import Cycle, Plan, PlanStatus
from workflows import routes
from workflows.models import WorkItem

logger = logging.getLogger(__name__)

# The sweep claims timers with SKIP LOCKED. Only the control test switches it off, to show that
# concurrent sweeps then reach the same timers and the ledger's unique key alone keeps them once.
_SKIP_LOCKED = True


# --- due dates -----------------------------------------------------------------------------------


def due_for(*, plan: Plan, step: str, lane: str = "") -> dt.datetime | None:
    """The deadline of a task of ``step`` created now for ``plan`` (None: no milestone known).

    Reads only. The unit's extension for the step wins over the milestone in force; a task that
    is not the plan's first draft (a review, an appraisal, a plan returned or amended) gets at
    least ``DEADLINES_MIN_DAYS_TO_ACT`` (returned/amended: ``DEADLINES_RETURN_GRACE_DAYS``)
    working days, so no one starts a task already late because someone else was. Both appraisal
    lanes share their step's milestone; ``lane`` is accepted so the call reads like the task.
    """
    calendar = WorkingCalendar.load()
    day = selectors.deadline_of(plan=plan, step=step, calendar=calendar)
    if day is None:
        return None
    floor = _floor_days(plan, step)
    if floor:
        day = max(day, calendar.add_working_days(clock.today(), floor))
    return end_of_day(day)


def _floor_days(plan: Plan, step: str) -> int:
    first = step == routes.first_step(plan)
    if first and plan.status == PlanStatus.DRAFT and plan.round_number == 0:
        return 0  # the plan's own first draft: the milestone is the deadline, however close
    if first:
        return conf.return_grace_days()
    return conf.min_days_to_act()


# --- extensions ------------------------------------------------------------------------------------


@transaction.atomic
def deadline_extend(*, actor: User, plan_id: int, due_on: dt.date, reason: str, step: str = "") -> DeadlineExtension:
    """Move one unit's deadline for ``step`` (default: the step it is at now) to ``due_on``.

    Allowed to an administrator or the head of the supervising level's standing agency (or their
    deputy under a delegation). In one transaction, under the plan's row lock: the extension row,
    the plan's audit event (``extend_deadline``), the open work items' ``due_at``, their armed
    reminder timers (thresholds not yet sent move; sent ones are never sent again), any viewflow
    timers armed on those tasks, and a notice to the unit. Raises Http404 (plan not visible),
    PermissionDenied, ValidationError (no reason, not later than the current deadline, a day off).
    """
    plan = _lock_plan_for(actor, plan_id)
    authority = selectors.extension_authority(user=actor, plan=plan)
    if not authority.allowed:
        raise PermissionDenied(_("Chỉ lãnh đạo cơ quan thường trực cấp trên hoặc quản trị viên mới được gia hạn."))
    reason = reason.strip()
    step = step or selectors.current_step(plan)
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Cần ghi lý do gia hạn.")
    if step not in routes.steps_for(plan):
        errors["step"] = _("Bước này không có trong tuyến của kế hoạch.")
    if errors:
        raise ValidationError(errors)

    calendar = WorkingCalendar.load()
    items = list(
        selectors.open_items_for(plan=plan, step=step).select_related("task")
    )  # due_at of the open task(s) is what the unit sees now
    current = max((due_day(i.due_at) for i in items if i.due_at), default=None) or selectors.deadline_of(
        plan=plan, step=step, calendar=calendar
    )
    if current is not None and due_on <= current:
        raise ValidationError(
            {"due_on": _("Hạn mới phải sau hạn hiện tại (%(date)s).") % {"date": f"{current:%d/%m/%Y}"}}
        )
    if not calendar.is_working_day(due_on):
        raise ValidationError({"due_on": _("Ngày %(date)s là ngày nghỉ.") % {"date": f"{due_on:%d/%m/%Y}"}})

    new_due_at = end_of_day(due_on)
    event = approvals.audit_record(
        plan=plan,
        actor=actor,
        acting_for=authority.acting_for,
        agency=authority.agency,
        action="extend_deadline",
        step=step,
        from_status=plan.status,
        comment=reason,
        data={"from": current, "to": due_on},
    )  # the audit row takes the request's id from its context (ops.context)
    extension = DeadlineExtension.objects.create(
        plan=plan,
        step=step,
        due_on=due_on,
        previous_due_on=current,
        reason=reason,
        extended_by=actor,
        acting_for=authority.acting_for,
        agency=authority.agency,
        audit_event_id=event.pk,
    )
    moment = clock.now()
    for item in items:
        _move_deadline(item, new_due_at, moment=moment, calendar=calendar)
    _announce_extension(plan=plan, step=step, items=items, due_on=due_on, reason=reason, event_id=event.pk)
    return extension


def _lock_plan_for(actor: User, plan_id: int) -> Plan:
    qs = Plan.objects.select_related("unit__parent", "cycle__period", "parent")
    if not actor.is_superuser:
        qs = qs.filter(plan_selectors.plan_scope_q(actor))
    plan = qs.select_for_update(of=("self",)).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def _move_deadline(item: WorkItem, due_at: dt.datetime, *, moment: dt.datetime, calendar: WorkingCalendar) -> None:
    """Give an open work item a new deadline and move everything armed on it (caller's transaction)."""
    old = item.due_at
    WorkItem.objects.filter(pk=item.pk).update(due_at=due_at)
    item.due_at = due_at
    # viewflow freezes a deadline into Task.scheduled when it creates a timer: move those too.
    if old is not None:
        delta = due_at - old
        Task.objects.filter(pk=item.task_id, scheduled=old).update(scheduled=due_at)
        Task.objects.filter(process_id=item.process_id, flow_task_type="TIMER", status=STATUS.SCHEDULED).update(
            scheduled=F("scheduled") + delta
        )
    timer = DeadlineTimer.objects.select_for_update().filter(work_item=item).first()
    if timer is not None:  # not yet armed: the sweep arms it from the new due_at
        sent = set(ReminderLedgerEntry.objects.filter(work_item=item).values_list("threshold", flat=True))
        _rearm(timer, due_at=due_at, moment=moment, calendar=calendar, sent=sent)


def _rearm(
    timer: DeadlineTimer,
    *,
    due_at: dt.datetime,
    moment: dt.datetime,
    calendar: WorkingCalendar,
    sent: set[str],
    catch_up: bool = False,
) -> None:
    """Point a timer at its next threshold for ``due_at``: the first one after ``moment``, or,
    with ``catch_up`` (a rewound demo clock), the first one not sent, so the next sweep sends
    the latest passed threshold again."""
    schedule = thresholds.schedule(due_day(due_at), calendar)
    if catch_up:
        timer.armed_from = None
        upcoming = thresholds.first_pending(schedule, sent=sent, armed_from=None)
    else:
        upcoming = thresholds.next_after(schedule, moment=moment, sent=sent, armed_from=timer.armed_from)
    timer.due_at = due_at
    timer.next_fire_at = upcoming.fire_at if upcoming else None
    timer.next_threshold = upcoming.code if upcoming else ""
    timer.save(update_fields=["due_at", "armed_from", "next_fire_at", "next_threshold", "updated_at"])


def _announce_extension(
    *, plan: Plan, step: str, items: list[WorkItem], due_on: dt.date, reason: str, event_id: int
) -> None:
    members = MemberIndex.load(i.agency_id for i in items)
    recipients = {user.pk: user for item in items for user in selectors.actors_of(item, members)}
    spec = routes.step_spec(step)
    date = f"{due_on:%d/%m/%Y}"
    notifications.notify(
        recipients=recipients.values(),
        kind="info",
        plan=plan,
        link=reverse("workflows:plan-task", args=[plan.pk]),
        text_vi=f"Gia hạn “{spec.title_vi}” đến hết ngày {date}: {reason} — {_plan_label_vi(plan)}",
        text_en=f"Deadline of “{spec.title_en}” extended to {date}: {reason} — {_plan_label_en(plan)}",
        event_id=event_id,
    )


# --- calendar and milestone changes (the admin calls these) ---------------------------------------


@transaction.atomic
def calendar_day_save(*, actor: User, day: CalendarDay) -> CalendarDay:
    """Add or change a day off / swapped working day; open tasks' deadlines follow."""
    if day.created_by_id is None:
        day.created_by = actor
    day.full_clean()
    day.save()
    work_items_redate(actor=actor)
    return day


@transaction.atomic
def calendar_day_delete(*, actor: User, day: CalendarDay) -> None:
    day.delete()
    work_items_redate(actor=actor)


@transaction.atomic
def milestone_override_save(*, actor: User, override: MilestoneOverride) -> MilestoneOverride:
    """Set a province's own date for a milestone; its open tasks' deadlines follow."""
    override.updated_by = actor
    override.full_clean()
    override.save()
    work_items_redate(actor=actor, items=_items_of_province(override.province, override.cycle, override.plan_type))
    return override


@transaction.atomic
def milestone_override_delete(*, actor: User, override: MilestoneOverride) -> None:
    items = _items_of_province(override.province, override.cycle, override.plan_type)
    override.delete()
    work_items_redate(actor=actor, items=items)


def _items_of_province(province: AdministrativeUnit, cycle: Cycle, plan_type: str) -> QuerySet[WorkItem]:
    return WorkItem.objects.filter(plan__cycle=cycle, plan__plan_type=plan_type).filter(
        province.subtree_q("plan__unit__")
    )


def work_items_redate(*, actor: User | None, items: QuerySet[WorkItem] | None = None) -> int:
    """Recompute the deadline of open work items after the calendar or a milestone changed.

    A unit's extension still wins; the minimum time to act counts from each task's creation, so
    re-dating never shortens it. Runs in the caller's transaction; returns how many moved.
    ``actor`` is whoever changed the configuration (the admin's log records it).
    """
    del actor  # recorded by the admin log of the change that caused the re-dating
    calendar = WorkingCalendar.load()
    qs = (items if items is not None else WorkItem.objects.all()).filter(is_open=True)
    rows = list(qs.select_related("plan__unit", "plan__cycle__period").order_by("pk"))
    extensions = {
        (plan_id, step): due_on
        for plan_id, step, due_on in DeadlineExtension.objects.filter(plan_id__in={i.plan_id for i in rows})
        .order_by("id")
        .values_list("plan_id", "step", "due_on")
    }
    # One computation per cycle, type, province.
    calendars: dict[tuple[int, str, int | None], list[milestones.Milestone]] = {}
    moment = clock.now()
    offset = clock.offset()
    moved = 0
    for item in rows:
        plan = item.plan
        day = extensions.get((plan.pk, item.step))
        if day is None:
            key = (plan.cycle_id, plan.plan_type, selectors.province_id_of(plan))
            if key not in calendars:
                calendars[key] = selectors.cycle_milestones(
                    cycle=plan.cycle, plan_type=plan.plan_type, province_id=key[2], calendar=calendar
                )
            found = milestones.find(calendars[key], plan.unit.tier, item.step)
            day = found.due_on if found else None
        if day is None:
            continue
        floor = _floor_days(plan, item.step)
        if floor:
            created_on = timezone.localdate(item.created_at + offset)
            day = max(day, calendar.add_working_days(created_on, floor))
        due_at = end_of_day(day)
        if due_at != item.due_at:
            _move_deadline(item, due_at, moment=moment, calendar=calendar)
            moved += 1
    return moved


# --- the demo clock ----------------------------------------------------------------------------------


class ClockRefused(Exception):
    """The demo clock cannot be moved under production settings."""


@transaction.atomic
def clock_set(*, actor: str, when: dt.datetime) -> dict[str, int]:
    """Move the application's now to ``when`` (demo only). ``actor``: who did it (shell user).

    Moving back in time also rewinds the reminders: ledger rows of thresholds after the new now
    are forgotten and every timer is re-armed with no "created after" limit, so the demo shows
    the reminders of that day again. Returns what was rewound.
    """
    if settings.PRODUCTION:
        raise ClockRefused(_("Không thể chỉnh đồng hồ khi chạy ở chế độ production."))
    if timezone.is_naive(when):
        raise ValueError("when must be timezone-aware")
    before = clock.now()
    ClockOffset.objects.update_or_create(
        pk=ClockOffset.SINGLETON, defaults={"offset": when - timezone.now(), "note": f"{actor}: {when.isoformat()}"}
    )
    result = {"forgotten": 0, "rearmed": 0}
    if when < before:
        result = _rewind(when)
    return result


@transaction.atomic
def clock_reset(*, actor: str) -> dict[str, int]:
    """Back to the real time (demo only; in production there is nothing to reset)."""
    if settings.PRODUCTION:
        raise ClockRefused(_("Không thể chỉnh đồng hồ khi chạy ở chế độ production."))
    before = clock.now()
    ClockOffset.objects.filter(pk=ClockOffset.SINGLETON).delete()
    logger.info("demo clock reset by %s", actor)
    now = timezone.now()
    return _rewind(now) if now < before else {"forgotten": 0, "rearmed": 0}


def _rewind(moment: dt.datetime) -> dict[str, int]:
    forgotten, _detail = ReminderLedgerEntry.objects.filter(fire_at__gt=moment).delete()
    calendar = WorkingCalendar.load()
    rearmed = 0
    timers = DeadlineTimer.objects.select_for_update(of=("self",)).select_related("work_item")
    sent_by_item: dict[int, set[str]] = {}
    for item_id, code in ReminderLedgerEntry.objects.values_list("work_item_id", "threshold"):
        sent_by_item.setdefault(item_id, set()).add(code)
    for timer in timers:
        item = timer.work_item
        if not item.is_open or item.due_at is None:
            timer.delete()
            continue
        _rearm(
            timer,
            due_at=item.due_at,
            moment=moment,
            calendar=calendar,
            sent=sent_by_item.get(item.pk, set()),
            catch_up=True,
        )
        rearmed += 1
    return {"forgotten": forgotten, "rearmed": rearmed}


# --- the sweep ---------------------------------------------------------------------------------------


def sweep(*, now: dt.datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Arm new timers, then send every reminder and escalation due at ``now`` (default: the
    database clock plus the demo offset). Safe to run concurrently and to kill at any point (see
    the module docstring). Returns counts: armed, claimed, reminders, escalations,
    notifications, refused (threshold already in the ledger), disarmed, errors, batches.
    """
    moment = now if now is not None else clock.database_now()
    size = batch or conf.sweep_batch()
    calendar = WorkingCalendar.load()
    counts: Counter[str] = Counter()
    for _round in range(conf.sweep_max_batches()):
        armed = _arm_new(moment=moment, calendar=calendar, limit=size)
        counts["armed"] += armed
        if armed < size:
            break
    workers = conf.sweep_workers()
    if workers > 1 and _SKIP_LOCKED and connection.vendor == "postgresql" and not connection.in_atomic_block:
        counts.update(_fire_in_parallel(moment=moment, calendar=calendar, size=size, workers=workers))
    else:
        counts.update(_fire_batches(moment=moment, calendar=calendar, size=size, rounds=conf.sweep_max_batches()))
    return {
        key: counts[key]
        for key in (
            "armed",
            "claimed",
            "reminders",
            "escalations",
            "notifications",
            "refused",
            "disarmed",
            "errors",
            "batches",
        )
    }


def _fire_batches(*, moment: dt.datetime, calendar: WorkingCalendar, size: int, rounds: int) -> Counter[str]:
    """Claim and fire batch after batch (each its own transaction) until one comes back short."""
    counts: Counter[str] = Counter()
    for _round in range(rounds):
        claimed = _sweep_batch(moment=moment, calendar=calendar, size=size, counts=counts)
        counts["batches"] += 1 if claimed else 0
        if claimed < size:
            break
    return counts


def _fire_in_parallel(*, moment: dt.datetime, calendar: WorkingCalendar, size: int, workers: int) -> Counter[str]:
    """``_fire_batches`` in ``workers`` threads, each on its own database connection (closed
    when it is done). The claim's ``SKIP LOCKED`` gives each batch timers no other batch holds,
    as it does for sweeps run in several processes, so every guarantee of a batch stays its own.
    The calendar is read first: the threads share it (and its memo) read-only."""
    calendar.read_rows()
    rounds = -(-conf.sweep_max_batches() // workers)  # the same batches in all, shared out

    def work() -> Counter[str]:
        try:
            return _fire_batches(moment=moment, calendar=calendar, size=size, rounds=rounds)
        finally:
            connection.close()  # this thread's connection; the caller's stays open

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deadline-sweep") as pool:
        results = [pool.submit(work) for _ in range(workers)]
        return sum((future.result() for future in results), Counter())


def _arm_new(*, moment: dt.datetime, calendar: WorkingCalendar, limit: int) -> int:
    """Create the timers of open work items that have a due date and none yet.

    ``armed_from`` is the task's creation on the application clock: thresholds that passed
    before the task existed are not sent (a new task is announced by its own notification).
    """
    rows = list(
        WorkItem.objects.filter(is_open=True, due_at__isnull=False, deadline_timer__isnull=True)
        .order_by("pk")
        .values_list("pk", "due_at", "created_at")[:limit]
    )
    if not rows:
        return 0
    offset = clock.offset()
    timers = []
    for pk, due_at, created_at in rows:
        if due_at is None:  # filtered out by the query; says so to the type checker
            continue
        armed_from = min(created_at + offset, moment)
        first = thresholds.first_pending(thresholds.schedule(due_day(due_at), calendar), sent=(), armed_from=armed_from)
        timers.append(
            DeadlineTimer(
                work_item_id=pk,
                due_at=due_at,
                armed_from=armed_from,
                next_fire_at=first.fire_at if first else None,
                next_threshold=first.code if first else "",
            )
        )
    # Another sweep may arm the same items at the same moment: the one-to-one key keeps one.
    DeadlineTimer.objects.bulk_create(timers, ignore_conflicts=True)
    return len(rows)


def _sweep_batch(*, moment: dt.datetime, calendar: WorkingCalendar, size: int, counts: Counter[str]) -> int:
    """Claim up to ``size`` due timers and fire them, in one transaction. Returns how many.

    The batch is fired as a whole (``_fire``: a fixed number of statements whatever its size).
    If that fails, its savepoint rolls back and the same timers (still locked) are fired again
    one by one, each in a savepoint of its own, so one broken row holds back only itself: it is
    retried after ``DEADLINES_RETRY_MINUTES``.
    """
    with transaction.atomic():
        qs = DeadlineTimer.objects.filter(next_fire_at__lte=moment).order_by("next_fire_at", "pk")
        if _SKIP_LOCKED:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        # Plain columns, not a graph of model instances: building ten models per row cost more
        # than everything else the sweep does with it.
        timers = [_Claimed(*row) for row in qs.values_list(*_CLAIMED_COLUMNS)[:size]]
        if not timers:
            return 0
        counts["claimed"] += len(timers)
        batch = _Batch.load(timers)
        try:
            with transaction.atomic():
                fired = _fire(timers, moment=moment, calendar=calendar, batch=batch)
        except Exception:
            logger.exception("deadline sweep: a batch of %d timers failed; firing them one by one", len(timers))
            fired = _fire_one_by_one(timers, moment=moment, calendar=calendar, batch=batch)
        counts.update(fired)
        return len(timers)


@dataclass(slots=True)
class _Claimed:
    """A claimed timer with what firing it reads of its work item, plan and agency (one row of
    the claim; ``pk`` is the work item's, like the work item it stands for)."""

    timer_id: int
    armed_from: dt.datetime | None
    pk: int
    is_open: bool
    due_at: dt.datetime | None
    step: str
    lane: str
    agency_id: int
    agency_name: str
    agency_unit_id: int
    assignee_id: int | None
    plan_id: int
    plan_type: str
    year: int
    period: str | None
    unit_name: str

    @property
    def deadline(self) -> dt.datetime:
        """The due moment of a live timer (``_fire`` sets aside the timers of tasks without one)."""
        if self.due_at is None:
            raise ValueError(f"deadline timer {self.timer_id} has no due date")
        return self.due_at


# The claim's columns, in the order of _Claimed's fields.
_CLAIMED_COLUMNS = (
    "pk",
    "armed_from",
    "work_item_id",
    "work_item__is_open",
    "work_item__due_at",
    "work_item__step",
    "work_item__lane",
    "work_item__agency_id",
    "work_item__agency__name",
    "work_item__agency__unit_id",
    "work_item__assignee_id",
    "work_item__plan_id",
    "work_item__plan__plan_type",
    "work_item__plan__cycle__year",
    "work_item__plan__cycle__period__code",
    "work_item__plan__unit__name",
)


def _fire_one_by_one(
    timers: list[_Claimed], *, moment: dt.datetime, calendar: WorkingCalendar, batch: _Batch
) -> Counter[str]:
    """The retry of a failed batch: each timer in its own savepoint; a timer that fails again is
    put off by ``DEADLINES_RETRY_MINUTES`` (its lock is still held, so no one else fires it now)."""
    counts: Counter[str] = Counter()
    for timer in timers:
        try:
            with transaction.atomic():
                fired = _fire([timer], moment=moment, calendar=calendar, batch=batch)
        except Exception:
            logger.exception("deadline timer %s failed; retried in %s min", timer.timer_id, conf.retry_minutes())
            counts["errors"] += 1
            DeadlineTimer.objects.filter(pk=timer.timer_id).update(
                next_fire_at=moment + dt.timedelta(minutes=conf.retry_minutes())
            )
        else:
            counts.update(fired)
    return counts


_NOTHING_SENT: frozenset[str] = frozenset()

# What the sweep's references to the officers it notifies carry: ``notify`` reads the id and
# whether active (every officer the sweep notifies was read as active).
_RECIPIENT_FIELDS = ["id", "is_active"]

# A plan id no URL contains otherwise: reversed once per batch, then replaced by each plan's id.
_LINK_MARK = 987654321987654321


class _Batch:
    """What firing a batch of timers reads, loaded once for the whole batch: the thresholds
    already in the ledger, the members of the acting agencies and the active assigned officers
    (as ids: a batch reads hundreds of officers and notifies some of them, so a ``User``
    reference is built only for an officer notified, once), and (only if some reminder
    escalates to the level above) the heads of every supervising agency of the batch. Also the
    few strings every reminder repeats (plan type names, the link)."""

    def __init__(
        self,
        sent: dict[int, set[str]],
        members: dict[int, list[tuple[int, str]]],
        timers: list[_Claimed] | None = None,
        assignees: set[int] | None = None,
    ) -> None:
        self.sent = sent
        self.members = members
        self._alias = connection.alias  # the connection proxy's attributes are slow to read
        self.assignees = assignees or set()
        self._timers = timers or []
        self._users: dict[int, User] = {}
        self._actors: dict[tuple[int, str], list[User]] = {}
        self._heads: dict[int, list[User]] = {}
        self._supervisors: dict[tuple[int, str], list[User]] | None = None
        self._type_labels: dict[tuple[str, str], str] = {}
        self._link: tuple[str, str] | None = None
        self._days: dict[tuple[dt.datetime, dt.datetime], tuple[dt.date, int, int]] = {}
        self._schedules: dict[dt.datetime, tuple[tuple[Threshold, ...], list[dt.datetime]]] = {}
        self._thresholds: dict[tuple[object, ...], Threshold | None] = {}
        self._plans: dict[int, Plan] = {}
        self._titles: dict[tuple[str, str], tuple[str, str]] = {}

    @classmethod
    def load(cls, timers: list[_Claimed]) -> _Batch:
        item_ids = [t.pk for t in timers]
        sent: dict[int, set[str]] = {item_id: set() for item_id in item_ids}
        rows = ReminderLedgerEntry.objects.filter(bulk.any_of("work_item_id", item_ids))
        rows = rows.order_by()  # a set: no sort
        for item_id, code in rows.values_list("work_item_id", "threshold"):
            sent[item_id].add(code)
        members = member_ids_by_agency(t.agency_id for t in timers)
        assignee_ids = {t.assignee_id for t in timers if t.assignee_id is not None}
        assignees = (
            set(User.objects.filter(bulk.any_of("pk", assignee_ids), is_active=True).values_list("pk", flat=True))
            if assignee_ids
            else set()
        )
        return cls(sent, members, timers, assignees)

    def actors(self, item: _Claimed) -> list[User]:
        """Who must act (``selectors.actors_of``): the assigned officer if active, else the
        agency's members whose role can act at the step (the same list for every task of the
        agency at that step: read it, do not change it)."""
        if item.assignee_id is not None and item.assignee_id in self.assignees:
            return [self._user(item.assignee_id)]
        key = (item.agency_id, item.step)
        if key not in self._actors:
            self._actors[key] = self._members(item.agency_id, selectors.step_roles(item.step))
        return self._actors[key]

    def heads(self, agency_id: int) -> list[User]:
        """The agency's active heads (shared like ``actors``)."""
        if agency_id not in self._heads:
            self._heads[agency_id] = self._members(agency_id, (Role.HEAD,))
        return self._heads[agency_id]

    def _members(self, agency_id: int, roles: tuple[str, ...]) -> list[User]:
        """The agency's officers holding one of ``roles``, each once, by id (what
        ``MemberIndex.members`` answers)."""
        wanted = set(roles)
        seen: dict[int, User] = {}
        for user_id, role in self.members.get(agency_id, ()):
            if role in wanted and user_id not in seen:
                seen[user_id] = self._user(user_id)
        return list(seen.values())

    def _user(self, user_id: int) -> User:
        """A reference to an active officer for ``notify`` (the id and ``is_active``; the other
        fields deferred, as ``only()`` loads them), one per officer and batch."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = User.from_db(self._alias, _RECIPIENT_FIELDS, [user_id, True])
        return user

    def due_now(
        self, timer: _Claimed, *, moment: dt.datetime, sent: set[str], calendar: WorkingCalendar
    ) -> Threshold | None:
        """``thresholds.due_now`` for a timer. Most timers of a batch share their deadline, what
        was sent and which thresholds passed before they were armed (``_armed_key``), so each
        combination is worked out once."""
        schedule, fire_ats = self._schedule(timer.deadline, calendar)
        armed = self._armed_key(fire_ats, timer.armed_from)
        key = ("due", timer.due_at, armed, frozenset(sent) if sent else _NOTHING_SENT, moment)
        if key not in self._thresholds:
            self._thresholds[key] = thresholds.due_now(schedule, moment=moment, sent=sent, armed_from=timer.armed_from)
        return self._thresholds[key]

    def next_after(
        self, timer: _Claimed, *, moment: dt.datetime, sent: set[str], calendar: WorkingCalendar
    ) -> Threshold | None:
        """``thresholds.next_after`` for a timer (the threshold it waits for next), memoised alike."""
        schedule, fire_ats = self._schedule(timer.deadline, calendar)
        armed = self._armed_key(fire_ats, timer.armed_from)
        key = ("next", timer.due_at, armed, frozenset(sent) if sent else _NOTHING_SENT, moment)
        if key not in self._thresholds:
            self._thresholds[key] = thresholds.next_after(
                schedule, moment=moment, sent=sent, armed_from=timer.armed_from
            )
        return self._thresholds[key]

    @staticmethod
    def _armed_key(fire_ats: list[dt.datetime], armed_from: dt.datetime | None) -> int:
        """What the answers of ``thresholds.due_now`` and ``next_after`` take from ``armed_from``:
        how many thresholds of the schedule (in firing order) fire at or before it. Both only
        compare ``fire_at <= armed_from`` (``next_after``: ``fire_at > max(moment,
        armed_from)``), which holds for exactly the first that many. Timers armed at different
        moments between the same two thresholds get the same answers; no ``armed_from`` limits
        nothing, as one before every threshold does."""
        return 0 if armed_from is None else bisect.bisect_right(fire_ats, armed_from)

    def _schedule(
        self, due_at: dt.datetime, calendar: WorkingCalendar
    ) -> tuple[tuple[Threshold, ...], list[dt.datetime]]:
        """The thresholds of a deadline and their moments (in firing order: never decreasing), in
        UTC like the database's: comparing datetimes of two time zones costs twenty times more."""
        if due_at not in self._schedules:
            schedule = thresholds.schedule(due_day(due_at), calendar)
            self._schedules[due_at] = (schedule, [t.fire_at.astimezone(dt.UTC) for t in schedule])
        return self._schedules[due_at]

    def late_and_left(
        self, due_at: dt.datetime, moment: dt.datetime, calendar: WorkingCalendar
    ) -> tuple[dt.date, int, int]:
        """The due day, the working days from it to the day of ``moment``, and those left until
        it (never negative); a batch has few distinct due moments."""
        key = (due_at, moment)
        if key not in self._days:
            day, today = due_day(due_at), timezone.localdate(moment)
            self._days[key] = (
                day,
                calendar.working_days_between(day, today),
                max(0, calendar.working_days_between(today, day)),
            )
        return self._days[key]

    def supervisors(self, item: _Claimed) -> list[User]:
        """Heads of the supervising level's standing agency (for the acting unit). The first call
        looks them up for every timer of the batch at once (four queries)."""
        if self._supervisors is None:
            self._supervisors = self._load_supervisors([*self._timers, item])
        key = (item.agency_unit_id, item.period or "")
        if key not in self._supervisors:  # a timer the batch was not loaded with
            self._supervisors.update(self._load_supervisors([item]))
        return self._supervisors[key]

    @staticmethod
    def _load_supervisors(timers: list[_Claimed]) -> dict[tuple[int, str], list[User]]:
        units = AdministrativeUnit.objects.select_related("parent").in_bulk({t.agency_unit_id for t in timers})
        return selectors.supervisor_heads((units[t.agency_unit_id], t.period or "") for t in timers)

    def plan(self, plan_id: int) -> Plan:
        """A reference to the plan for ``notify``, which keeps only its id (one per plan)."""
        if plan_id not in self._plans:
            self._plans[plan_id] = Plan.from_db(self._alias, ["id"], [plan_id])
        return self._plans[plan_id]

    def step_titles(self, step: str, lane: str) -> tuple[str, str]:
        """The step's (or its lane's) title in Vietnamese and English."""
        key = (step, lane)
        if key not in self._titles:
            spec = routes.step_spec(step)
            found = next((one for one in spec.lanes if one.name == lane), None)
            self._titles[key] = (found.title_vi, found.title_en) if found else (spec.title_vi, spec.title_en)
        return self._titles[key]

    def type_label(self, plan_type: str, language: str) -> str:
        key = (plan_type, language)
        if key not in self._type_labels:
            self._type_labels[key] = _plan_type_label(plan_type, language)
        return self._type_labels[key]

    def link(self, plan_id: int) -> str:
        """The plan's task page (``workflows:plan-task``), reversed once per batch."""
        if self._link is None:
            prefix, mark, suffix = reverse("workflows:plan-task", args=[_LINK_MARK]).partition(str(_LINK_MARK))
            if not mark:  # pragma: no cover - a URL that does not show the id as such
                return reverse("workflows:plan-task", args=[plan_id])
            self._link = (prefix, suffix)
        return f"{self._link[0]}{plan_id}{self._link[1]}"


@dataclass(slots=True)
class _Outgoing:
    """One reminder or escalation of a batch: its ledger row's values (``ledger_id`` once the
    ledger accepted it), who hears it, and what its text says (due day, working days late and
    left)."""

    item: _Claimed
    threshold: Threshold
    code: str
    kind: str
    audience: str
    recipients: list[User]
    moment: dt.datetime
    day: dt.date
    late: int
    left: int
    ledger_id: int | None = None

    def ledger_values(self) -> dict[str, object]:
        """The ledger row, by column attribute name."""
        return {
            "work_item_id": self.item.pk,
            "threshold": self.code,
            "kind": self.kind,
            "audience": self.audience,
            "fire_at": self.threshold.fire_at,
            "due_at": self.item.due_at,
            "sent_at": self.moment,
            "recipients": len(self.recipients),
        }


def _fire(timers: list[_Claimed], *, moment: dt.datetime, calendar: WorkingCalendar, batch: _Batch) -> Counter[str]:
    """Fire claimed timers together, in the caller's transaction. Returns the counts.

    First every reminder and escalation of the batch is computed in memory (``_send``; nothing
    is written and nothing shared is changed, so a failed batch can be fired again row by row).
    Then a fixed number of statements: one ledger ``INSERT … ON CONFLICT DO NOTHING RETURNING``
    (ledger first: what another sweep already sent is refused here); the notifications of the
    rows it accepted, one ``notify`` call each, written by one INSERT of the notifications'
    collector (outbox rows, same transaction); one UPDATE of every timer's next threshold; one
    DELETE of the timers of closed tasks.
    """
    counts: Counter[str] = Counter()
    live: list[_Claimed] = []
    closed: list[int] = []
    outgoing: list[_Outgoing] = []
    for timer in timers:
        if not timer.is_open or timer.due_at is None:
            closed.append(timer.timer_id)
            continue
        live.append(timer)
        threshold = batch.due_now(timer, moment=moment, sent=batch.sent[timer.pk], calendar=calendar)
        if threshold is not None:
            outgoing.extend(_send(timer, threshold, moment=moment, calendar=calendar, batch=batch))

    accepted = _ledger(outgoing)
    counts["refused"] += len(outgoing) - len(accepted)
    with notifications.collected() as outbox:
        for out in accepted:
            counts["reminders" if out.kind == "reminder" else "escalations"] += 1
            _notify(out, batch)
        counts["notifications"] += len(outbox.flush())

    sent_now: dict[int, set[str]] = {}
    for out in accepted:
        sent_now.setdefault(out.item.pk, set()).add(out.code)
    _rearm_batch(
        live,
        upcoming=lambda t: batch.next_after(
            t,
            moment=moment,
            sent=(batch.sent[t.pk] | sent_now[t.pk]) if t.pk in sent_now else batch.sent[t.pk],
            calendar=calendar,
        ),
    )
    if closed:
        DeadlineTimer.objects.filter(pk__in=closed).delete()
        counts["disarmed"] += len(closed)
    return counts


def _send(
    item: _Claimed,
    threshold: Threshold,
    *,
    moment: dt.datetime,
    calendar: WorkingCalendar,
    batch: _Batch,
) -> list[_Outgoing]:
    """The reminder of ``threshold`` for one work item and the escalations riding on it, with
    their recipients: computed, not yet written (``_fire`` writes the batch's together)."""
    sent = batch.sent[item.pk]
    day, late, left = batch.late_and_left(item.deadline, moment, calendar)
    if not threshold.overdue:
        late = 0
    actors = batch.actors(item)
    escalations: list[tuple[str, str, list[User]]] = []
    if threshold.overdue and late >= conf.escalate_head_after_days() and ESCALATE_HEAD not in sent:
        escalations.append((ESCALATE_HEAD, Audience.HEAD, batch.heads(item.agency_id)))
    if threshold.overdue and late >= conf.escalate_parent_after_days() and ESCALATE_PARENT not in sent:
        escalations.append((ESCALATE_PARENT, Audience.PARENT, batch.supervisors(item)))

    # Each officer hears once per firing, in the strongest voice: an escalation replaces the reminder.
    notified: set[int] = set()
    for _code, _audience, users in escalations:
        notified.update(u.pk for u in users)
    reminder_recipients = [u for u in actors if u.pk not in notified]
    result = [
        _Outgoing(
            item, threshold, threshold.code, "reminder", Audience.ACTORS, reminder_recipients, moment, day, late, left
        )
    ]
    already: set[int] = {u.pk for u in reminder_recipients}
    for code, audience, users in escalations:
        recipients = [u for u in users if u.pk not in already]
        already.update(u.pk for u in recipients)
        result.append(_Outgoing(item, threshold, code, "escalation", audience, recipients, moment, day, late, left))
    return result


def _ledger(outgoing: list[_Outgoing]) -> list[_Outgoing]:
    """Insert the ledger rows of a batch; returns those accepted (with their ids), in order.

    ``INSERT … ON CONFLICT DO NOTHING RETURNING``: the unique (work item, threshold) key
    decides for the whole batch in one statement; a row another sweep already wrote (or is
    writing: PostgreSQL waits for its commit) is refused, and nothing is sent for it. Each row
    stands on its own: an escalation not sent before is sent even if its reminder was refused.
    """
    if not outgoing:
        return []
    meta = ReminderLedgerEntry._meta
    fields = bulk.insert_fields(ReminderLedgerEntry)
    table, columns = bulk.table(ReminderLedgerEntry), ", ".join(bulk.column(f) for f in fields)
    returning = ", ".join(bulk.column(meta.get_field(n)) for n in ("id", "work_item", "threshold"))
    rows = []
    for out in outgoing:
        values = out.ledger_values()
        rows.append([values[f.attname] for f in fields])
    by_key = {(out.item.pk, out.code): out for out in outgoing}
    for exprs, expr_params, source, source_params in bulk.relations(fields, _by_column(fields, rows)):
        # Identifiers come from the model's metadata; every value is bound. (WHERE true: SQLite
        # would read ON CONFLICT as a join's ON without it.)
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {', '.join(exprs)} FROM {source} WHERE true "  # noqa: S608
            f"ON CONFLICT DO NOTHING RETURNING {returning}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*expr_params, *source_params])
            written = cursor.fetchall()
        for pk, item_id, code in written:
            by_key[(item_id, code)].ledger_id = pk
    return [out for out in outgoing if out.ledger_id is not None]


def _rearm_batch(
    timers: list[_Claimed],
    *,
    upcoming: Callable[[_Claimed], Threshold | None],
) -> None:
    """Point every timer of a batch at its next threshold (as ``_rearm`` does for one) in one
    ``UPDATE … FROM`` the batch's new values. ``armed_from`` is not written: the sweep never
    changes it."""
    if not timers:
        return
    meta = DeadlineTimer._meta
    fields = bulk.concrete_fields(DeadlineTimer, "id", "due_at", "next_fire_at", "next_threshold")
    rows = []
    for timer in timers:
        following = upcoming(timer)
        values = (
            timer.timer_id,
            timer.due_at,
            following.fire_at if following else None,
            following.code if following else "",
        )
        rows.append(values)
    table = bulk.table(DeadlineTimer)
    updated_at = meta.get_field("updated_at")
    now = updated_at.get_db_prep_save(timezone.now(), connection)
    for exprs, expr_params, source, source_params in bulk.relations(fields, _by_column(fields, rows), reserved=1):
        # The first column (the id) always comes from the rows: it joins them to the table.
        assignments = ", ".join(f"{bulk.column(f)} = {expr}" for f, expr in zip(fields[1:], exprs[1:], strict=True))
        # Identifiers come from the model's metadata; every value is bound.
        sql = (
            f"UPDATE {table} SET {assignments}, {bulk.column(updated_at)} = %s "  # noqa: S608
            f"FROM {source} WHERE {table}.{bulk.column(fields[0])} = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*expr_params, now, *source_params])


def _by_column(fields: list[bulk.DbField], rows: list[tuple[Any, ...]] | list[list[Any]]) -> list[bulk.Column]:
    """Rows of model values (in ``fields``' order) as columns of database values."""
    return bulk.db_columns(fields, [[row[index] for row in rows] for index in range(len(fields))])


def _notify(out: _Outgoing, batch: _Batch) -> None:
    """Notify the recipients of one accepted ledger row through the outbox (same transaction;
    inside ``_fire`` the rows are queued and written with the batch's)."""
    if not out.recipients:
        return
    item = out.item
    text_vi, text_en = _texts(out, batch)
    notifications.notify(
        recipients=out.recipients,
        kind=out.kind,
        # The notification only keeps the plan's id: a reference stands for the plan.
        plan=batch.plan(item.plan_id),
        link=batch.link(item.plan_id),
        text_vi=text_vi,
        text_en=text_en,
        # The ledger already makes this once; the key keeps it so even if the notify is replayed.
        dedupe_key=f"deadline:{out.ledger_id}",
    )


def _texts(out: _Outgoing, batch: _Batch) -> tuple[str, str]:
    """The stored texts (Vietnamese, English) of a reminder or escalation."""
    item, threshold, late, left = out.item, out.threshold, out.late, out.left
    step_vi, step_en = batch.step_titles(item.step, item.lane)
    what_vi = f"{step_vi} — {batch.type_label(item.plan_type, 'vi')} {item.year}, {item.unit_name}"
    what_en = f"{step_en} — {batch.type_label(item.plan_type, 'en')} {item.year}, {item.unit_name}"
    date = f"{out.day:%d/%m/%Y}"
    if out.code == ESCALATE_HEAD:
        return (
            f"Báo lãnh đạo: quá hạn {late} ngày làm việc (hạn {date}): {what_vi}",
            f"For the head of agency: {late} working day(s) overdue (due {date}): {what_en}",
        )
    if out.code == ESCALATE_PARENT:
        agency, unit = item.agency_name, item.unit_name
        return (
            f"Báo cấp trên: {agency} ({unit}) quá hạn {late} ngày làm việc (hạn {date}): {what_vi}",
            f"For the supervising level: {agency} ({unit}) is {late} working day(s) overdue (due {date}): {what_en}",
        )
    if threshold.overdue:
        return (
            f"Quá hạn {late} ngày làm việc (hạn {date}): {what_vi}",
            f"{late} working day(s) overdue (due {date}): {what_en}",
        )
    if threshold.days == 0 or left == 0:
        return (f"Hôm nay ({date}) là hạn cuối: {what_vi}", f"Today ({date}) is the deadline: {what_en}")
    return (
        f"Còn {left} ngày làm việc đến hạn {date}: {what_vi}",
        f"{left} working day(s) left until {date}: {what_en}",
    )


def _plan_type_label(plan_type: str, language: str) -> str:
    """The plan type's name in ``language`` (what ``get_plan_type_display`` shows)."""
    choices = dict(Plan._meta.get_field("plan_type").flatchoices)
    with translation.override(language):
        return str(choices.get(plan_type, plan_type))


def _plan_label_vi(plan: Plan) -> str:
    return f"{_plan_type_label(plan.plan_type, 'vi')} {plan.cycle.year}, {plan.unit.name}"


def _plan_label_en(plan: Plan) -> str:
    return f"{_plan_type_label(plan.plan_type, 'en')} {plan.cycle.year}, {plan.unit.name}"

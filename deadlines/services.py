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
   workers take disjoint rows and never wait for each other; for each timer, writes the ledger
   row (unique ``(work_item, threshold)``) **before** calling ``notify``, whose outbox rows are
   in the same transaction; then computes the next threshold and saves the timer.

Exactly once, and the window. The ledger row, the in-app notifications and the timer's new
``next_fire_at`` commit together or not at all:

* two sweeps at once: ``SKIP LOCKED`` keeps them apart; if a timer is reached twice anyway
  (SQLite has no row locks; a demo clock rewind), the second ledger insert violates the unique key
  and that threshold is skipped: never two in-app notifications for one threshold;
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

import datetime as dt
import logging
from collections import Counter

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
def deadline_extend(
    *, actor: User, plan_id: int, due_on: dt.date, reason: str, step: str = "", request_id: str = ""
) -> DeadlineExtension:
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
        request_id=request_id,
    )
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
    members = selectors.MemberIndex.load(i.agency_id for i in items)
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
    calendars: dict[tuple[int, str, int | None], list] = {}  # one computation per cycle, type, province
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
    for _round in range(conf.sweep_max_batches()):
        claimed = _sweep_batch(moment=moment, calendar=calendar, size=size, counts=counts)
        counts["batches"] += 1 if claimed else 0
        if claimed < size:
            break
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
    """Claim up to ``size`` due timers and fire them, in one transaction. Returns how many."""
    with transaction.atomic():
        qs = DeadlineTimer.objects.filter(next_fire_at__lte=moment).order_by("next_fire_at", "pk")
        if _SKIP_LOCKED:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        timers = list(
            qs.select_related(
                "work_item__plan__unit",
                "work_item__plan__cycle__period",
                "work_item__agency__unit__parent",
                "work_item__assignee",
            )[:size]
        )
        if not timers:
            return 0
        counts["claimed"] += len(timers)
        batch = _Batch.load(timers)
        for timer in timers:
            try:
                # A savepoint per timer: one broken row must not hold back the others' reminders.
                with transaction.atomic():
                    _fire(timer, moment=moment, calendar=calendar, batch=batch, counts=counts)
            except Exception:
                logger.exception("deadline timer %s failed; retried in %s min", timer.pk, conf.retry_minutes())
                counts["errors"] += 1
                DeadlineTimer.objects.filter(pk=timer.pk).update(
                    next_fire_at=moment + dt.timedelta(minutes=conf.retry_minutes())
                )
        return len(timers)


class _Batch:
    """What firing a batch of timers needs, loaded in a few queries for the whole batch."""

    def __init__(self, sent: dict[int, set[str]], members: selectors.MemberIndex) -> None:
        self.sent = sent
        self.members = members
        self._supervisors: dict[tuple[int, str], list[User]] = {}

    @classmethod
    def load(cls, timers: list[DeadlineTimer]) -> _Batch:
        item_ids = [t.work_item_id for t in timers]
        sent: dict[int, set[str]] = {item_id: set() for item_id in item_ids}
        for item_id, code in ReminderLedgerEntry.objects.filter(work_item_id__in=item_ids).values_list(
            "work_item_id", "threshold"
        ):
            sent[item_id].add(code)
        members = selectors.MemberIndex.load(t.work_item.agency_id for t in timers)
        return cls(sent, members)

    def heads(self, agency_id: int) -> list[User]:
        return self.members.members(agency_id, (Role.HEAD,))

    def supervisors(self, item: WorkItem) -> list[User]:
        """Heads of the supervising level's standing agency (for the acting unit)."""
        unit = item.agency.unit
        period = item.plan.cycle.period.code
        key = (unit.pk, period)
        if key not in self._supervisors:
            agency = selectors.supervising_agency(unit, period)
            self._supervisors[key] = (
                selectors.MemberIndex.load([agency.pk]).members(agency.pk, (Role.HEAD,)) if agency else []
            )
        return self._supervisors[key]


def _fire(
    timer: DeadlineTimer, *, moment: dt.datetime, calendar: WorkingCalendar, batch: _Batch, counts: Counter[str]
) -> None:
    item = timer.work_item
    if not item.is_open or item.due_at is None:
        timer.delete()
        counts["disarmed"] += 1
        return
    sent = batch.sent[item.pk]
    day = due_day(item.due_at)
    schedule = thresholds.schedule(day, calendar)
    threshold = thresholds.due_now(schedule, moment=moment, sent=sent, armed_from=timer.armed_from)
    if threshold is not None:
        _send(item, threshold, moment=moment, calendar=calendar, batch=batch, counts=counts)
    _rearm(timer, due_at=item.due_at, moment=moment, calendar=calendar, sent=sent)


def _send(
    item: WorkItem,
    threshold: Threshold,
    *,
    moment: dt.datetime,
    calendar: WorkingCalendar,
    batch: _Batch,
    counts: Counter[str],
) -> None:
    """Ledger first, then notify, for the reminder and the escalations riding on it."""
    sent = batch.sent[item.pk]
    day = due_day(item.due_at)
    today = timezone.localdate(moment)
    late = calendar.working_days_between(day, today) if threshold.overdue else 0
    left = max(0, calendar.working_days_between(today, day))
    actors = selectors.actors_of(item, batch.members)
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
    entry = _ledger(item, threshold.code, "reminder", Audience.ACTORS, threshold.fire_at, moment, reminder_recipients)
    if entry is None:
        counts["refused"] += 1
        return  # another sweep fired this threshold: its escalations went with it
    sent.add(threshold.code)
    counts["reminders"] += 1
    counts["notifications"] += _notify(entry, item, "reminder", reminder_recipients, (threshold, day, late, left))
    already: set[int] = {u.pk for u in reminder_recipients}
    for code, audience, users in escalations:
        recipients = [u for u in users if u.pk not in already]
        already.update(u.pk for u in recipients)
        escalation = _ledger(item, code, "escalation", audience, threshold.fire_at, moment, recipients)
        if escalation is None:
            counts["refused"] += 1
            continue
        sent.add(code)
        counts["escalations"] += 1
        counts["notifications"] += _notify(escalation, item, "escalation", recipients, (threshold, day, late, left))


def _ledger(
    item: WorkItem,
    code: str,
    kind: str,
    audience: str,
    fire_at: dt.datetime,
    moment: dt.datetime,
    recipients: list[User],
) -> ReminderLedgerEntry | None:
    """Insert the ledger row; None when (item, threshold) is already there (another worker).

    ``INSERT … ON CONFLICT DO NOTHING RETURNING id``: the unique key decides in one statement,
    without the savepoint a caught IntegrityError would need for every reminder."""
    entry = ReminderLedgerEntry(
        work_item=item,
        threshold=code,
        kind=kind,
        audience=audience,
        fire_at=fire_at,
        due_at=item.due_at,
        sent_at=moment,
        recipients=len(recipients),
    )
    fields = [f for f in ReminderLedgerEntry._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table, columns = quote(ReminderLedgerEntry._meta.db_table), ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Identifiers come from the model's metadata; every value is bound.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING RETURNING id"  # noqa: S608
    params = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    entry.pk = row[0]
    return entry


def _notify(
    entry: ReminderLedgerEntry,
    item: WorkItem,
    kind: str,
    recipients: list[User],
    where: tuple[Threshold, dt.date, int, int],
) -> int:
    """Notify through the outbox (same transaction); ``where``: threshold, due day, working
    days late, working days left."""
    if not recipients:
        return 0
    text_vi, text_en = _texts(entry, item, *where)
    created = notifications.notify(
        recipients=recipients,
        kind=kind,
        plan=item.plan,
        link=reverse("workflows:plan-task", args=[item.plan_id]),
        text_vi=text_vi,
        text_en=text_en,
        # The ledger already makes this once; the key keeps it so even if the notify is replayed.
        dedupe_key=f"deadline:{entry.pk}",
    )
    return len(created)


def _texts(
    entry: ReminderLedgerEntry, item: WorkItem, threshold: Threshold, day: dt.date, late: int, left: int
) -> tuple[str, str]:
    """The stored texts (Vietnamese, English) of a reminder or escalation."""
    spec = routes.step_spec(item.step)
    lane = next((lane for lane in spec.lanes if lane.name == item.lane), None)
    step_vi, step_en = (lane.title_vi, lane.title_en) if lane else (spec.title_vi, spec.title_en)
    what_vi = f"{step_vi} — {_plan_label_vi(item.plan)}"
    what_en = f"{step_en} — {_plan_label_en(item.plan)}"
    date = f"{day:%d/%m/%Y}"
    unit = item.plan.unit.name
    if entry.threshold == ESCALATE_HEAD:
        return (
            f"Báo lãnh đạo: quá hạn {late} ngày làm việc (hạn {date}): {what_vi}",
            f"For the head of agency: {late} working day(s) overdue (due {date}): {what_en}",
        )
    if entry.threshold == ESCALATE_PARENT:
        agency = item.agency.name
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


def _plan_label_vi(plan: Plan) -> str:
    with translation.override("vi"):
        return f"{plan.get_plan_type_display()} {plan.cycle.year}, {plan.unit.name}"


def _plan_label_en(plan: Plan) -> str:
    with translation.override("en"):
        return f"{plan.get_plan_type_display()} {plan.cycle.year}, {plan.unit.name}"

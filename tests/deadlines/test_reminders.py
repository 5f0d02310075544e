"""Reminders and escalation on the 2026 household review, moved through time with time-machine.

Commune plans are due Friday 28/8/2026 (before 30/8; 29/8 is a Saturday). Their thresholds:
before-5 on Saturday 22/8 (a swapped working day), before-2 on 26/8, before-1 on 27/8, the
due day 28/8, then overdue-1 on 3/9 (31/8-2/9 are off) and overdue-3 on 7/9, at 08:00.
"""

import datetime as dt

import pytest

from approvals.models import AuditEvent
from deadlines import clock, services
from deadlines.models import DeadlineTimer, ReminderLedgerEntry
from directory.models import User
from notifications.models import Notification
from tests.complete import complete
from tests.deadlines.conftest import MINISTRY_HEAD, P_HEAD, at, drafter_of, head_of, local_day, open_item
from workflows import services as workflows
from workflows.models import WorkItem

D = dt.date
COMMUNE = "03394"  # Sin Suối Hồ, two-tier


def sweep_at(time_machine, moment: dt.datetime) -> dict[str, int]:
    time_machine.move_to(moment, tick=False)
    return services.sweep(now=clock.now())


def sent_codes(item) -> list[str]:
    return list(
        ReminderLedgerEntry.objects.filter(work_item=item).order_by("fire_at", "id").values_list("threshold", flat=True)
    )


def texts(user: User, kind: str = "reminder") -> list[str]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("id").values_list("text_vi", flat=True))


def test_each_threshold_is_sent_once_to_the_officers_who_act(household_2026, time_machine):
    plan = household_2026[COMMUNE]
    item = open_item(plan)
    head, drafter = head_of(plan.unit), drafter_of(plan.unit)

    sweep_at(time_machine, at(2026, 8, 21))
    assert sent_codes(item) == []
    sweep_at(time_machine, at(2026, 8, 22))  # a Saturday, but a working one in 2026
    assert sent_codes(item) == ["before-5"]
    assert (
        texts(drafter)
        == texts(head)
        == [
            "Còn 5 ngày làm việc đến hạn 28/08/2026: Soạn và trình kế hoạch — "
            "Kế hoạch rà soát hộ nghèo, hộ cận nghèo 2026, Xã Sin Suối Hồ"
        ]
    )
    again = services.sweep(now=clock.now())  # a second run (or a retry) at the same moment
    assert again["reminders"] == 0
    assert len(texts(head)) == 1

    for day, code in ((26, "before-2"), (27, "before-1"), (28, "due-0")):
        sweep_at(time_machine, at(2026, 8, day))
        assert sent_codes(item)[-1] == code
    assert texts(head)[-1].startswith("Hôm nay (28/08/2026) là hạn cuối")
    sweep_at(time_machine, at(2026, 8, 31, 10))  # a day off: nothing new
    assert len(sent_codes(item)) == 4


def test_overdue_work_escalates_to_the_head_then_to_the_supervising_level(household_2026, time_machine):
    plan = household_2026[COMMUNE]
    item = open_item(plan)
    head, drafter = head_of(plan.unit), drafter_of(plan.unit)
    supervisor = User.objects.get(username=P_HEAD)
    sweep_at(time_machine, at(2026, 8, 28))

    sweep_at(time_machine, at(2026, 9, 3))  # first working day after the deadline
    assert sent_codes(item)[-2:] == ["overdue-1", "escalate-head"]
    assert texts(drafter)[-1].startswith("Quá hạn 1 ngày làm việc (hạn 28/08/2026)")
    # The head hears it once, as an escalation, not also as a reminder.
    assert texts(head, "escalation") == [
        "Báo lãnh đạo: quá hạn 1 ngày làm việc (hạn 28/08/2026): Soạn và trình kế hoạch — "
        "Kế hoạch rà soát hộ nghèo, hộ cận nghèo 2026, Xã Sin Suối Hồ"
    ]
    assert not [t for t in texts(head) if t.startswith("Quá hạn")]
    assert not [t for t in texts(supervisor, "escalation") if "Sin Suối Hồ" in t]

    sweep_at(time_machine, at(2026, 9, 7))
    assert sent_codes(item)[-2:] == ["overdue-3", "escalate-parent"]
    assert [t for t in texts(supervisor, "escalation") if "Sin Suối Hồ" in t] == [
        "Báo cấp trên: Ủy ban nhân dân xã Sin Suối Hồ (Xã Sin Suối Hồ) quá hạn 3 ngày làm việc (hạn 28/08/2026): "
        "Soạn và trình kế hoạch — Kế hoạch rà soát hộ nghèo, hộ cận nghèo 2026, Xã Sin Suối Hồ"
    ]
    sweep_at(time_machine, at(2026, 9, 9))
    assert sent_codes(item).count("escalate-parent") == 1
    assert sent_codes(item)[-1] == "overdue-5"


def test_a_late_province_is_escalated_to_the_ministry(household_2026, time_machine):
    item = open_item(household_2026["province"])
    sweep_at(time_machine, at(2026, 8, 19))  # 14/8 + 3 working days
    assert set(sent_codes(item)) == {"overdue-3", "escalate-head", "escalate-parent"}
    ministry = User.objects.get(username=MINISTRY_HEAD)
    assert texts(ministry, "escalation")[-1].startswith("Báo cấp trên: Sở Nông nghiệp và Môi trường tỉnh Lai Châu")


def test_after_an_outage_only_the_latest_threshold_is_sent(household_2026, time_machine):
    item = open_item(household_2026[COMMUNE])
    sweep_at(time_machine, at(2026, 8, 27, 15))
    assert sent_codes(item) == ["before-1"]
    assert texts(head_of(item.plan.unit))[-1].startswith("Còn 1 ngày làm việc")


def test_thresholds_passed_before_a_task_existed_are_not_sent(household_2026, time_machine):
    item = open_item(household_2026[COMMUNE])
    WorkItem.objects.filter(pk=item.pk).update(created_at=at(2026, 8, 26, 10))  # opened late
    sweep_at(time_machine, at(2026, 8, 26, 11))
    assert sent_codes(item) == []
    sweep_at(time_machine, at(2026, 8, 27))
    assert sent_codes(item) == ["before-1"]


def test_an_extension_moves_the_deadline_and_the_armed_reminders_but_never_resends(household_2026, time_machine):
    plan = household_2026[COMMUNE]
    item = open_item(plan)
    head = head_of(plan.unit)
    sweep_at(time_machine, at(2026, 8, 22))
    sweep_at(time_machine, at(2026, 8, 26))
    timer = DeadlineTimer.objects.get(work_item=item)
    assert (timer.next_threshold, timer.next_fire_at) == ("before-1", at(2026, 8, 27, 8))

    time_machine.move_to(at(2026, 8, 26, 10), tick=False)
    services.deadline_extend(
        actor=User.objects.get(username=P_HEAD),
        plan_id=plan.pk,
        due_on=D(2026, 9, 4),
        reason="Xã bị ảnh hưởng mưa lũ, đề nghị lùi hạn",
    )
    item.refresh_from_db()
    timer.refresh_from_db()
    assert local_day(item.due_at) == D(2026, 9, 4)
    # Under the new date before-2 falls on 28/8, but it was already sent: the next is before-1 on 3/9.
    assert (timer.next_threshold, timer.next_fire_at) == ("before-1", at(2026, 9, 3, 8))
    assert texts(head, "info")[-1].startswith("Gia hạn “Soạn và trình kế hoạch” đến hết ngày 04/09/2026")
    event = AuditEvent.objects.get(plan=plan, action="extend_deadline")
    assert event.comment == "Xã bị ảnh hưởng mưa lũ, đề nghị lùi hạn"
    assert event.data == {"from": "2026-08-28", "to": "2026-09-04"}

    for day in (27, 28):
        sweep_at(time_machine, at(2026, 8, day))
    assert sent_codes(item) == ["before-5", "before-2"]  # no before-2 again, no old due-day notice
    sweep_at(time_machine, at(2026, 9, 3))
    assert sent_codes(item) == ["before-5", "before-2", "before-1"]
    assert texts(head)[-1].startswith("Còn 1 ngày làm việc đến hạn 04/09/2026")
    sweep_at(time_machine, at(2026, 9, 4))
    assert sent_codes(item)[-1] == "due-0"


def test_a_new_task_of_an_extended_step_keeps_the_extension(household_2026, time_machine):
    """The extension belongs to the unit's step, not to one task: a plan returned later keeps it."""
    plan = household_2026[COMMUNE]
    services.deadline_extend(
        actor=User.objects.get(username=P_HEAD), plan_id=plan.pk, due_on=D(2026, 9, 25), reason="Lùi hạn"
    )
    assert services.due_for(plan=plan, step="draft") == open_item(plan).due_at
    assert local_day(open_item(plan).due_at) == D(2026, 9, 25)


def test_finishing_the_task_disarms_its_reminders(household_2026, time_machine):
    plan = household_2026[COMMUNE]
    item = open_item(plan)
    sweep_at(time_machine, at(2026, 8, 22))
    workflows.plan_act(
        actor=User.objects.get(username=P_HEAD), plan_id=household_2026["province"].pk, action="issue_guidance"
    )
    complete(plan)
    workflows.plan_act(actor=head_of(plan.unit), plan_id=plan.pk, action="submit")
    counts = sweep_at(time_machine, at(2026, 8, 26))
    assert counts["disarmed"] >= 1
    assert not DeadlineTimer.objects.filter(work_item=item).exists()
    assert sent_codes(item) == ["before-5"]
    review = open_item(plan)
    assert review.step == "review"
    assert local_day(review.due_at) == D(2026, 9, 9)  # the review milestone: five working days after 28/8


def test_moving_the_demo_clock_back_replays_that_days_reminders(household_2026, time_machine):
    item = open_item(household_2026[COMMUNE])
    province_item = open_item(household_2026["province"])
    sweep_at(time_machine, at(2026, 9, 3))
    assert sent_codes(item) == ["overdue-1", "escalate-head"]

    result = services.clock_set(actor="test", when=at(2026, 8, 28))
    assert result["forgotten"] >= 2 and result["rearmed"] >= 7
    assert clock.today() == D(2026, 8, 28)
    services.sweep(now=clock.now())
    assert sent_codes(item) == ["due-0"]
    assert set(sent_codes(province_item)) == {"overdue-11", "escalate-head", "escalate-parent"}
    services.clock_set(actor="test", when=at(2026, 9, 3))  # forward again: that day replays too
    services.sweep(now=clock.now())
    assert sent_codes(item) == ["due-0", "overdue-1", "escalate-head"]
    services.clock_reset(actor="test")
    assert clock.offset() == dt.timedelta(0)


def test_reminders_that_ran_out_long_ago_are_not_caught_up(household_2026, time_machine):
    # Three months without a sweep: the last overdue reminder (19 working days late) is stale.
    counts = sweep_at(time_machine, at(2026, 11, 23))
    assert counts["reminders"] == 0
    assert not DeadlineTimer.objects.filter(
        work_item__plan__in=household_2026.values(), next_fire_at__isnull=False
    ).exists()


def test_the_sweep_uses_the_database_clock_when_not_given_a_time(household_2026):
    # The real date (November 2026): everything due long ago; no crash, counts come back.
    counts = services.sweep()
    assert counts["armed"] >= 7
    assert set(counts) >= {"claimed", "reminders", "escalations", "notifications", "refused", "errors"}


class WorkerKilled(BaseException):
    """Stands for a worker dying mid-batch (not an Exception: nothing in the sweep catches it)."""


def test_a_sweep_killed_mid_batch_leaves_nothing_half_done(household_2026, time_machine, monkeypatch):
    from notifications import services as notifications

    time_machine.move_to(at(2026, 8, 28), tick=False)
    real_notify = notifications.notify
    calls = {"n": 0}

    def dies_on_the_third_call(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise WorkerKilled
        return real_notify(**kwargs)

    monkeypatch.setattr(notifications, "notify", dies_on_the_third_call)
    with pytest.raises(WorkerKilled):
        services.sweep(now=clock.now())
    assert not ReminderLedgerEntry.objects.exists()
    assert not Notification.objects.filter(kind__in=["reminder", "escalation"]).exists()

    monkeypatch.setattr(notifications, "notify", real_notify)
    counts = services.sweep(now=clock.now())
    assert counts["reminders"] == 7  # six communes due today, the province overdue
    assert services.sweep(now=clock.now())["reminders"] == 0
    assert ReminderLedgerEntry.objects.filter(threshold="due-0").count() == 6


def test_one_broken_timer_does_not_hold_back_the_others(household_2026, time_machine, monkeypatch):
    time_machine.move_to(at(2026, 8, 28), tick=False)
    broken = open_item(household_2026[COMMUNE])
    real_send = services._send

    def fails_for_one(item, *args, **kwargs):
        if item.pk == broken.pk:
            raise RuntimeError("bad data")
        return real_send(item, *args, **kwargs)

    monkeypatch.setattr(services, "_send", fails_for_one)
    counts = services.sweep(now=clock.now())
    assert counts["errors"] == 1
    assert counts["reminders"] == 6
    timer = DeadlineTimer.objects.get(work_item=broken)
    assert timer.next_fire_at == clock.now() + dt.timedelta(minutes=10)  # retried later


def test_reminders_count_working_days_across_tet_2027(demo, time_machine):
    """A plan returned on Thursday 28/1/2027 is due Thursday 11/2 (five working days, Tết 4-10/2
    in between): "2 days left" comes on 2/2, "1 day left" on 3/2, nothing during Tết."""
    from planning.models import Plan

    time_machine.move_to(at(2027, 1, 28), tick=False)
    plan = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023, plan_type="annual")
    plan = complete(plan)
    workflows.plan_act(actor=User.objects.get(username="t3-c03592-ubnd-head"), plan_id=plan.pk, action="submit")
    workflows.plan_act(
        actor=User.objects.get(username="t3-d109-labour-head"), plan_id=plan.pk, action="return", comment="Bổ sung"
    )
    item = open_item(plan)
    assert local_day(item.due_at) == D(2027, 2, 11)
    drafter = User.objects.get(username="t3-c03592-ubnd-drafter")
    sweep_at(time_machine, at(2027, 1, 28, 10))
    assert sent_codes(item) == []  # before-5 fell at 08:00, before the plan came back
    sweep_at(time_machine, at(2027, 2, 2))
    assert texts(drafter)[-1].startswith("Còn 2 ngày làm việc đến hạn 11/02/2027")
    sweep_at(time_machine, at(2027, 2, 3))
    for day in range(4, 11):
        sweep_at(time_machine, at(2027, 2, day))
    assert sent_codes(item) == ["before-2", "before-1"]
    sweep_at(time_machine, at(2027, 2, 11))
    assert sent_codes(item) == ["before-2", "before-1", "due-0"]


def test_an_extension_moves_viewflow_timers_armed_on_the_task(household_2026):
    """viewflow freezes a deadline into Task.scheduled when it arms a timer; an extension moves it."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    plan = household_2026[COMMUNE]
    item = open_item(plan)
    timer = Task.objects.create(
        process_id=item.process_id,
        flow_task=item.task.flow_task,
        flow_task_type="TIMER",
        status=STATUS.SCHEDULED,
        scheduled=item.due_at,
    )
    services.deadline_extend(
        actor=User.objects.get(username=P_HEAD), plan_id=plan.pk, due_on=D(2026, 9, 4), reason="Lùi hạn"
    )
    timer.refresh_from_db()
    assert timer.scheduled == open_item(plan).due_at

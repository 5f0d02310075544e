"""notify() and read marks: the outbox contract the approval workflow relies on."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications import selectors, services
from notifications.models import Kind, Notification
from planning.models import Plan
from tests.notifications.helpers import notice


def test_notify_creates_one_row_per_distinct_active_recipient(officer, django_capture_on_commit_callbacks):
    alice, bob = officer(), officer()
    retired = officer(is_active=False)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        created = services.notify(
            recipients=[alice, bob, alice, retired],
            kind=Kind.TASK,
            plan=None,
            link="/plans/1/",
            text_vi="Có kế hoạch chờ thẩm định",
            text_en="A plan awaits review",
        )
    assert [n.recipient for n in created] == [alice, bob]
    assert Notification.objects.filter(recipient__in=[alice, bob, retired]).count() == 2
    assert not Notification.objects.filter(recipient=retired).exists()


def test_ids_increase_so_clients_can_use_them_as_cursors(officer):
    alice = officer()
    ids = [notice(alice, n=i)[0].id for i in range(5)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_notify_keeps_plan_and_event(officer, demo):
    alice = officer()
    plan = Plan.objects.filter(unit__code="03592").first()
    (row,) = services.notify(
        recipients=[alice],
        kind=Kind.RETURNED,
        plan=plan,
        link=f"/plans/{plan.pk}/",
        text_vi="Kế hoạch bị trả lại",
        text_en="Plan returned",
        event_id=42,
    )
    row.refresh_from_db()
    assert (row.plan, row.event_id, row.kind) == (plan, 42, Kind.RETURNED)


def test_rows_roll_back_with_the_event_and_nothing_is_delivered(
    officer, django_capture_on_commit_callbacks, mailoutbox
):
    alice = officer()
    before = Notification.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notice(alice)
        raise RuntimeError("the approval failed")
    assert Notification.objects.count() == before
    assert callbacks == []
    assert mailoutbox == []


def test_a_second_notify_with_the_same_dedupe_key_creates_nothing(officer):
    alice, bob = officer(), officer()
    assert len(notice(alice, dedupe_key="task-7:due-1d")) == 1
    assert notice(alice, dedupe_key="task-7:due-1d") == []
    # The key is per recipient, and another key is another reminder.
    assert len(services.notify(**_reminder([alice, bob], "task-7:due-1d"))) == 1
    assert len(notice(alice, dedupe_key="task-7:overdue")) == 1
    assert Notification.objects.filter(recipient=alice).count() == 2


def test_dedupe_inside_the_callers_transaction_does_not_break_it(officer):
    alice = officer()
    notice(alice, dedupe_key="k")
    with transaction.atomic():
        assert notice(alice, dedupe_key="k") == []
        notice(alice, text_vi="tiếp tục được")  # the transaction is still usable
    assert Notification.objects.filter(recipient=alice).count() == 2


def _reminder(recipients, key):
    return {
        "recipients": recipients,
        "kind": Kind.REMINDER,
        "plan": None,
        "link": "/plans/1/",
        "text_vi": "Nhắc hạn",
        "text_en": "Reminder",
        "dedupe_key": key,
    }


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "/\\evil.example/x", "plans/1/"])
def test_links_must_stay_inside_the_site(officer, link):
    with pytest.raises(ValueError, match="link"):
        notice(officer(), link=link)


def test_unknown_kind_is_refused(officer):
    with pytest.raises(ValueError, match="kind"):
        notice(officer(), kind="gossip")


def test_text_is_served_in_the_recipients_language(officer):
    vi, en = officer(language="vi"), officer(language="en")
    notice(vi)
    notice(en)
    assert selectors.payloads_after(vi, after_id=0)[0]["text"].startswith("Kế hoạch năm 2023")
    english = selectors.payloads_after(en, after_id=0)[0]
    assert english["text"].startswith("The 2023 plan")
    assert english["texts"]["vi"].startswith("Kế hoạch")


def test_english_text_falls_back_to_vietnamese_when_missing(officer):
    en = officer(language="en")
    notice(en, text_en="")
    assert selectors.payloads_after(en, after_id=0)[0]["text"].startswith("Kế hoạch")


def test_mark_read_touches_only_the_officers_own_rows(officer):
    alice, bob = officer(), officer()
    mine = notice(alice, n=1) + notice(alice, n=2)
    theirs = notice(bob)
    updated = services.notifications_mark_read(user=alice, ids=[mine[0].id, theirs[0].id])
    assert updated == 1
    assert selectors.unread_count(alice) == 1
    assert selectors.unread_count(bob) == 1


def test_mark_all_read(officer):
    alice = officer()
    for i in range(3):
        notice(alice, n=i)
    assert services.notifications_mark_read(user=alice, all_unread=True) == 3
    assert services.notifications_mark_read(user=alice, all_unread=True) == 0
    assert selectors.bell_state(alice).unread == 0


def test_bell_state_is_one_query(officer, django_assert_num_queries):
    alice = officer()
    rows = notice(alice, n=1) + notice(alice, n=2)
    services.notifications_mark_read(user=alice, ids=[rows[0].id])
    with django_assert_num_queries(1):
        state = selectors.bell_state(alice)
    assert (state.unread, state.last_id) == (1, rows[1].id)

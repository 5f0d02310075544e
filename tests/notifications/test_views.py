"""The notification centre pages and the bell."""

from __future__ import annotations

import pytest
from django.template import RequestContext, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from notifications.models import EmailMode, EmailPreference
from tests.notifications.helpers import notice, raw_notifications

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def alice(officer):
    return officer()


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice, backend=MODEL_BACKEND)
    return client


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_the_officers_notifications_newest_first(as_alice, alice, officer):
    notice(alice, n=1)
    notice(alice, n=2)
    notice(officer(), text_vi="Việc của người khác")
    content = as_alice.get(reverse("notifications:list")).content.decode()
    assert content.index("chờ thẩm định (2)") < content.index("chờ thẩm định (1)")
    assert "Việc của người khác" not in content


def test_list_follows_the_page_language(as_alice, alice):
    notice(alice)
    as_alice.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = as_alice.get(reverse("notifications:list")).content.decode()
    assert "The 2023 plan of Sin Suối Hồ" in content
    assert "Mark all as read" in content
    assert ">Task<" in content


def test_list_costs_the_same_queries_for_5_or_30_rows(as_alice, alice, django_assert_max_num_queries):
    raw_notifications(alice, 5)
    with django_assert_max_num_queries(12) as few:
        as_alice.get(reverse("notifications:list"))
    raw_notifications(alice, 25, start=6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        as_alice.get(reverse("notifications:list"))


def test_list_is_paginated(as_alice, alice):
    raw_notifications(alice, 35)
    first = as_alice.get(reverse("notifications:list")).content.decode()
    second = as_alice.get(reverse("notifications:list"), {"page": 2}).content.decode()
    assert first.count("data-notif-id=") == 30
    assert second.count("data-notif-id=") == 5
    assert 'data-live="0"' in second  # live items are prepended on the first page only


def test_mark_one_read(as_alice, alice):
    (row,) = notice(alice)
    response = as_alice.post(reverse("notifications:read", args=[row.id]), {"next": "/notifications/?page=1"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/?page=1"
    row.refresh_from_db()
    assert row.read_at is not None


def test_open_marks_read_and_follows_the_link(as_alice, alice):
    (row,) = notice(alice, link="/plans/12/")
    response = as_alice.post(reverse("notifications:open", args=[row.id]))
    assert response["Location"] == "/plans/12/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_next_cannot_leave_the_site(as_alice, alice):
    (row,) = notice(alice)
    response = as_alice.post(reverse("notifications:read", args=[row.id]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications:list")


def test_mark_all_read(as_alice, alice):
    raw_notifications(alice, 3)
    as_alice.post(reverse("notifications:read-all"))
    assert not alice.notifications.filter(read_at__isnull=True).exists()


def test_outsider_cannot_read_or_open_another_officers_notification(as_alice, officer):
    (row,) = notice(officer())
    assert as_alice.post(reverse("notifications:read", args=[row.id])).status_code == 404
    assert as_alice.post(reverse("notifications:open", args=[row.id])).status_code == 404
    as_alice.post(reverse("notifications:read-all"))
    row.refresh_from_db()
    assert row.read_at is None


def test_read_marks_are_posts_with_csrf(alice):
    (row,) = notice(alice)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice, backend=MODEL_BACKEND)
    assert browser.get(reverse("notifications:read", args=[row.id])).status_code == 405
    assert browser.post(reverse("notifications:read", args=[row.id])).status_code == 403
    assert browser.post(reverse("notifications:read-all")).status_code == 403
    row.refresh_from_db()
    assert row.read_at is None


def test_preferences_page_saves_the_choice(as_alice, alice):
    assert as_alice.get(reverse("notifications:preferences")).status_code == 200
    response = as_alice.post(reverse("notifications:preferences"), {"mode": EmailMode.DAILY_DIGEST, "digest_hour": 6})
    assert response.status_code == 302
    preference = EmailPreference.objects.get(user=alice)
    assert (preference.mode, preference.digest_hour) == (EmailMode.DAILY_DIGEST, 6)


def test_preferences_refuse_an_invalid_hour(as_alice, alice):
    response = as_alice.post(reverse("notifications:preferences"), {"mode": EmailMode.OFF, "digest_hour": 25})
    assert response.status_code == 200
    assert not EmailPreference.objects.filter(user=alice).exists()


# --- the bell ---------------------------------------------------------------------------------


@pytest.fixture
def bell_settings(settings):
    """The project's template settings plus the bell's context processor (to be added to settings)."""
    templates = [dict(settings.TEMPLATES[0])]
    options = dict(templates[0]["OPTIONS"])
    processors = list(options["context_processors"])
    if "notifications.context_processors.unread_count" not in processors:
        processors.append("notifications.context_processors.unread_count")
    options["context_processors"] = processors
    templates[0]["OPTIONS"] = options
    settings.TEMPLATES = templates
    return settings


def render_bell(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template('{% include "notifications/bell.html" %}').render(RequestContext(request, {}))


def test_bell_shows_the_unread_count_and_cursor_in_one_query(bell_settings, alice, django_assert_num_queries):
    rows = raw_notifications(alice, 1200)
    with django_assert_num_queries(1):
        html = render_bell(alice)
    assert ">1200<" not in html  # the badge caps at 99+
    assert ">99+<" in html
    assert f'data-last-id="{rows[-1].id}"' in html  # never "1.234": JS parses it
    assert 'data-unread="1200"' in html
    assert "js/notifications.js" in html


def test_bell_without_unread_hides_the_badge(bell_settings, alice):
    html = render_bell(alice)
    assert "hidden" in html
    assert 'data-last-id="0"' in html


def test_bell_works_without_the_context_processor_too(alice, django_assert_num_queries):
    (row,) = raw_notifications(alice, 1)
    with django_assert_num_queries(1):
        html = render_bell(alice)
    assert f'data-last-id="{row.id}"' in html
    assert 'data-unread="1"' in html


def test_bell_is_empty_for_anonymous_visitors(bell_settings, db, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0):
        assert render_bell(AnonymousUser()).strip() == ""


def test_pages_without_the_bell_run_no_notification_query(alice, django_assert_num_queries):
    from notifications.context_processors import unread_count

    request = RequestFactory().get("/")
    request.user = alice
    with django_assert_num_queries(0):
        context = unread_count(request)  # lazy: nothing runs until a template reads it
    assert "notifications_bell" in context

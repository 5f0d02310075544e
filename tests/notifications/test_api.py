"""/api/v1/notifications/: the caller's own notifications, by cursor, and read marks."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications import selectors
from notifications.models import Notification
from tests.notifications.helpers import notice, raw_notifications

LIST = "/api/v1/notifications/"
READ = "/api/v1/notifications/read/"


def client_for(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_list_returns_ascending_ids_after_the_cursor_with_unread_count(officer):
    alice = officer()
    rows = [notice(alice, n=i)[0] for i in range(5)]
    body = client_for(alice).get(LIST, {"after": rows[1].id}).json()
    assert [n["id"] for n in body["results"]] == [r.id for r in rows[2:]]
    assert body["unread"] == 5
    assert body["last_id"] == rows[-1].id
    assert body["has_more"] is False
    first = body["results"][0]
    assert set(first) == {"id", "kind", "kind_label", "text", "texts", "link", "plan_id", "created_at", "read"}
    assert first["text"].startswith("Kế hoạch năm 2023")


def test_list_serves_the_callers_language(officer):
    bob = officer(language="en")
    notice(bob)
    assert client_for(bob).get(LIST).json()["results"][0]["text"].startswith("The 2023 plan")


def test_list_is_capped_at_200_and_says_more_follow(officer):
    alice = officer()
    raw_notifications(alice, 205)
    client = client_for(alice)
    body = client.get(LIST).json()
    assert len(body["results"]) == 200
    assert body["has_more"] is True
    rest = client.get(LIST, {"after": body["last_id"]}).json()
    assert len(rest["results"]) == 5
    assert rest["has_more"] is False
    assert client.get(LIST, {"limit": 500}).status_code == 400


def test_empty_page_keeps_the_cursor(officer):
    body = client_for(officer()).get(LIST, {"after": 99}).json()
    assert body == {"results": [], "unread": 0, "last_id": 99, "has_more": False}


@pytest.mark.parametrize("after", ["-1", "abc"])
def test_bad_cursor_is_a_400(officer, after):
    assert client_for(officer()).get(LIST, {"after": after}).status_code == 400


def test_outsider_sees_none_of_another_agencys_notifications(reviewer, outsider):
    (row,) = notice(reviewer)
    body = client_for(outsider).get(LIST).json()
    assert row.id not in {n["id"] for n in body["results"]}
    assert body["unread"] == selectors.unread_count(outsider)  # their own (the demo may have some)
    assert not Notification.objects.filter(pk__in=[n["id"] for n in body["results"]]).exclude(recipient=outsider)


def test_mark_some_read(officer):
    alice = officer()
    rows = [notice(alice, n=i)[0] for i in range(3)]
    response = client_for(alice).post(READ, {"ids": [rows[0].id, rows[2].id]}, format="json")
    assert response.json() == {"updated": 2, "unread": 1}


def test_mark_all_read(officer):
    alice = officer()
    raw_notifications(alice, 4)
    assert client_for(alice).post(READ, {"all": True}, format="json").json() == {"updated": 4, "unread": 0}


def test_outsider_cannot_mark_another_officers_notifications_read(reviewer, outsider):
    (row,) = notice(reviewer)
    before = selectors.unread_count(reviewer)
    response = client_for(outsider).post(READ, {"ids": [row.id]}, format="json")
    assert response.json() == {"updated": 0, "unread": selectors.unread_count(outsider)}
    row.refresh_from_db()
    assert row.read_at is None
    assert selectors.unread_count(reviewer) == before


@pytest.mark.parametrize("body", [{}, {"ids": [1], "all": True}, {"ids": "1"}, {"all": False}, {"ids": [0]}])
def test_read_needs_either_ids_or_all(officer, body):
    assert client_for(officer()).post(READ, body, format="json").status_code == 400


def test_session_authentication_works_too(officer, client):
    alice = officer()
    notice(alice)
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(LIST).json()["unread"] == 1


def test_anonymous_is_refused(db):
    api = APIClient()
    unread = Notification.objects.filter(read_at__isnull=True).count()
    assert api.get(LIST).status_code in (401, 403)
    assert api.post(READ, {"all": True}, format="json").status_code in (401, 403)
    assert Notification.objects.filter(read_at__isnull=True).count() == unread

import pytest
from django.urls import reverse

from directory.demo import DEMO_PASSWORD

DRAFTER = "t3-c03592-ubnd-drafter"  # Sin Suối Hồ commune, Phong Thổ


def test_wrong_password_is_refused_with_400(demo, api):
    response = api.post("/api/v1/auth/token/", {"username": DRAFTER, "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_missing_fields_are_named(db, api):
    response = api.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"username", "password", "detail", "code"}
    assert body["code"] == "invalid"


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(demo, api, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": DRAFTER, "password": "wrong"}, format="json")
    response = api.post("/api/v1/auth/token/", {"username": DRAFTER, "password": DEMO_PASSWORD}, format="json")
    assert response.status_code in (403, 429)
    # The lockout is per user and address: another officer is not affected.
    other = api.post(
        "/api/v1/auth/token/", {"username": "t3-c03592-ubnd-head", "password": DEMO_PASSWORD}, format="json"
    )
    assert other.status_code == 200


def test_login_form_locks_out_after_repeated_failures(demo, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": DRAFTER, "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert client.post(reverse("login"), {"username": DRAFTER, "password": "wrong"}).status_code == 429
    response = client.post(reverse("login"), {"username": DRAFTER, "password": DEMO_PASSWORD})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_api_needs_authentication(db, api):
    assert api.get("/api/v1/me/").status_code in (401, 403)
    assert api.get("/api/v1/units/").status_code in (401, 403)


def test_home_shows_agency_unit_and_role(demo, client):
    client.post(reverse("login"), {"username": DRAFTER, "password": DEMO_PASSWORD})
    response = client.get(reverse("home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Ủy ban nhân dân xã Sin Suối Hồ" in content
    assert "03592" in content
    assert "Chuyên viên soạn thảo" in content


def test_home_speaks_english_when_asked(demo, client):
    client.post(reverse("login"), {"username": DRAFTER, "password": DEMO_PASSWORD})
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(reverse("home")).content.decode()
    assert "Your agencies and roles" in content
    assert "Drafter" in content


def test_anonymous_home_redirects_to_login(db, client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("path", ["/login/", "/api/v1/docs/", "/api/v1/schema/"])
def test_public_pages_answer(db, client, path):
    assert client.get(path).status_code in (200, 302)

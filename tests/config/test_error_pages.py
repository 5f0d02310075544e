"""The product's own error pages (400, 403, 404, 500), in the officer's language with a way
back, also on viewflow's URLs (whose "Django Material" pages they replace); and a favicon."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import translation

from directory.models import User
from tests.workflows.conftest import OUTSIDER, plan_of

FOREIGN = ("We're sorry", "View site", "XEM TRANG WEB", "Access Forbidden", "Django Material", "mdc-")


def _as(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_a_plan_outside_the_tree_shows_the_products_404_in_vietnamese(client, demo):
    plan = plan_of("03592")
    response = _as(client, OUTSIDER).get(f"/plans/{plan.pk}/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang" in page and 'data-testid="error-home"' in page
    assert not [word for word in FOREIGN if word in page]


def test_an_officer_on_viewflows_pages_gets_the_products_403(client, demo):
    response = _as(client, OUTSIDER).get("/workflow/", follow=True)
    page = response.content.decode()
    assert response.status_code == 403
    assert "Không có quyền truy cập" in page and 'data-testid="error-home"' in page
    assert not [word for word in FOREIGN if word in page]


def test_an_unknown_viewflow_url_is_the_products_404(client, demo):
    page = _as(client, OUTSIDER).get("/workflow/plan/999999/").content.decode()
    assert not [word for word in FOREIGN if word in page]
    assert "Không tìm thấy trang" in page or "Không có quyền truy cập" in page


def test_the_404_speaks_the_officers_language(client, demo):
    client = _as(client, OUTSIDER)
    client.cookies["django_language"] = "en"
    page = client.get("/plans/999999/").content.decode()
    assert '<html lang="en">' in page and ">Inbox</a>" in page


def test_400_and_500_render_without_a_request_or_a_database(db):
    # Django renders them with no request and no context processors.
    with translation.override("vi"):
        assert "Hệ thống gặp lỗi" in render_to_string("500.html")
        assert "Yêu cầu không hợp lệ" in render_to_string("400.html")


@override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_every_page_links_a_favicon_and_favicon_ico_answers(client, demo):
    page = client.get("/login/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")
    assert response["Location"].startswith("/static/")

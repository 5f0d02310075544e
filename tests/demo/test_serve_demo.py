"""``serve_demo`` prints where it serves and makes the demo's e-mail links lead there."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command

from notifications.email import absolute_url


@pytest.mark.django_db
def test_the_mail_links_follow_the_port_the_demo_serves_on(demo, monkeypatch):
    served = {}
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: served.update(kwargs, site=settings.SITE_URL))
    original = settings.SITE_URL
    try:
        call_command("serve_demo", "--port", "8765", "--no-scheduler")
        assert served["port"] == 8765
        assert served["site"] == "http://127.0.0.1:8765"
        assert absolute_url("/plans/34/task/") == "http://127.0.0.1:8765/plans/34/task/"
    finally:
        settings.SITE_URL = original


@pytest.mark.django_db
def test_a_site_url_set_in_the_environment_is_kept(demo, monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://giamngheo.example.vn")
    monkeypatch.setattr(settings, "SITE_URL", "https://giamngheo.example.vn")
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: None)
    call_command("serve_demo", "--port", "8765", "--no-scheduler")
    assert settings.SITE_URL == "https://giamngheo.example.vn"

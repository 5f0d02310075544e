from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: loads every app's demo data in order and serves it. Refused in production."""

    name = "demo"

"""The ops middleware in front of the project's own, and the ops URLs in front of the project's,
as deploy/README.md asks config/settings.py and config/urls.py to have them."""

from __future__ import annotations

import pytest

OPS_MIDDLEWARE = ["ops.middleware.RequestIDMiddleware", "ops.middleware.MetricsMiddleware"]


@pytest.fixture
def wired(settings):
    """Settings with the ops middleware first, and the ops URLs; returns the settings."""
    if OPS_MIDDLEWARE[0] not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*OPS_MIDDLEWARE, *settings.MIDDLEWARE]
    settings.ROOT_URLCONF = "tests.ops.urls"
    return settings

"""Probe and metrics URLs, at the site root without a trailing slash: the paths load balancers
and Prometheus expect, and the ones SECURE_REDIRECT_EXEMPT lists (``^healthz$``, ``^readyz$``)."""

from django.urls import path

from ops import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]

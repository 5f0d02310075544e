"""Deadline pages, under /deadlines/ (config/urls.py)."""

from django.urls import path

from deadlines import views

app_name = "deadlines"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("plans/<int:plan_id>/extend/", views.extend, name="extend"),
]

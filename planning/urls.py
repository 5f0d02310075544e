"""The plan pages, under /plans/ (config/urls.py)."""

from django.urls import path

from planning import views

app_name = "planning"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/edit/", views.plan_edit, name="edit"),
    path("<int:plan_id>/import/<str:kind>/", views.plan_import, name="import"),
]

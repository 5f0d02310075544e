"""The directory's pages, under /units/ (config/urls.py: ``path("units/", include("directory.urls"))``)."""

from django.urls import path

from directory import views

app_name = "directory"
urlpatterns = [
    path("<str:structure>/<str:code>/", views.unit_detail, name="unit"),
]

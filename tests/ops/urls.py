"""The project's URLs with the ops URLs in front (until config/urls.py includes ``ops.urls``)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("", include("ops.urls")), *project_urlpatterns]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from directory import views as directory_views
from workflows.viewflow_site import site as workflow_site


def favicon(request):
    """/favicon.ico, which browsers and tools ask for whatever the page's <link rel="icon"> says:
    the static file (its hashed name in production, resolved per request, not at import)."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


urlpatterns = [
    path("", include("ops.urls")),
    path("", directory_views.home, name="home"),
    path("favicon.ico", favicon),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("workflows.urls")),
    path("plans/", include("planning.urls")),
    path("plans/", include("dossier.urls")),
    path("units/", include("directory.urls")),
    path("notifications/", include("notifications.urls")),
    path("deadlines/", include("deadlines.urls")),
    path("documents/", include("documents.urls")),
    path("workflow/", workflow_site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
]

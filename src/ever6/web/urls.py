"""The site's URLs: one include per app, each app's views role-checked."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from ever6.web.accounts import views as accounts

urlpatterns = [
    path("", accounts.home, name="home"),
    path("accounts/", include("ever6.web.accounts.urls")),
    path("audit/", include("ever6.web.audit.urls")),
    path("schools/", include("ever6.web.schools.urls")),
    path("dashboard/", include("ever6.web.dashboard.urls")),
    path("portal/", include("ever6.web.portal.urls")),
    path("data/", include("ever6.web.datamgmt.urls")),
    path("support/", include("ever6.web.support.urls")),
    path("training/", include("ever6.web.training.urls")),
    path("outcomes/", include("ever6.web.outcomes.urls")),
    path("social-work/", include("ever6.web.events.urls")),
    path("roundups/", include("ever6.web.roundup.urls")),
    path("grant/", include("ever6.web.grant.urls")),
    path("reports/", include("ever6.web.documents.urls")),
    path("admin/", admin.site.urls),
]

if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

"""The documents' own pages (the governors' pack downloads live with the school page and portal)."""

from __future__ import annotations

from django.urls import path

from ever6.web.documents import views

app_name = "documents"
urlpatterns = [
    path("annual/", views.annual_report, name="annual"),
]

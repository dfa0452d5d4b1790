from django.urls import path

from ever6.web.dashboard import flow, localities, profile, views

app_name = "dashboard"
# The named pages come before the theme pattern; the theme view answers 404 for anything not a theme.
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("schools/", views.schools, name="schools"),
    path("flow/", flow.flow, name="flow"),
    path("profile/", profile.profile, name="profile"),
    path("localities/", localities.localities, name="localities"),
    path("<slug:theme>/", views.theme, name="theme"),
]

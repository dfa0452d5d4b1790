from django.urls import path

from ever6.web.dashboard import flow, views

app_name = "dashboard"
# "schools/" and "flow/" come before the theme pattern; the theme view answers 404 for anything not a theme.
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("schools/", views.schools, name="schools"),
    path("flow/", flow.flow, name="flow"),
    path("<slug:theme>/", views.theme, name="theme"),
]

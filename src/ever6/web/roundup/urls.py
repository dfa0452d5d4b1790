from django.urls import path

from ever6.web.roundup import views

app_name = "roundup"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("opt-outs/", views.optouts, name="optouts"),
    path("<int:roundup_id>/", views.detail, name="detail"),
    path("opt-out/<str:token>/", views.self_optout, name="self_optout"),
]

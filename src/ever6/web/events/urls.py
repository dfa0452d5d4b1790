from django.urls import path

from ever6.web.events import views

app_name = "events"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("events/<int:pk>/", views.event, name="event"),
    path("record/", views.cohort_record, name="record"),
]

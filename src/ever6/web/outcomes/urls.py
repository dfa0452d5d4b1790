from django.urls import path

from ever6.web.outcomes import views

app_name = "outcomes"
urlpatterns = [path("", views.index, name="index")]

from django.urls import path

from ever6.web.audit import views

app_name = "audit"
urlpatterns = [path("", views.index, name="index")]

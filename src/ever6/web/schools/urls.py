from django.urls import path

from ever6.web.schools import views

app_name = "schools"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("agreements/", views.agreements, name="agreements"),
    path("<str:urn>/", views.school, name="school"),
    path("<str:urn>/agreement/", views.agreement, name="agreement"),
    path("<str:urn>/agreement/<int:agreement_id>/signed-copy.pdf", views.signed_copy, name="signed_copy"),
]

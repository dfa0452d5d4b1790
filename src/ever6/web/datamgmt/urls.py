from django.urls import path

from ever6.web.datamgmt import views

app_name = "datamgmt"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("imports/", views.imports, name="imports"),
    path("imports/<str:batch_id>/", views.import_detail, name="import_detail"),
    path("imports/<str:batch_id>/rollback/", views.rollback, name="rollback"),
    path("quality/", views.quality, name="quality"),
    path("quality/records/", views.quality_issues, name="quality_issues"),
    path("linkage/", views.linkage, name="linkage"),
    path("refresh/", views.refresh, name="refresh"),
]

from django.urls import path

from ever6.web.datamgmt import upload_views, views

app_name = "datamgmt"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("imports/", views.imports, name="imports"),
    # Before the import's own page, whose id would take "new" and "uploads".
    path("imports/new/", upload_views.new, name="upload_new"),
    path("imports/uploads/<int:pk>/", upload_views.upload, name="upload"),
    path("imports/<str:batch_id>/", views.import_detail, name="import_detail"),
    path("imports/<str:batch_id>/rollback/", views.rollback, name="rollback"),
    path("quality/", views.quality, name="quality"),
    path("quality/records/", views.quality_issues, name="quality_issues"),
    path("linkage/", views.linkage, name="linkage"),
    path("refresh/", views.refresh, name="refresh"),
]

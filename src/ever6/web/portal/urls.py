from django.urls import path

from ever6.web.documents.views import portal_pack
from ever6.web.events import views as events_views
from ever6.web.portal import views

app_name = "portal"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("<str:urn>/", views.school, name="school"),
    path("<str:urn>/pupils/", views.pupils, name="pupils"),
    path("<str:urn>/marker.csv", views.marker_csv_view, name="marker_csv"),
    path("<str:urn>/governors-pack.pdf", portal_pack, name="governors_pack"),
    path("<str:urn>/marker.xml", views.marker_xml_view, name="marker_xml"),
    path("<str:urn>/events/new/", events_views.record, name="record_event"),
]

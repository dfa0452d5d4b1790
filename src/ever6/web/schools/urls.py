from django.urls import path

from ever6.web.documents.views import school_pack
from ever6.web.schools import imports, views

app_name = "schools"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("agreements/", views.agreements, name="agreements"),
    path("new/", views.setting_new, name="setting_new"),
    path("import/", imports.upload, name="import"),
    path("import/preview/", imports.preview, name="import_preview"),
    path("import/template/<slug:kind>.csv", imports.template, name="import_template"),
    path("<str:urn>/", views.school, name="school"),
    path("<str:urn>/governors-pack.pdf", school_pack, name="governors_pack"),
    path("<str:urn>/agreement/", views.agreement, name="agreement"),
    path("<str:urn>/agreement/<int:agreement_id>/signed-copy.pdf", views.signed_copy, name="signed_copy"),
    path("<str:urn>/contacts/new/", views.contact_new, name="contact_new"),
    path("<str:urn>/contacts/<int:contact_id>/", views.contact_edit, name="contact_edit"),
    path("<str:urn>/contacts/<int:contact_id>/remove/", views.contact_remove, name="contact_remove"),
    path("<str:urn>/tier/", views.tier, name="tier"),
]

from django.urls import path

from ever6.web.support import views

app_name = "support"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("enquiries/", views.enquiries, name="enquiries"),
    path("enquiries/new/", views.enquiry_new, name="enquiry_new"),
    path("enquiries/report/", views.report, name="report"),
    path("enquiries/<int:enquiry_id>/", views.enquiry, name="enquiry"),
    path("enquiries/<int:enquiry_id>/edit/", views.enquiry_edit, name="enquiry_edit"),
    path("enquiries/<int:enquiry_id>/respond/", views.enquiry_respond, name="enquiry_respond"),
    path("clinics/", views.clinics, name="clinics"),
    path("clinics/new/", views.clinic_new, name="clinic_new"),
    path("clinics/<int:clinic_id>/", views.clinic, name="clinic"),
    path("clinics/<int:clinic_id>/edit/", views.clinic_edit, name="clinic_edit"),
    path("clinics/<int:clinic_id>/book/", views.booking_new, name="booking_new"),
    path("clinics/<int:clinic_id>/attendance/", views.attendance, name="attendance"),
    path("clinics/<int:clinic_id>/summary/", views.clinic_summary, name="clinic_summary"),
    path("clinics/<int:clinic_id>/actions/new/", views.action_new, name="action_new"),
    path("clinics/<int:clinic_id>/actions/<int:action_id>/", views.action_edit, name="action_edit"),
    path("interventions/", views.interventions, name="interventions"),
    path("interventions/new/", views.intervention_new, name="intervention_new"),
    path("interventions/<int:intervention_id>/", views.intervention, name="intervention"),
    path("interventions/<int:intervention_id>/edit/", views.intervention_edit, name="intervention_edit"),
    path("interventions/<int:intervention_id>/recommend/", views.recommendation_new, name="recommendation_new"),
]

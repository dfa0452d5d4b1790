from django.urls import path

from ever6.web.support.views import clinics, enquiries, interventions, reports

app_name = "support"
urlpatterns: list[object] = [
    path("", enquiries.index, name="index"),
    path("enquiries/", enquiries.enquiries, name="enquiries"),
    path("enquiries/new/", enquiries.enquiry_new, name="enquiry_new"),
    path("enquiries/report/", reports.report, name="report"),
    path("enquiries/<int:enquiry_id>/", enquiries.enquiry, name="enquiry"),
    path("enquiries/<int:enquiry_id>/edit/", enquiries.enquiry_edit, name="enquiry_edit"),
    path("enquiries/<int:enquiry_id>/respond/", enquiries.enquiry_respond, name="enquiry_respond"),
    path("clinics/", clinics.clinics, name="clinics"),
    path("clinics/new/", clinics.clinic_new, name="clinic_new"),
    path("clinics/<int:clinic_id>/", clinics.clinic, name="clinic"),
    path("clinics/<int:clinic_id>/edit/", clinics.clinic_edit, name="clinic_edit"),
    path("clinics/<int:clinic_id>/book/", clinics.booking_new, name="booking_new"),
    path("clinics/<int:clinic_id>/attendance/", clinics.attendance, name="attendance"),
    path("clinics/<int:clinic_id>/summary/", clinics.clinic_summary, name="clinic_summary"),
    path("clinics/<int:clinic_id>/actions/new/", clinics.action_new, name="action_new"),
    path("clinics/<int:clinic_id>/actions/<int:action_id>/", clinics.action_edit, name="action_edit"),
    path("interventions/", interventions.interventions, name="interventions"),
    path("interventions/new/", interventions.intervention_new, name="intervention_new"),
    path("interventions/<int:intervention_id>/", interventions.intervention, name="intervention"),
    path("interventions/<int:intervention_id>/edit/", interventions.intervention_edit, name="intervention_edit"),
    path("interventions/<int:intervention_id>/recommend/", interventions.recommendation_new, name="recommendation_new"),
]

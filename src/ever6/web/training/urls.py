from django.urls import path

from ever6.web.training import views

app_name = "training"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("courses/new/", views.course_new, name="course_new"),
    path("courses/<int:course_id>/", views.course, name="course"),
    path("courses/<int:course_id>/edit/", views.course_edit, name="course_edit"),
    path("courses/<int:course_id>/sessions/new/", views.session_new, name="session_new"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:session_id>/", views.session, name="session"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/attendance/", views.attendance, name="attendance"),
    path("sessions/<int:session_id>/register/", views.register, name="register"),
    path("registrations/<int:registration_id>/feedback/", views.feedback, name="feedback"),
    path("registrations/<int:registration_id>/withdraw/", views.withdraw, name="withdraw"),
    path("feedback/", views.feedback_summary, name="feedback_summary"),
    path("coverage/", views.coverage, name="coverage"),
    path("import/", views.import_records, name="import"),
]

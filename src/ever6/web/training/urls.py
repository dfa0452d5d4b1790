from django.urls import path

from ever6.web.training.views import courses, coverage, feedback, imports, registrations, sessions

app_name = "training"
urlpatterns: list[object] = [
    path("", courses.index, name="index"),
    path("courses/new/", courses.course_new, name="course_new"),
    path("courses/<int:course_id>/", courses.course, name="course"),
    path("courses/<int:course_id>/edit/", courses.course_edit, name="course_edit"),
    path("courses/<int:course_id>/sessions/new/", sessions.session_new, name="session_new"),
    path("sessions/", sessions.sessions, name="sessions"),
    path("sessions/<int:session_id>/", sessions.session, name="session"),
    path("sessions/<int:session_id>/edit/", sessions.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/attendance/", sessions.attendance, name="attendance"),
    path("sessions/<int:session_id>/register/", registrations.register, name="register"),
    path("registrations/<int:registration_id>/feedback/", feedback.feedback, name="feedback"),
    path("registrations/<int:registration_id>/withdraw/", registrations.withdraw, name="withdraw"),
    path("feedback/", feedback.feedback_summary, name="feedback_summary"),
    path("coverage/", coverage.coverage, name="coverage"),
    path("import/", imports.import_records, name="import"),
]

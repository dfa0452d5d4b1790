from django.urls import path

from ever6.web.grant import views

app_name = "grant"
urlpatterns: list[object] = [
    path("", views.index, name="index"),
    path("new/", views.year_new, name="year_new"),
    path("<int:start_year>/", views.year, name="year"),
    path("<int:start_year>/edit/", views.year_edit, name="year_edit"),
    path("<int:start_year>/payments/<int:instalment>/", views.payment_edit, name="payment_edit"),
    path("<int:start_year>/spend/new/", views.line_new, name="line_new"),
    path("<int:start_year>/spend/<int:line_id>/", views.line_edit, name="line_edit"),
    path("<int:start_year>/reports/new/", views.report_new, name="report_new"),
    path("reports/<int:report_id>/", views.report, name="report"),
    path("reports/<int:report_id>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("reports/<int:report_id>/report.pdf", views.report_pdf, name="report_pdf"),
    path("reports/<int:report_id>/submit/", views.report_submit, name="report_submit"),
    path("return/", views.dfe_return, name="dfe_return"),
]

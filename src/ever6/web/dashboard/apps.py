from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "ever6.web.dashboard"
    label = "dashboard"

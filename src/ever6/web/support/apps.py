from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "ever6.web.support"
    label = "support"

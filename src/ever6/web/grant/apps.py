from django.apps import AppConfig


class GrantConfig(AppConfig):
    name = "ever6.web.grant"
    label = "grant"

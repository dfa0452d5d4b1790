from django.apps import AppConfig


class RoundupConfig(AppConfig):
    name = "ever6.web.roundup"
    label = "roundup"

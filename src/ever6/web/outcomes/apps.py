from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ever6.web.outcomes"
    label = "outcomes"

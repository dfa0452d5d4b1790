from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "ever6.web.schools"
    label = "schools"

from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "ever6.web.schools"
    label = "schools"

    def ready(self) -> None:
        from ever6.web.schools import importers

        importers.register()

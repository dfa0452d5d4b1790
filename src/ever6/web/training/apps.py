from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "ever6.web.training"
    label = "training"

    def ready(self) -> None:
        from ever6.web.training import importers

        importers.register()

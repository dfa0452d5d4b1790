from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "ever6.web.outbox"
    label = "outbox"
    verbose_name = "Email outbox"

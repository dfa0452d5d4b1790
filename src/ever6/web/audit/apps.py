from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ever6.web.audit"
    label = "audit"

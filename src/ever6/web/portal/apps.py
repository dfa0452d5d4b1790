from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ever6.web.portal"
    label = "portal"

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "ever6.web.events"
    label = "events"
    verbose_name = "Events for social workers"

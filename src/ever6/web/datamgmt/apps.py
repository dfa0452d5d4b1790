from django.apps import AppConfig


class DatamgmtConfig(AppConfig):
    name = "ever6.web.datamgmt"
    label = "datamgmt"

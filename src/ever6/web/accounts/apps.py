from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ever6.web.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

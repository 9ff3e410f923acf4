"""App config for netcode."""

from django.apps import AppConfig


class NetcodeConfig(AppConfig):
    name = "netcode"
    default_auto_field = "django.db.models.BigAutoField"

"""App config for the participant client's templates and static files."""

from django.apps import AppConfig


class FrontendConfig(AppConfig):
    name = "frontend"

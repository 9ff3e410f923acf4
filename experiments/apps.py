"""App config: registers system checks and syncs experiment definitions after migrate."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ExperimentsConfig(AppConfig):
    name = "experiments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from experiments import checks, gameplay_admin  # noqa: F401  (registers checks and admin pages)
        from mugsite import checks as site_checks  # noqa: F401

        post_migrate.connect(_sync_after_migrate, sender=self)


def _sync_after_migrate(**kwargs) -> None:
    from experiments.services import experiment_sync_all

    experiment_sync_all()

"""App config: registers system checks, gives the flow what it needs of game scenes, syncs definitions after
migrate."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ExperimentsConfig(AppConfig):
    name = "experiments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django imports models only after every app's config: modules that use them load here
        from experiments.definition import checks  # noqa: F401  (registers the system checks)
        from experiments.flow import hooks
        from experiments.gamedata import episodes, views
        from mugsite import checks as site_checks  # noqa: F401

        hooks.provide_game_scenes(
            hooks.GameScenes(
                done=episodes.gym_scene_complete,
                as_played=episodes.scene_as_played,
                page_config=views.gym_runtime_config,
                preload=views.preload_context,
            )
        )
        post_migrate.connect(_sync_after_migrate, sender=self)


def _sync_after_migrate(**kwargs) -> None:
    from experiments.flow.services import experiment_sync_all

    experiment_sync_all()

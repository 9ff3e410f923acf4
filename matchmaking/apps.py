"""App config for matchmaking: a session that ends early ends the participant's waits."""

from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "matchmaking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django imports models only after every app's config: services (which use them) load here
        from experiments.flow import hooks
        from matchmaking.services import waits_end_with_session

        hooks.on_session_end(waits_end_with_session)

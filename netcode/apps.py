"""App config for netcode: a session that ends early drops the participant's game seat; game sockets' round trips
feed the flow's monitoring."""

from django.apps import AppConfig


class NetcodeConfig(AppConfig):
    name = "netcode"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django imports models only after every app's config: services (which use them) load here
        from experiments.flow import hooks
        from netcode.notify import seats_release_with_session
        from netcode.replay import episode_log, episode_logged_actions
        from netcode.selectors import seat_rtt_now

        hooks.on_session_end(seats_release_with_session)
        hooks.on_latency_reading(seat_rtt_now)
        hooks.on_group_log(episode_log)  # the exact verifier replays group episodes from the relay's log
        hooks.on_group_actions(episode_logged_actions)  # uploaded group rows must carry the logged actions

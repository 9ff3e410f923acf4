"""The admin pages, for Django's autodiscovery: they live in the control room (experiments/control/)."""

from experiments.control import admin, episode_admin, game_admin, waiting_admin  # noqa: F401

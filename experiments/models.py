"""The app's models, for Django to load: the flow's (participants and their answers) and the game data's."""

from experiments.flow.models import *  # noqa: F403
from experiments.gamedata.models import *  # noqa: F403

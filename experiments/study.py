"""The researcher's study API: every class a study definition uses, from one module.

    from experiments.study import ConsentScene, EndScene, Experiment, GymScene

The classes live in `experiments.definition` (and the policies and drawing API in `mug`, the package that also
runs in the browser); this module is the one place a study imports them from."""

from experiments.definition.errors import DefinitionError
from experiments.definition.experiment import Experiment
from experiments.definition.gym_scene import GymScene
from experiments.definition.matchers import FIFO, GroupReunion, LatencyAware, Matcher
from experiments.definition.monitoring import Monitoring
from experiments.definition.netplay import ContinueWithout, EndForAll, Netcode, ReplaceWithAI, WaitForReturn
from experiments.definition.outcomes import (
    COMPLETED,
    DECLINED_CONSENT,
    DROPPED_OUT,
    EXCLUDED,
    NO_PARTNER,
    PARTNER_DROPPED,
    RUNTIME_ERROR,
    SCREENED_OUT,
    TIMED_OUT,
    Outcome,
)
from experiments.definition.questions import ChoiceQuestion, Question, ScaleQuestion, TextQuestion
from experiments.definition.quotas import Quota
from experiments.definition.rooms import ContinueTo, EndWithNoPartner, PlayWithAI, WaitingRoom
from experiments.definition.scenes import ConsentScene, EndScene, InstructionsScene, Scene, StaticScene, SurveyScene
from experiments.definition.screening import Screening
from experiments.definition.seat_content import SeatParticipant
from experiments.definition.stager import Branch, Conditions, RandomizeOrder, Repeat
from mug.policies import OnnxPolicy, PythonPolicy
from mug.surface import Surface

__all__ = [
    # the experiment and its flow
    "Experiment",
    "Scene",
    "StaticScene",
    "InstructionsScene",
    "ConsentScene",
    "SurveyScene",
    "EndScene",
    "GymScene",
    "SeatParticipant",
    "RandomizeOrder",
    "Repeat",
    "Branch",
    "Conditions",
    # survey questions
    "Question",
    "TextQuestion",
    "ScaleQuestion",
    "ChoiceQuestion",
    # who takes part, and how it ends
    "Screening",
    "Monitoring",
    "Quota",
    "Outcome",
    "COMPLETED",
    "DECLINED_CONSENT",
    "DROPPED_OUT",
    "EXCLUDED",
    "NO_PARTNER",
    "PARTNER_DROPPED",
    "RUNTIME_ERROR",
    "SCREENED_OUT",
    "TIMED_OUT",
    # several humans: waiting rooms, matchers, netcode
    "WaitingRoom",
    "ContinueTo",
    "PlayWithAI",
    "EndWithNoPartner",
    "Matcher",
    "FIFO",
    "LatencyAware",
    "GroupReunion",
    "Netcode",
    "WaitForReturn",
    "ReplaceWithAI",
    "ContinueWithout",
    "EndForAll",
    # AI agents and drawing (mug, shared with the browser)
    "PythonPolicy",
    "OnnxPolicy",
    "Surface",
    "DefinitionError",
]

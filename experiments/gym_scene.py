"""The environment scene: how to build the env, who plays which agent, keys, timing, display and data options."""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings

from experiments.errors import DefinitionError
from experiments.scenes import Scene
from mug.adapters import EnvConfigError, make_adapter
from mug.keys import combo_name
from mug.loop import HUMAN, RANDOM, LoopConfig

DEFAULT_PACKAGES = ["gymnasium==1.4.0"]
MUG_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "mug"


@dataclass(kw_only=True)
class GymScene(Scene):
    """Play `env` ("package.module:factory", called with `env_kwargs` and `render_mode`) in the browser.

    `agents` maps agent ids to "human" or "random" (a single-agent Gymnasium env has one agent, "agent").
    `keys` maps a key (KeyboardEvent.key) or a tuple of keys held together to an action. `seed`: None draws
    a random seed per participant, an int gives episode i the seed `seed + i`, a list gives seeds in order.
    """

    env: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=lambda: {"agent": HUMAN})
    keys: dict[str | tuple[str, ...], Any] = field(default_factory=dict)
    default_action: Any = 0
    input_mode: str = "held"
    fps: int = 30
    num_episodes: int = 1
    max_steps: int | None = 1000
    seed: int | list[int] | None = None
    width: int = 600
    height: int = 400
    background: str = "#ffffff"
    hud: bool = True
    render_mode: str = "mug"
    record_observations: bool = True
    packages: list[str] = field(default_factory=lambda: list(DEFAULT_PACKAGES))
    ship: list[str] | None = None
    in_game_body: str = ""
    after_body: str = "<p>Well done! Your game data is saved.</p>"
    countdown_seconds: int = 3
    button_label: str = "Start"
    kind: ClassVar[str] = "gym"
    template_name: ClassVar[str] = "frontend/scenes/gym.html"

    def prepare(self, base_dir: Path) -> None:
        super().prepare(base_dir)
        self._check_numbers()
        if self.input_mode not in ("held", "press"):
            raise DefinitionError(f"gym scene {self.scene_id!r}: input_mode must be 'held' or 'press'")
        if HUMAN not in self.agents.values() or set(self.agents.values()) - {HUMAN, RANDOM}:
            raise DefinitionError(f"gym scene {self.scene_id!r}: agents need one 'human'; others 'human' or 'random'")
        if not self.keys:
            raise DefinitionError(f"gym scene {self.scene_id!r}: map at least one key to an action")
        self._preflight()

    def _check_numbers(self) -> None:
        if not 1 <= self.fps <= 120 or self.num_episodes < 1 or (self.max_steps is not None and self.max_steps < 1):
            raise DefinitionError(
                f"gym scene {self.scene_id!r}: need 1 <= fps <= 120, num_episodes >= 1, max_steps >= 1"
            )
        if isinstance(self.seed, list) and len(self.seed) < self.num_episodes:
            raise DefinitionError(f"gym scene {self.scene_id!r}: give at least num_episodes seeds")

    def _preflight(self) -> None:
        """Build the env once on the server: an unusable env fails at load time, not mid-study."""
        try:
            adapter = make_adapter(self.env, self.env_kwargs, self.render_mode)
        except (EnvConfigError, TypeError, ValueError, ImportError) as error:
            raise DefinitionError(f"gym scene {self.scene_id!r}: {error}") from error
        try:
            unknown = set(self.agents) - set(adapter.possible_agents)
            if unknown:
                raise DefinitionError(
                    f"gym scene {self.scene_id!r}: agents {sorted(unknown)} are not in the env's "
                    f"{adapter.possible_agents}"
                )
            for agent in self.agents:
                if not adapter.action_space(agent).contains(
                    _as_action(adapter.action_space(agent), self.default_action)
                ):
                    raise DefinitionError(f"gym scene {self.scene_id!r}: default_action is not in {agent}'s space")
        finally:
            adapter.close()

    def loop_config(self) -> dict[str, Any]:
        """The runtime's configuration, as JSON for the browser."""
        config = LoopConfig(
            env=self.env,
            env_kwargs=self.env_kwargs,
            agents=self.agents,
            keys={combo_name(key): action for key, action in self.keys.items()},
            default_action=self.default_action,
            input_mode=self.input_mode,
            fps=self.fps,
            num_episodes=self.num_episodes,
            max_steps=self.max_steps,
            render_mode=self.render_mode,
            record_observations=self.record_observations,
            width=self.width,
            height=self.height,
            background=self.background,
            hud=self.hud,
        )
        return asdict(config)

    def seeds(self, base_seed: int) -> list[int]:
        """The seed of each episode; `base_seed` is the participant's server-drawn seed."""
        if isinstance(self.seed, list):
            return list(self.seed[: self.num_episodes])
        start = base_seed if self.seed is None else self.seed
        return [(start + index) % 2**31 for index in range(self.num_episodes)]

    def shipped_modules(self) -> list[str]:
        """Python packages/modules of the project that the browser needs: by default the env's own package."""
        if self.ship is not None:
            return list(self.ship)
        module = self.env.partition(":")[0]
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None or not Path(spec.origin).is_relative_to(settings.BASE_DIR):
            return []  # an installed package (e.g. gymnasium's own envs) comes from the wheels
        return [module.rpartition(".")[0] or module]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "env": self.env, "agents": self.agents, "fps": self.fps}


def _as_action(space, action: Any) -> Any:
    """JSON-ish actions from a definition compared against numpy-typed spaces."""
    try:
        import numpy as np

        return np.asarray(action, dtype=space.dtype) if getattr(space, "dtype", None) is not None else action
    except (TypeError, ValueError):
        return action


def code_hash(files: dict[str, str]) -> str:
    """A hash of the shipped source files (path and content), identical wherever they run."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return digest.hexdigest()

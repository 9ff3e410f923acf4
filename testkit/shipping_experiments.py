"""Test studies of shipping an env (issue 19): an env whose scene lists no `packages`, and a study package written
outside the project (on the path only through PYTHONPATH) that imports a sibling local package."""

from __future__ import annotations

from pathlib import Path

from experiments.study import EndScene, Experiment, GymScene

# A PettingZoo env, no `packages=`: pettingzoo (and numpy) come from the env's imports.
pz_noship = Experiment(
    slug="pz-noship",
    title="A PettingZoo env without packages",
    stager=[
        GymScene(
            scene_id="play",
            env="testkit.envs.pz_noship:make",
            agents={"walker": "human"},
            keys={"d": 2},
            default_action=2,
            max_steps=60,
            seed=[1],
        ),
        EndScene(scene_id="end"),
    ],
)


def _walk(scene_id: str = "play", **options) -> GymScene:
    return GymScene(
        scene_id=scene_id,
        env="testkit.envs.pz_noship:make",
        agents={"walker": "human"},
        keys={"d": 2},
        default_action=2,
        max_steps=60,
        seed=[1],
        **options,
    )


# Not in PATHS (each fails the system check on purpose; tests load them by name):
# a scene whose `packages` pins another pettingzoo than the server runs;
conflict = Experiment(
    slug="pz-conflict",
    title="packages= against the installed version",
    stager=[_walk(packages=["gymnasium==1.4.0", "pettingzoo==1.24.3"]), EndScene(scene_id="end")],
)
# a scene that needs a Pyodide-built package (the self-hosted Pyodide of the tests has only numpy);
needs_opencv = Experiment(
    slug="needs-opencv",
    title="A Pyodide-built package",
    stager=[_walk(packages=["gymnasium==1.4.0", "opencv-python"]), EndScene(scene_id="end")],
)
# a scene that needs a package no index has a pure-Python wheel of.
needs_missing = Experiment(
    slug="needs-missing",
    title="A package without a pure-Python wheel",
    stager=[_walk(packages=["gymnasium==1.4.0", "mug-no-pure-wheel==1.0"]), EndScene(scene_id="end")],
)

EXTERNAL_PATH = "extstudy.experiment:experiment"
EXTERNAL_SLUG = "ext-study"
# What the external env draws: the sibling package's constant, so a test can see it came from there.
EXTERNAL_LABEL = "drawn-by-extshapes"

EXTERNAL_FILES = {
    "extshapes/__init__.py": '"""A local package beside the study, imported by its env."""\n',
    "extshapes/marks.py": f'LABEL = "{EXTERNAL_LABEL}"\n\n\ndef mark(surface, x):\n'
    '    surface.text(LABEL, 5, 5, id="label")\n    surface.rect(x * 20, 30, 20, 20, fill="#aa3300", id="box")\n',
    "extstudy/__init__.py": "",
    "extstudy/env.py": '''"""A Gymnasium env that lives outside the project and draws through a sibling package."""

import gymnasium
import numpy as np
from extshapes.marks import mark

from mug.surface import Surface


class LineEnv(gymnasium.Env):
    action_space = gymnasium.spaces.Discrete(3)
    observation_space = gymnasium.spaces.Box(0, 9, shape=(1,), dtype=np.int64)
    metadata = {"render_modes": ["mug"]}

    def __init__(self, render_mode=None):
        self.render_mode, self.x = render_mode, 0
        self.surface = Surface(200, 60)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x = 0
        return np.array([self.x]), {}

    def step(self, action):
        self.x = int(np.clip(self.x + (0, -1, 1)[int(action)], 0, 9))
        return np.array([self.x]), float(self.x == 9), self.x == 9, False, {}

    def render(self):
        mark(self.surface, self.x)
        return self.surface.commit()


def make(**kwargs):
    return LineEnv(**kwargs)
''',
    "extstudy/secret.py": 'NEVER_SHIPPED = "EXT-SECRET-CODE"\n',
    "extstudy/experiment.py": f'''from experiments.study import EndScene, Experiment, GymScene

experiment = Experiment(
    slug="{EXTERNAL_SLUG}",
    title="A study outside the project",
    stager=[
        GymScene(scene_id="play", env="extstudy.env:make", keys={{"d": 2}}, default_action=2, max_steps=40,
                 seed=[3]),
        EndScene(scene_id="end"),
    ],
)
''',
}


def write_external_study(root: Path) -> str:
    """Write the external study package and its sibling into `root` (outside the project); its dotted path."""
    for name, source in EXTERNAL_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return EXTERNAL_PATH

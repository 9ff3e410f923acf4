"""Test studies of the env checks at load: render modes, envs that fail to build, reset or step, nondeterministic
envs, third-party envs, and envs that work natively but not in Pyodide."""

from experiments.study import EndScene, Experiment, GymScene


def study(slug: str, env: str, **options) -> Experiment:
    scene = GymScene(scene_id="play", env=env, **{"keys": {"a": 1}, "max_steps": 100, "seed": 7, **options})
    return Experiment(slug=slug, title=slug, stager=[scene, EndScene(scene_id="end")])


rgb_only = study("rgb-only", "testkit.envs.rgb_only:RgbOnlyEnv")
human_only = study("human-only", "testkit.envs.rgb_only:HumanOnlyEnv")
mug_forced = study("mug-forced", "testkit.envs.rgb_only:RgbOnlyEnv", render_mode="mug")  # an explicit value wins
missing_map = study("missing-map", "testkit.envs.load_failures:MissingMapEnv")
reset_fails = study("reset-fails", "testkit.envs.load_failures:ResetFailsEnv")
step_fails = study("step-fails", "testkit.envs.load_failures:StepFailsEnv")
unseeded = study("unseeded", "testkit.envs.unseeded:make")
cartpole = study("cartpole-raw", "gymnasium.envs.classic_control.cartpole:CartPoleEnv", keys={"a": 0, "d": 1})
browser_only_fail = study("browser-only-fail", "testkit.envs.browser_only_fail:ScoreboardEnv")
# A PettingZoo env whose scene forgets packages=: the distributions its code imports are pinned automatically.
missing_package = study(
    "missing-package", "examples.tag.env:make", agents={"chaser": "human", "runner": "random"}, keys={"ArrowUp": 1}
)
tag_ok = study(
    "tag-ok",
    "examples.tag.env:make",
    agents={"chaser": "human", "runner": "random"},
    keys={"ArrowUp": 1},
    packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
)
# CoGrid 0.2.1 from PyPI (requirements-dev.txt), unmodified: deterministic (mug.entropy) yet its drawing needs cv2.
cogrid_overcooked = study(
    "cogrid-overcooked",
    "cogrid.envs.registry:make",
    env_kwargs={"environment_id": "Overcooked-CrampedRoom-V0"},
    agents={0: "human", 1: "random"},
    keys={"ArrowUp": 0},
    max_steps=1000,
    packages=["gymnasium==1.4.0", "pettingzoo==1.25.0", "cogrid==0.2.1"],
)
# Two humans: the pre-flight also runs the rollback self-test (in Pyodide under Node too).
tag_pair = study(
    "tag-pair",
    "examples.tag.env:make",
    agents={"chaser": "human", "runner": "human"},
    keys={"ArrowUp": 1, "ArrowDown": 2},
    packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
)

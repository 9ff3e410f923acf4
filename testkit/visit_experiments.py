"""Fixture studies for one runtime per visit across scene kinds and package versions
(tests/browser/test_runtime_after_group_browser.py, tests/browser/test_package_conflict_browser.py,
tests/definition/test_package_conflict_check.py)."""

from __future__ import annotations

from pathlib import Path

from experiments.study import ContinueTo, EndScene, Experiment, GymScene, Netcode, StaticScene
from testkit.relay_experiments import ARROWS
from testkit.room_experiments import quick_room
from testkit.runtime_experiments import cartpole
from testkit.wheels import wheelhouse_with

# The tiny pure-Python distribution the package-conflict test builds in two versions into its own wheelhouse
# (testkit.wheels); nothing imports it: a pin is enough for micropip to install it into the interpreter.
PROBE = "mugprobe"
# Another one, whose only version requires mugprobe 2.0.0: a conflict no pin shows, found only while installing.
PROBE_USER = "mugprobeuser"


def tag_pair(scene_id: str = "pair", **room) -> GymScene:
    """Tag for two over the relay: one short episode, a patient dropout (a busy machine drops no one)."""
    return GymScene(
        scene_id=scene_id,
        env="examples.tag.env:make",
        agents={"chaser": "human", "runner": "human"},
        keys=ARROWS,
        max_steps=60,
        num_episodes=1,
        countdown_seconds=1,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=quick_room(**{"timeout_s": 120, **room}),
        netcode=Netcode(lagging_s=0.5, dropout_s=60.0),
    )


# A group game, then a single-player game in the same visit: the second game loads into the first one's interpreter.
group_then_solo = Experiment(
    slug="group-then-solo",
    title="Tag for two, then CartPole alone",
    stager=[tag_pair(), cartpole("after"), EndScene(scene_id="end")],
)

# A waiting room that gives up after 1.5 s and continues to a single-player game (while Python is still loading).
room_then_solo = Experiment(
    slug="room-then-solo",
    title="Tag for two, or CartPole alone after 1.5 s",
    stager=[
        tag_pair(timeout_s=1.5, on_timeout=ContinueTo("after")),
        StaticScene(scene_id="skipped", body="<p>Only after a group game.</p>"),
        cartpole("after"),
        EndScene(scene_id="end"),
    ],
)

# Two group games in one visit: the second boots its own net session in the first one's interpreter.
group_twice = Experiment(
    slug="group-twice",
    title="Tag for two, twice",
    stager=[
        tag_pair("pair"),
        StaticScene(scene_id="between", body="<p>Now a second game.</p>"),
        tag_pair("again"),
        EndScene(scene_id="end"),
    ],
)

# Two single-player games, one right after the other, pinning two versions of one package: the second boots its own
# Python (system check W001).
version_clash = Experiment(
    slug="version-clash",
    title="Two games, two versions of one package",
    stager=[
        cartpole("first", packages=["gymnasium==1.4.0", f"{PROBE}==1.0.0"]),
        cartpole("second", packages=["gymnasium==1.4.0", f"{PROBE}==2.0.0"]),
        EndScene(scene_id="end"),
    ],
)

# The second game pins nothing the first does, but what it pins needs the other version (system checks cannot tell);
# the page between boots it early.
version_clash_deep = Experiment(
    slug="version-clash-deep",
    title="Two games, a dependency on another version of one package",
    stager=[
        cartpole("first", packages=["gymnasium==1.4.0", f"{PROBE}==1.0.0"]),
        StaticScene(scene_id="between", body="<p>Now a second game.</p>"),
        cartpole("second", packages=["gymnasium==1.4.0", f"{PROBE_USER}==1.0.0"]),
        EndScene(scene_id="end"),
    ],
)

# The same two games pinning one version: the second reuses the interpreter (no warning, no second boot).
version_same = Experiment(
    slug="version-same",
    title="Two games, one version of one package",
    stager=[
        cartpole("first", packages=["gymnasium==1.4.0", f"{PROBE}==1.0.0"]),
        StaticScene(scene_id="between", body="<p>Now a second game.</p>"),
        cartpole("second", packages=["gymnasium==1.4.0", f"{PROBE}==1.0.0"]),
        EndScene(scene_id="end"),
    ],
)

PATHS = [f"testkit.visit_experiments:{name}" for name in ("group_then_solo", "room_then_solo", "group_twice")]
# Studies pinning mugprobe, a package only a test's own wheelhouse holds (testkit.wheels): not among the studies
# every test loads (their packages would fail the system check, experiments.E019); a test adds them with
# `use_probe_studies`.
PROBE_PATHS = [f"testkit.visit_experiments:{name}" for name in ("version_clash", "version_clash_deep", "version_same")]


def use_probe_studies(settings, directory: Path) -> Path:
    """Serve the probe studies, with a wheelhouse of the shared one plus mugprobe 1.0.0 and 2.0.0 and mugprobeuser
    1.0.0 (requiring mugprobe 2.0.0); Pyodide from this server. Returns the wheelhouse."""
    shared = Path(settings.MUG_RUNTIME["WHEELHOUSE_DIR"])
    built = [(PROBE, "1.0.0", ()), (PROBE, "2.0.0", ()), (PROBE_USER, "1.0.0", (f"{PROBE}==2.0.0",))]
    house = wheelhouse_with(directory, shared, built)
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/", "WHEELHOUSE_DIR": house}
    settings.MUG = {**settings.MUG, "EXPERIMENTS": [*settings.MUG["EXPERIMENTS"], *PROBE_PATHS]}
    return house

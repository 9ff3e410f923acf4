"""Studies of the conformance suite: third-party envs from PyPI (requirements-dev.txt), unmodified, each as a browser
game (which the self-hosted Pyodide refuses at load: it lacks their Pyodide-built packages) and as a server game
played through consent, the game and the ending (tests/conformance/)."""

from __future__ import annotations

from experiments.study import ConsentScene, EndScene, Experiment, GymScene, Netcode, WaitingRoom

ARROWS_DISCRETE = {"ArrowLeft": 0, "ArrowRight": 2}


def study(slug: str, scene: GymScene) -> Experiment:
    """Consent, the game, the ending: the real flow around one game scene."""
    return Experiment(
        slug=slug,
        title=slug,
        stager=[
            ConsentScene(scene_id="consent", body="<p>A conformance run of a third-party env.</p>"),
            scene,
            EndScene(scene_id="end"),
        ],
    )


def game(env: str, runs_on: str, **options) -> GymScene:
    return GymScene(
        **{
            "scene_id": "play",
            "env": env,
            "agents": {"agent": "human"},
            "num_episodes": 1,
            "max_steps": 60,
            "countdown_seconds": 0,
            "seed": 11,
            "runs_on": runs_on,
            **options,
        }
    )


# Gymnasium 1.4.0's classic-control envs with their own rgb_array drawing (which needs pygame): one human each.
# name -> (the env's class, its keys, its default action); continuous envs take one-element lists (Box actions).
CLASSIC = {
    "cartpole": ("cartpole:CartPoleEnv", {"ArrowLeft": 0, "ArrowRight": 1}, 0),
    "mountaincar": ("mountain_car:MountainCarEnv", ARROWS_DISCRETE, 1),
    "acrobot": ("acrobot:AcrobotEnv", ARROWS_DISCRETE, 1),
    "pendulum": ("pendulum:PendulumEnv", {"ArrowLeft": [-2.0], "ArrowRight": [2.0]}, [0.0]),
    "mountaincarcontinuous": (
        "continuous_mountain_car:Continuous_MountainCarEnv",
        {"ArrowLeft": [-1.0], "ArrowRight": [1.0]},
        [0.0],
    ),
}


def classic(name: str, runs_on: str) -> Experiment:
    path, keys, default = CLASSIC[name]
    scene = game(f"gymnasium.envs.classic_control.{path}", runs_on, keys=keys, default_action=default)
    return study(f"cc-{name}" + ("-browser" if runs_on == "browser" else ""), scene)


cartpole = classic("cartpole", "server")
mountaincar = classic("mountaincar", "server")
acrobot = classic("acrobot", "server")
pendulum = classic("pendulum", "server")
mountaincarcontinuous = classic("mountaincarcontinuous", "server")
cartpole_browser = classic("cartpole", "browser")
mountaincar_browser = classic("mountaincar", "browser")
acrobot_browser = classic("acrobot", "browser")
pendulum_browser = classic("pendulum", "browser")
mountaincarcontinuous_browser = classic("mountaincarcontinuous", "browser")

# A room that matches as soon as the seats are filled and waits long enough for a busy machine's browsers.
ROOM = WaitingRoom(ping_interval_s=0.5, presence_timeout_s=10.0, ack_timeout_s=10.0, timeout_s=120)
GROUP_NETCODE = Netcode(dropout_s=30.0)


def group_game(env: str, runs_on: str, agents: dict, **options) -> GymScene:
    return game(env, runs_on, agents=agents, waiting_room=ROOM, netcode=GROUP_NETCODE, **options)


# CoGrid 0.2.1's Overcooked, cramped room, two humans; agents are the ints 0 and 1 (as CoGrid names them).
# Actions: 0 up, 1 down, 2 left, 3 right, 4 interact, 5 toggle, 6 no-op.
COGRID_KEYS = {"ArrowUp": 0, "ArrowDown": 1, "ArrowLeft": 2, "ArrowRight": 3, "w": 4}
COGRID = {
    "env": "cogrid.envs.registry:make",
    "env_kwargs": {"environment_id": "Overcooked-CrampedRoom-V0"},
    "agents": {0: "human", 1: "human"},
    "keys": COGRID_KEYS,
    "default_action": 6,
}
overcooked = study("conf-overcooked", group_game(runs_on="server", **COGRID))
# With seed 7 a pot fills within the pre-flight's 300 random frames (step 209), and CoGrid draws its timer with cv2.
overcooked_browser = study(
    "conf-overcooked-browser", group_game(runs_on="browser", **{**COGRID, "seed": 7, "max_steps": 1000})
)

# slimevb 0.1.1, two humans: a Gymnasium env that steps both sides with one dict (agent_left, agent_right) and returns
# dicts with RLlib's "__all__" flag (mug.adapters.DictAgentsAdapter). `human_inputs` mirrors the left side's actions,
# so one key map moves both slimes the way the arrows point. render_mode "state" is its RGB drawing without a window
# (cv2 on an array); its "rgb_array" also opens a pyglet window. Actions: 0 no-op, 1 left, 3 jump, 5 right.
SLIME = {
    "env": "slime_volleyball.slimevolley_env:SlimeVolleyEnv",
    "env_kwargs": {"config": {"human_inputs": True}},
    "agents": {"agent_left": "human", "agent_right": "human"},
    "keys": {"ArrowLeft": 1, "ArrowUp": 3, "ArrowRight": 5},
    "default_action": 0,
    "render_mode": "state",
}
slime = study("conf-slime", group_game(runs_on="server", **SLIME))
slime_browser = study("conf-slime-browser", group_game(runs_on="browser", **SLIME))

# mpe2 1.1.1's simple spread, a PettingZoo ParallelEnv, three humans. Actions: 0 stay, 1 left, 2 right, 3 down, 4 up.
MPE = {
    "env": "mpe2.simple_spread_v3:parallel_env",
    "env_kwargs": {"N": 3, "max_cycles": 1000, "continuous_actions": False},
    "agents": {f"agent_{index}": "human" for index in range(3)},
    "keys": {"ArrowLeft": 1, "ArrowRight": 2, "ArrowDown": 3, "ArrowUp": 4},
    "default_action": 0,
}
spread = study("conf-spread", group_game(runs_on="server", **MPE))
spread_browser = study("conf-spread-browser", group_game(runs_on="browser", **MPE))

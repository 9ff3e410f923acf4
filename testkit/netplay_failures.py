"""Fixture studies for the group-game failure paths (tests/browser/test_netplay_failures_browser.py): reloads, cut
connections, a partner replaced by the AI, and an env that raises in reset()."""

from __future__ import annotations

from experiments.study import EndForAll, EndScene, Experiment, GymScene, Netcode, ReplaceWithAI, WaitingRoom

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}


def pair(env: str, steps: int, netcode: Netcode, **extra) -> GymScene:
    return GymScene(
        scene_id="pair",
        env=env,
        agents={"player_0": "human", "player_1": "human"},
        keys=ARROWS,
        max_steps=steps,
        countdown_seconds=1,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=WaitingRoom(timeout_s=120, ping_interval_s=0.5),
        netcode=netcode,
        **extra,
    )


GATHER = "examples.gather.env:make"
# A partner gone for 8 s ends the game; a page loading the game (a reload) is waited for three minutes. (Until the
# reloaded page's socket says hello, the seat is on the dropout_s clock: 8 s covers a throttled page load on a busy
# machine, not a throttled Python boot.)
net_reload = Experiment(
    slug="net-reload",
    title="Gather for two; a reload is waited for",
    stager=[
        pair(GATHER, 300, Netcode(lagging_s=0.5, dropout_s=8.0, load_grace_s=180.0, on_dropout=EndForAll())),
        EndScene(scene_id="end"),
    ],
)
net_cut = Experiment(
    slug="net-cut",
    title="Gather for two; a partner gone for 3 s ends the game",
    stager=[pair(GATHER, 600, Netcode(lagging_s=0.5, dropout_s=3.0, on_dropout=EndForAll())), EndScene(scene_id="end")],
)
net_ai = Experiment(
    slug="net-ai",
    title="Gather for two, 40 s; a partner gone for 3 s is played by a random policy",
    stager=[
        pair(GATHER, 1200, Netcode(lagging_s=0.5, dropout_s=3.0, on_dropout=ReplaceWithAI("random"))),
        EndScene(scene_id="end"),
    ],
)
net_reset_crash = Experiment(
    slug="net-reset-crash",
    title="Gather for two whose env raises in reset() in the browser",
    stager=[
        pair(
            "testkit.envs.reset_crash:make",
            300,
            Netcode(lagging_s=0.5, dropout_s=3.0, on_dropout=EndForAll()),
            ship=["testkit.envs"],
        ),
        EndScene(scene_id="end"),
    ],
)

PATHS = [f"testkit.netplay_failures:{name}" for name in ("net_reload", "net_cut", "net_ai", "net_reset_crash")]

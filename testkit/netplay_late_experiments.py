"""Fixture studies for the group-game gaps of tests/browser/: a reload slower than dropout_s (the unloading notice's
grace), one browser diverging once (the referee's resync), and late loaders after the first frame."""

from __future__ import annotations

from experiments.study import EndForAll, EndScene, Experiment, Netcode
from testkit.netplay_failures import GATHER, pair

# dropout_s is 3 s: a reload whose next page takes longer to say hello is held only by the unloading notice's grace
# (two minutes, for a throttled page on a busy machine); then the load grace while Python boots.
net_gap = Experiment(
    slug="net-gap",
    title="Gather for two; a partner gone for 3 s ends the game, unless their page said it was reloading",
    stager=[
        pair(
            GATHER,
            300,
            Netcode(lagging_s=0.5, dropout_s=3.0, unload_grace_s=120.0, load_grace_s=300.0, on_dropout=EndForAll()),
        ),
        EndScene(scene_id="end"),
    ],
)
# One browser (the one the test marks) miscounts a step that is state but not rows: one resync, rows unchanged.
net_diverge = Experiment(
    slug="net-diverge",
    title="Gather for two whose state diverges once in one browser",
    stager=[
        pair(
            "testkit.envs.diverge_once:make",
            240,
            Netcode(lagging_s=0.5, dropout_s=60.0, on_dropout=EndForAll()),
            ship=["testkit.envs"],
        ),
        EndScene(scene_id="end"),
    ],
)
# Two short episodes: a partner slow to reset before the second (the browser the test marks), or reloading
# mid-game, is waited for.
net_late = Experiment(
    slug="net-late",
    title="Gather for two, two episodes; a reload is waited for",
    stager=[
        pair(
            "testkit.envs.slow_reset:make",
            150,
            Netcode(lagging_s=0.5, dropout_s=15.0, load_grace_s=300.0, on_dropout=EndForAll()),
            num_episodes=2,
            ship=["testkit.envs"],
        ),
        EndScene(scene_id="end"),
    ],
)

PATHS = [f"testkit.netplay_late_experiments:{name}" for name in ("net_gap", "net_diverge", "net_late")]

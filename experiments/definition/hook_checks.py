"""The load-time check of a GymScene's game hooks: importable, built, and deterministic wherever they are re-run."""

from __future__ import annotations

from typing import Any

from experiments.definition.errors import DefinitionError
from mug.adapters import EnvConfigError
from mug.hooks import hook_fields, load_hooks
from mug.loop import GameLoop, LoopConfig
from mug.synctest import check_rollback

CHECK_FRAMES = 10  # frames of each episode played with the default action for every agent
ROLLBACK_FRAMES, ROLLBACK_WINDOW = 30, 4  # group scenes: forced rollbacks of depth 1..3 over 30 frames
DETERMINISTIC = (
    "hooks run again in every replay (each episode in a fresh game loop) and on every frame rollback re-simulates, "
    "so they must be deterministic functions of their arguments (no clocks, no unseeded randomness, no state kept "
    "on the hooks object: keep it on the env)"
)


def check_hooks(scene) -> None:
    """Refuse hooks that cannot be imported or built, that raise or return something other than a dict, or whose
    fields a replay or a rollback would not reproduce: the same episode twice, an episode played after another
    against the same episode alone, and (two or more humans) forced rollbacks against a straight run."""
    if scene.hooks is None:
        return
    where = f"gym scene {scene.scene_id!r}: hooks {scene.hooks!r}"
    if not isinstance(scene.hooks, str) or ":" not in scene.hooks:
        raise DefinitionError(f"{where} must look like 'package.module:Class'")
    try:
        load_hooks(scene.hooks)
    except EnvConfigError as error:
        raise DefinitionError(f"{where}: {error}") from error
    except Exception as error:  # noqa: BLE001 (any error of the researcher's class fails the load)
        raise DefinitionError(f"{where}: building it with no arguments failed: {error!r}") from error
    config = {**scene.loop_config(), "render_mode": None}
    try:
        first, later = _hook_fields(config, scene.default_action, [0, 1])
        (again,) = _hook_fields(config, scene.default_action, [0])
        (alone,) = _hook_fields(config, scene.default_action, [1])
    except Exception as error:  # noqa: BLE001
        raise DefinitionError(f"{where} failed on a seeded run of the env: {error!r}") from error
    _same_fields(where, "two runs of the same episode", first, again)
    _same_fields(where, "episode 1 played after episode 0 and alone", later, alone)
    if scene.netcode is not None and not scene.on_server:  # a group game in the browsers: rollback re-runs frames
        report = check_rollback(config, frames=ROLLBACK_FRAMES, window=ROLLBACK_WINDOW)
        if not report.ok:
            raise DefinitionError(f"{where}: with forced rollbacks {report.problems[0]}; {DETERMINISTIC}")


def _same_fields(where: str, runs: str, one: list, other: list) -> None:
    for (frame, mine), (_, theirs) in zip(one, other, strict=True):
        if mine != theirs:
            raise DefinitionError(
                f"{where}: {runs} with the same seed and actions returned different fields at {frame} ({mine} vs "
                f"{theirs}); {DETERMINISTIC}"
            )


def _hook_fields(config: dict[str, Any], default_action: Any, episodes: list[int]) -> list[list[tuple[str, dict]]]:
    """For each episode played in one game loop: the hook fields of its reset and of its first frames."""
    loop = GameLoop(LoopConfig.from_dict(config))
    played = []
    try:
        for episode in episodes:
            started = loop.start_episode(episode, episode)
            fields = [("the reset", hook_fields(started["reset"]["infos"]))]
            while not loop.over and loop.frame < CHECK_FRAMES:
                actions = loop.coerce_actions({agent: default_action for agent in loop.adapter.live_agents()})
                row = loop.step_frame(actions)
                fields.append((f"frame {row['frame']}", hook_fields(row["infos"])))
            played.append(fields)
        return played
    finally:
        loop.adapter.close()

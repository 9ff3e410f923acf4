"""The load-time check of a GymScene's game hooks: importable, built, and deterministic over a short seeded run."""

from __future__ import annotations

from typing import Any

from experiments.definition.errors import DefinitionError
from mug.adapters import EnvConfigError
from mug.hooks import hook_fields, load_hooks
from mug.loop import GameLoop, LoopConfig

CHECK_FRAMES = 10  # frames of the first episode played twice with the default action for every agent


def check_hooks(scene) -> None:
    """Refuse hooks that cannot be imported or built, that raise or return something other than a dict, or whose
    fields differ between two runs of the same seed and actions (a replay or a rollback would then disagree)."""
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
    try:
        first, second = _hook_fields(scene), _hook_fields(scene)
    except Exception as error:  # noqa: BLE001
        raise DefinitionError(f"{where} failed on a seeded run of the env: {error!r}") from error
    for (frame, one), (_, other) in zip(first, second, strict=True):
        if one != other:
            raise DefinitionError(
                f"{where}: two runs with the same seed and actions returned different fields at {frame} ({one} vs "
                f"{other}); hooks run again in every replay and on every re-simulated frame, so they must be "
                f"deterministic (no clocks, no unseeded randomness, no state kept on the hooks object)"
            )


def _hook_fields(scene) -> list[tuple[str, dict[str, Any]]]:
    """The hook fields of the reset and of each of the first frames, played with the default action."""
    loop = GameLoop(LoopConfig.from_dict({**scene.loop_config(), "render_mode": None}))
    try:
        started = loop.start_episode(0, 0)
        fields = [("the reset", hook_fields(started["reset"]["infos"]))]
        while not loop.over and loop.frame < CHECK_FRAMES:
            actions = loop.coerce_actions({agent: scene.default_action for agent in loop.adapter.live_agents()})
            row = loop.step_frame(actions)
            fields.append((f"frame {row['frame']}", hook_fields(row["infos"])))
        return fields
    finally:
        loop.adapter.close()

"""Game hooks: a scene's own code run where the env runs, at episode start, after every frame and at episode end.

`GymScene(hooks="package.module:Hooks")` names a class, built once per game loop with no arguments, with any of:

    on_episode_start(env, episode, seed) -> dict | None          after the env's reset
    on_tick(env, step) -> dict | None                            after every env step (`step`: a HookStep)
    on_episode_end(env, episode, frames, scores) -> dict | None  after the on_tick of the episode's last frame

`env` is the env as the scene built it; agent ids are the env's own. What a hook returns (a dict, flattened like
infos; None for nothing) is stored under "hook.<key>" in every agent's info: on_episode_start's in the episode's
reset infos, on_tick's and on_episode_end's in that frame's row. Hooks run in the browser (Pyodide), in server
games and in every replay, and again on every frame rollback re-simulates, so they must be deterministic functions
of their arguments: no clocks, no unseeded randomness, no state kept on the hooks object (rollback restores the env,
not the hooks; keep what must carry over on the env).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mug.adapters import EnvConfigError, flatten, load_callable

HOOK_NAMES = ("on_episode_start", "on_tick", "on_episode_end")
PREFIX = "hook"


class HookStep(NamedTuple):
    """One frame as on_tick sees it, every dict keyed by the env's own agent ids."""

    episode: int
    frame: int
    actions: dict[Any, Any]
    observations: dict[Any, Any]
    rewards: dict[Any, Any]
    terminated: dict[Any, bool]
    truncated: dict[Any, bool]
    infos: dict[Any, Any]


def load_hooks(path: str):
    """Build the hooks object named by "package.module:Class"; refuses one that defines none of the hooks or
    something that looks like a misspelt one (an `on_*` attribute that is no hook)."""
    factory = load_callable(path)
    hooks = factory()
    defined = [name for name in HOOK_NAMES if callable(getattr(hooks, name, None))]
    unknown = sorted(
        name for name in dir(hooks) if name.startswith("on_") and name not in HOOK_NAMES and not name.startswith("__")
    )
    if unknown:
        raise EnvConfigError(f"hooks {path!r} has {unknown}, which are not hooks; the hooks are {list(HOOK_NAMES)}")
    if not defined:
        raise EnvConfigError(f"hooks {path!r} defines none of {list(HOOK_NAMES)}")
    return hooks


def call_hook(hooks, name: str, *args) -> dict[str, Any]:
    """Run one hook if defined; its return as "hook.<key>" info fields ({} for None)."""
    function = getattr(hooks, name, None) if hooks is not None else None
    if function is None:
        return {}
    result = function(*args)
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise TypeError(f"hook {name} must return a dict or None, got {type(result).__name__}")
    return flatten(result, PREFIX)


def merged(infos: dict[str, dict[str, Any]], agents, fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every agent's info with the hook's fields added (the hook's win over an env info of the same name)."""
    if not fields:
        return infos
    return {**infos, **{agent: {**infos.get(agent, {}), **fields} for agent in agents}}


def hook_fields(infos: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Only the hooks' fields of a row's infos, by agent (what a replay compares)."""
    return {agent: {k: v for k, v in info.items() if k.startswith(PREFIX + ".")} for agent, info in infos.items()}

"""Load-time checks of a game scene's env (the render mode, construction, reset, steps, determinism) and of a
multi-human scene: netcode settings, rollback readiness, and the dropout policy."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from django.conf import settings

from experiments.definition.env_probe import STEPS, probe
from experiments.definition.errors import DefinitionError
from experiments.definition.netplay import Netcode, ReplaceWithAI
from experiments.definition.policy_checks import PolicyError, check_policy, model_path
from mug.adapters import EnvConfigError, load_callable, make_adapter
from mug.policies import OnnxPolicy, policy_spec
from mug.snapshots import RollbackUnsupported, Snapshotter, self_test

AUTO = "auto"  # GymScene.render_mode: chosen from the env's metadata
# What to do about each stage of the probe that failed (experiments.definition.env_probe).
FIXES = {
    "construction": "the env's factory must accept env_kwargs and render_mode; run it once in a Python shell",
    "reset": "reset(seed=...) must work on a freshly built env",
    "render": "render() must return the Surface's commit() (render_mode 'mug') or an RGB array ('rgb_array')",
    "step": "step() must accept any action of the action space (sampled at random here)",
    "determinism": "draw every random number from the generator reset(seed) seeds (self.np_random), never from an "
    "unseeded one, so every seat and the server's replay see the same game",
    "rollback": "give the env get_state()/set_state() or make it deterministic, then run `manage.py check_rollback`",
    "packages": "list the env's distributions in packages= at versions the wheelhouse holds (bin/setup fetches "
    "them), and only pure-Python wheels or Pyodide's own packages",
    "load": "the env's modules must import inside Pyodide: no module Pyodide lacks, nothing outside the bundle",
}

MISSING_MODULE_FIX = (
    "add the distribution that provides it to the scene's packages= (pinned; the wheelhouse must hold it), or do "
    "not import it: Pyodide lacks some standard modules (sqlite3, ssl, ...) and every binary package it did not build"
)


class EnvLoadError(DefinitionError):
    """An env that fails at load; `check_id` is the system check's id."""

    def __init__(self, message: str, check_id: str) -> None:
        super().__init__(message)
        self.check_id = check_id


ENV_CHECK_IDS = {"render_mode": "experiments.E190", "determinism": "experiments.E192"}  # others: E191


def resolve_render_mode(scene) -> str | None:
    """The scene's render mode: an explicit one as given; AUTO: "mug" if the env's metadata lists it, else
    "rgb_array" (drawn as a raster), and "mug" for an env that declares no render modes (or an empty list)."""
    if scene.render_mode != AUTO:
        return scene.render_mode
    where = f"gym scene {scene.scene_id!r}"
    try:
        factory = load_callable(scene.env)
        metadata = getattr(factory, "metadata", None)
        if metadata is None:  # a factory function: the env itself says
            env = factory(**scene.env_kwargs)
            metadata = getattr(env, "metadata", None)
            env.close()
    except EnvConfigError as error:
        raise EnvLoadError(f"{where}: {error}", "experiments.E191") from error
    except Exception as error:  # noqa: BLE001 (any failure of the researcher's code is reported as such)
        raise stage_failure(scene, "construction", error) from None
    modes = metadata.get("render_modes") if isinstance(metadata, dict) else None
    if not modes or "mug" in modes:  # none declared (gymnasium.Env's default is []): the env takes any mode
        return "mug"
    if "rgb_array" in modes:
        return "rgb_array"
    raise EnvLoadError(
        f"{where}: the env's metadata['render_modes'] is {list(modes)!r}; MUG draws 'mug' (the Surface API) or "
        "'rgb_array' frames: support one of them, or give the scene an explicit render_mode",
        ENV_CHECK_IDS["render_mode"],
    )


def probe_spec(scene, render_mode: str | None) -> dict[str, Any]:
    """What the env probe runs for this scene (natively here, or in Pyodide by pyodide_preflight)."""
    seeds = scene.seed if isinstance(scene.seed, list) else [scene.seed or 0]
    rollback = len(scene.human_agents()) >= 2 and not scene.on_server
    actions = list({repr(a): a for a in [scene.default_action, *scene.keys.values()]}.values())
    return {
        "env": scene.env,
        "env_kwargs": scene.env_kwargs,
        "render_mode": render_mode,
        "agent_dicts": getattr(scene, "_agent_dicts", None),  # the anchor's {"human": a} convention, found at load
        "seed": int(seeds[0]),
        # A server-side game steps in the server's own process, watched by its host (a stuck or crashing step ends
        # that game): here it is only built, reset and drawn.
        "steps": 0 if scene.on_server else min(STEPS, scene.max_steps or STEPS),
        "rollback": rollback,
        "rollback_actions": actions,
    }


def check_env_natively(scene, render_mode: str | None) -> None:
    """Construct, reset, draw, step seeded random actions and compare two fresh envs in this process (MUG_PREFLIGHT
    "off": only the construction and reset the other load checks do)."""
    if getattr(settings, "MUG_PREFLIGHT", "pyodide") == "off":
        return
    spec = {**probe_spec(scene, render_mode), "rollback": False}  # check_netcode runs the rollback self-test
    failure = probe(spec)
    if failure is not None:
        raise env_failure(scene, failure)


def env_failure(scene, failure: dict[str, Any], where: str = "") -> EnvLoadError:
    """A probe failure as a check error: the scene, what failed, the env's exception (type and message), the fix."""
    stage = failure["stage"]
    what = {"step": f"step {failure.get('frame', '?')}", "rollback": "the rollback self-test"}.get(stage, stage)
    if stage == "determinism":
        message = (
            f"two fresh envs with the same seed and the same actions differ at frame {failure['frame']}, agent "
            f"{failure['agent']!r}, field {failure['field']!r} ({failure['first']} vs {failure['second']})"
        )
    else:
        text = failure.get("message") or "(no message: an assert in the env's code failed)"
        message = f"{what} failed: {failure.get('error_type', 'Error')}: {text}"
    fix = FIXES.get(stage, FIXES["load"])
    if "No module named" in str(failure.get("message")):
        fix = MISSING_MODULE_FIX
    return EnvLoadError(
        f"gym scene {scene.scene_id!r}{where}: {message}. Fix: {fix}",
        ENV_CHECK_IDS.get(stage, "experiments.E191"),
    )


def stage_failure(scene, stage: str, error: BaseException) -> EnvLoadError:
    """The env's own exception at one stage of loading, as a check error (its type and message, no traceback)."""
    return env_failure(scene, {"stage": stage, "error_type": type(error).__name__, "message": str(error)})


def relayed_agents(scene) -> list[str]:
    """The ONNX agents of a multi-human rollback scene: their model runs in one seat's browser, outside Python, so
    replays cannot recompute their actions; those travel through the relay as the agent's inputs (mug.relayed)."""
    if scene.on_server or len(scene.human_agents()) < 2:
        return []
    return [agent for agent, policy in scene.agents.items() if isinstance(policy, OnnxPolicy)]


def relayed_actions(scene, adapter) -> dict[str, list[int]]:
    """Every action a relayed agent may be sent with (the relay refuses others): their spaces must be Discrete."""
    actions = {}
    for agent in relayed_agents(scene):
        space = adapter.action_space(agent)
        if type(space).__name__ != "Discrete":
            raise DefinitionError(
                f"gym scene {scene.scene_id!r}: the ONNX agent {agent!r} plays alongside several humans, so its "
                f"actions go through the relay, which takes Discrete actions only (its space is {space}); use a "
                "PythonPolicy for it, or runs_on='server'"
            )
        actions[agent] = [int(space.start) + index for index in range(int(space.n))]
    return actions


def check_netcode(scene, base_dir: Path, rollback: bool = True) -> Netcode:
    """The scene's Netcode (the default if none), refused with a clear message if the game cannot roll back
    (`rollback=False`: a server-side game, which only uses the dropout settings)."""
    netcode = scene.netcode or Netcode()
    where = f"gym scene {scene.scene_id!r}"
    problems = netcode.problems()
    if problems:
        raise DefinitionError(f"{where}: {'; '.join(problems)}")
    try:
        adapter = make_adapter(scene.env, scene.env_kwargs, None)
    except Exception as error:  # noqa: BLE001
        raise stage_failure(scene, "construction", error) from None
    try:
        if rollback:
            _self_test(adapter, scene, where)
        if isinstance(netcode.on_dropout, ReplaceWithAI):
            netcode = _check_replacement(netcode, adapter, scene, base_dir, rollback)
    finally:
        adapter.close()
    return netcode


def _check_replacement(netcode: Netcode, adapter, scene, base_dir: Path, rollback: bool) -> Netcode:
    """The ReplaceWithAI policy tried on every human agent; an ONNX one comes back with its hash, tensors and the
    model's full path (a server-side game runs it in its process), and is refused where browsers roll back."""
    where = f"gym scene {scene.scene_id!r}"
    policy = netcode.on_dropout.policy
    if isinstance(policy, OnnxPolicy) and rollback:
        # The browsers would need the model's outputs inside a synchronous rollback: refused like an ONNX agent.
        raise DefinitionError(
            f"{where}: on_dropout ReplaceWithAI with an ONNX model cannot play in a multi-human rollback game; "
            "use a PythonPolicy (or 'random'), or runs_on='server'"
        )
    observations, _ = adapter.reset(0)
    checked = policy
    for agent in scene.human_agents():
        try:
            checked = check_policy(policy, agent, adapter, observations.get(agent), base_dir)
        except PolicyError as error:
            raise DefinitionError(f"{where}: on_dropout ReplaceWithAI: {error}") from error
    if isinstance(checked, OnnxPolicy):
        checked = dataclasses.replace(checked, model=str(model_path(policy, base_dir)))
        return dataclasses.replace(netcode, on_dropout=ReplaceWithAI(checked))
    return netcode


def _self_test(adapter, scene, where: str) -> None:
    try:
        adapter.reset(0)
    except Exception as error:  # noqa: BLE001
        raise stage_failure(scene, "reset", error) from None
    actions = sorted({repr(a): a for a in [scene.default_action, *scene.keys.values()]}.items())
    try:
        self_test(
            Snapshotter(adapter),
            lambda frame: {agent: actions[frame % len(actions)][1] for agent in adapter.live_agents()},
        )
    except RollbackUnsupported as error:
        raise DefinitionError(
            f"{where}: this env is not ready for rollback ({error}); give it get_state()/set_state() or make it "
            "deterministic, then run `manage.py check_rollback`"
        ) from error
    except Exception as error:  # noqa: BLE001 (a step that raises during the self-test)
        raise stage_failure(scene, "rollback", error) from None


def replacement_model(netcode: Netcode | None) -> dict[str, Path]:
    """The ReplaceWithAI policy's ONNX file by sha256 (empty for any other dropout policy)."""
    policy = getattr(netcode.on_dropout, "policy", None) if netcode else None
    return {policy.sha256: Path(policy.model)} if isinstance(policy, OnnxPolicy) else {}


def replacement_spec(netcode: Netcode) -> dict[str, Any] | None:
    """The policy that takes over a dropped participant's agent, as the runtime's JSON (None: no replacement)."""
    kind = netcode.on_dropout.kind
    if kind == "ai":
        spec = policy_spec(netcode.on_dropout.policy)
        if spec["kind"] == "onnx":
            spec["model"] = Path(spec["model"]).name  # found by its sha256 (replacement_model); no server paths
        return spec
    return {"kind": "idle"} if kind == "idle" else None

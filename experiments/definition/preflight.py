"""Load-time checks of a multi-human scene: netcode settings, rollback readiness, and the dropout policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.definition.errors import DefinitionError
from experiments.definition.netplay import Netcode, ReplaceWithAI
from experiments.definition.policy_checks import PolicyError, check_policy
from mug.adapters import make_adapter
from mug.policies import OnnxPolicy, policy_spec
from mug.snapshots import RollbackUnsupported, Snapshotter, self_test


def check_group_agents(scene) -> None:
    """Refuse ONNX agents in a multi-human or server-side scene (before their models are even loaded)."""
    onnx = [agent for agent, policy in scene.agents.items() if isinstance(policy, OnnxPolicy)]
    if onnx and scene.on_server:
        raise DefinitionError(
            f"gym scene {scene.scene_id!r}: ONNX agents {onnx} are not supported in server-side scenes yet; "
            "use a PythonPolicy (or 'random')"
        )
    if onnx:
        # Replays must recompute AI actions inside Python, synchronously; ONNX runs outside it in the browser.
        raise DefinitionError(
            f"gym scene {scene.scene_id!r}: ONNX agents {onnx} cannot take part in a multi-human rollback game; "
            "use a PythonPolicy (or 'random') for AI agents that play alongside several humans"
        )


def check_netcode(scene, base_dir: Path, rollback: bool = True) -> Netcode:
    """The scene's Netcode (the default if none), refused with a clear message if the game cannot roll back
    (`rollback=False`: a server-side game, which only uses the dropout settings)."""
    netcode = scene.netcode or Netcode()
    where = f"gym scene {scene.scene_id!r}"
    problems = netcode.problems()
    if problems:
        raise DefinitionError(f"{where}: {'; '.join(problems)}")
    adapter = make_adapter(scene.env, scene.env_kwargs, None)
    try:
        if rollback:
            _self_test(adapter, scene, where)
        if isinstance(netcode.on_dropout, ReplaceWithAI):
            observations, _ = adapter.reset(0)
            for agent in scene.human_agents():
                try:
                    check_policy(netcode.on_dropout.policy, agent, adapter, observations.get(agent), base_dir)
                except PolicyError as error:
                    raise DefinitionError(f"{where}: on_dropout ReplaceWithAI: {error}") from error
    finally:
        adapter.close()
    return netcode


def _self_test(adapter, scene, where: str) -> None:
    adapter.reset(0)
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


def replacement_spec(netcode: Netcode) -> dict[str, Any] | None:
    """The policy that takes over a dropped participant's agent, as the runtime's JSON (None: no replacement)."""
    kind = netcode.on_dropout.kind
    if kind == "ai":
        return policy_spec(netcode.on_dropout.policy)
    return {"kind": "idle"} if kind == "idle" else None

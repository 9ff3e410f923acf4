"""Replays a recorded episode in CPython from its seed and actions and compares it with what the browser stored."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from experiments.definition.gym_scene import GymScene
from experiments.definition.model_runtime import ServerModels
from experiments.definition.registry import get_experiment
from experiments.definition.stager import base_id
from experiments.gamedata.models import Episode
from mug.adapters import to_jsonable
from mug.hooks import hook_fields
from mug.loop import GameLoop, LoopConfig

TOLERANCE = 1e-9


def episode_replay(*, episode: Episode, whole: bool = False, store: bool = True) -> dict[str, Any]:
    """Step the env with the recorded human actions and recompute the AI agents' actions from the seed (and the
    models, run here with onnxruntime); report 'match' or the first frame where anything differs. `whole`: the
    rows must also end exactly where the env's episode ends (a complete episode). `store`: keep the report in
    replay_status/replay_report now (the verification queue stores it with its verdict instead)."""
    scene = episode_scene(episode)
    config = LoopConfig.from_dict({**scene.loop_config(), "render_mode": None})
    loop = GameLoop(config)
    models = ServerModels(scene.model_files())
    try:
        started = loop.start_episode(episode.index, episode.seed)
        if "obs" in episode.reset_data and not _same(started["reset"].get("obs"), episode.reset_data["obs"]):
            return _report(episode, "mismatch", 0, {"frame": "reset", "field": "obs"}, store)
        reset_infos = episode.reset_data.get("infos")
        hooked_reset = hook_fields(started["reset"]["infos"])
        if config.hooks and reset_infos is not None and not _same(hooked_reset, hook_fields(reset_infos)):
            return _report(episode, "mismatch", 0, {"frame": "reset", "field": "hooks"}, store)
        frames = 0
        # Only the compared columns, as plain values: no model instances, no infos parsed (half the time otherwise).
        columns = ["frame", "actions", "rewards", "terminated", "truncated", "observations"]
        columns += ["infos"] if config.hooks else []  # the scene's hooks' fields are checked too (mug.hooks)
        for values in episode.steps.order_by("frame").values_list(*columns).iterator(chunk_size=500):
            step = _Step(*values[:6])
            if loop.over or step.frame != frames:
                server = "episode over" if loop.over else frames
                detail = {"frame": step.frame, "field": "frame", "browser": step.frame, "server": server}
                return _report(episode, "mismatch", frames, detail, store)
            specs = {agent: loop.policies[agent].spec for agent in loop.queries}  # by key: ids may be ints
            ai_actions = loop.ai_actions(models.run(loop.queries, specs))
            recorded_ai = {agent: step.actions.get(agent) for agent in ai_actions}
            if not _same(to_jsonable(ai_actions), recorded_ai):
                detail = {"frame": step.frame, "field": "ai_actions", "browser": recorded_ai, "server": ai_actions}
                return _report(episode, "mismatch", frames, to_jsonable(detail), store)
            # Humans first, then the AI, in the env's agent order: the order the browser built the dict in.
            humans = {a: step.actions[a] for a in loop.adapter.live_agents() if a in loop.humans and a in step.actions}
            row = loop.step_frame({**loop.coerce_actions(humans), **ai_actions})
            recorded_fields = _recorded(step)
            if config.hooks:
                recorded_fields["hooks"] = hook_fields(values[6])
                row = {**row, "hooks": hook_fields(row["infos"])}
            for field, recorded in recorded_fields.items():
                if recorded is not None and not _same(row.get(field), recorded):
                    detail = {"frame": step.frame, "field": field, "browser": recorded, "server": row.get(field)}
                    return _report(episode, "mismatch", frames, detail, store)
            frames += 1
        if whole and (not loop.over or frames != episode.n_steps):
            detail = {"frame": frames, "field": "end", "browser": episode.n_steps, "server": "episode not over"}
            return _report(episode, "mismatch", frames, detail, store)
        return _report(episode, "match", frames, None, store)
    finally:
        loop.adapter.close()


def episode_scene(episode: Episode) -> GymScene:
    """The scene an episode was played in, as defined now (its solo variant if the humans were the solo ones)."""
    definition = get_experiment(episode.participant.experiment.slug)
    if definition is None:
        raise LookupError(f"experiment {episode.participant.experiment.slug!r} is no longer defined")
    scene = definition.scene(base_id(episode.scene_key))
    solo = scene.solo_variant()
    humans = {agent for agent, policy in episode.policies.items() if policy == "human"}
    return solo if solo is not None and humans == set(solo.human_agents()) else scene


class _Step(NamedTuple):
    frame: int
    actions: dict
    rewards: dict
    terminated: dict
    truncated: dict
    observations: Any


def _recorded(step: _Step) -> dict[str, Any]:
    return {
        "rewards": step.rewards,
        "terminated": step.terminated,
        "truncated": step.truncated,
        "obs": step.observations,
    }


def _same(a: Any, b: Any) -> bool:
    """Equal JSON values; floats within a tiny tolerance (identical in practice, see the replay test)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return a == b


def _report(episode: Episode, status: str, frames: int, mismatch: dict | None, store: bool) -> dict[str, Any]:
    report = {"status": status, "frames_checked": frames, "steps_recorded": episode.n_steps, "mismatch": mismatch}
    if store:
        Episode.objects.filter(pk=episode.pk).update(replay_status=status, replay_report=report)
    return report

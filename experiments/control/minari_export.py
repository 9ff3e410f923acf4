"""Minari datasets (Farama's offline-RL format) of a game scene's human episodes, so that what participants did
feeds training directly: one dataset per scene and human agent, from the complete episodes stored."""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from django.db.models import Q

from experiments.definition.gym_scene import GymScene
from experiments.gamedata.models import COMPLETE, VERIFIED, Episode

_ENV_LOCK = threading.Lock()  # Minari finds its folder through an environment variable


class MinariExportError(ValueError):
    """The scene's data cannot become a Minari dataset; the message says why."""


def minari_export(
    *, definition, scene_id: str, directory: Path, agent: str | None = None, dataset_id: str | None = None
) -> dict[str, Any]:
    """Write the dataset under `directory` (Minari's datasets folder); returns its id, episode and step counts."""
    import minari
    from minari.data_collector import EpisodeBuffer

    scene = _scene(definition, scene_id)
    agent = agent or scene.human_agents()[0]
    if agent not in scene.human_agents():
        raise MinariExportError(f"{agent!r} is not a human agent of scene {scene_id!r}: {scene.human_agents()}")
    adapter = scene.make_env(None)
    try:
        observation_space, action_space = adapter.observation_space(agent), adapter.action_space(agent)
    finally:
        adapter.close()
    buffers = [
        EpisodeBuffer(
            id=index, seed=episode.seed, infos={}, **_trajectory(episode, agent, observation_space, action_space)
        )
        for index, episode in enumerate(_human_episodes(definition.slug, scene_id, agent))
    ]
    if not buffers:
        raise MinariExportError(f"scene {scene_id!r} has no complete episode with {agent!r} played by a person yet")
    dataset_id = dataset_id or f"mug/{definition.slug}/{scene_id}-{agent}-v0".replace("_", "-")
    # Absolute: Minari joins a relative datasets folder onto paths that already hold it (a doubled path).
    directory = directory.resolve()
    created = _missing_folders(directory, dataset_id)
    with _ENV_LOCK, warnings.catch_warnings(), _removed_on_failure(created):
        warnings.simplefilter("ignore")  # Minari nags about optional metadata (permalinks, e-mail)
        previous = os.environ.get("MINARI_DATASETS_PATH")
        os.environ["MINARI_DATASETS_PATH"] = str(directory)
        try:
            minari.create_dataset_from_buffers(
                dataset_id,
                buffers,
                action_space=action_space,
                observation_space=observation_space,
                algorithm_name="human participants (MUG)",
                author=definition.title,
                data_format="arrow",
                description=f"{definition.title}: scene {scene_id}, agent {agent}, env {scene.env}",
            )
        finally:
            _restore("MINARI_DATASETS_PATH", previous)
    return {"dataset_id": dataset_id, "episodes": len(buffers), "steps": sum(len(b.rewards) for b in buffers)}


def _scene(definition, scene_id: str) -> GymScene:
    try:
        scene = definition.scene(scene_id)
    except KeyError:
        scene = None
    if not isinstance(scene, GymScene):
        raise MinariExportError(f"{scene_id!r} is not a game scene of {definition.slug!r}")
    if not scene.record_observations:
        raise MinariExportError(f"scene {scene_id!r} does not record observations (record_observations=False)")
    return scene


def _human_episodes(slug: str, scene_id: str, agent: str):
    """Complete episodes of the scene (repeats included) in which a person played the agent, and that count: witnessed
    by the server or verified by its replay (a forged or mismatched episode stays out of the dataset)."""
    keys = Q(scene_key=scene_id) | Q(scene_key__startswith=f"{scene_id}@")
    episodes = Episode.objects.filter(keys, participant__experiment__slug=slug, status=COMPLETE, verification=VERIFIED)
    for episode in episodes.order_by("participant_id", "scene_key", "index"):
        if episode.policies.get(agent) == "human":
            yield episode


def _trajectory(episode: Episode, agent: str, observation_space, action_space) -> dict[str, Any]:
    reset = (episode.reset_data or {}).get("obs", {})
    if agent not in reset:
        raise MinariExportError(f"episode {episode} has no reset observation for {agent!r}")
    observations, actions, rewards, terminations, truncations = (
        [_decode(observation_space, reset[agent])],
        [],
        [],
        [],
        [],
    )
    steps = episode.steps.order_by("frame").values_list("observations", "actions", "rewards", "terminated", "truncated")
    for obs, action, reward, terminated, truncated in steps.iterator(chunk_size=2000):
        if agent not in action:  # a PettingZoo agent that is done takes no more steps
            break
        observations.append(_decode(observation_space, obs[agent]))
        actions.append(_decode(action_space, action[agent]))
        rewards.append(float(reward.get(agent, 0.0)))
        terminations.append(bool(terminated.get(agent, False)))
        truncations.append(bool(truncated.get(agent, False)))
    if truncations and not (terminations[-1] or truncations[-1]):
        truncations[-1] = True  # the scene's max_steps ended it: a time limit, i.e. a truncation
    return {
        "observations": np.stack(observations),
        "actions": np.stack(actions),
        "rewards": rewards,
        "terminations": terminations,
        "truncations": truncations,
    }


def _decode(space, value: Any) -> np.ndarray:
    """A stored (JSON) value back as the space's array type; spaces Minari stores as one array only."""
    from gymnasium import spaces

    if isinstance(space, (spaces.Box, spaces.MultiDiscrete, spaces.MultiBinary, spaces.Discrete)):
        return np.asarray(value, dtype=space.dtype).reshape(space.shape)
    raise MinariExportError(f"{type(space).__name__} spaces are not exported to Minari yet (Box and discrete are)")


def _missing_folders(directory: Path, dataset_id: str) -> list[Path]:
    """The folders of the dataset's path (the datasets folder, namespaces, the dataset) that do not exist yet,
    deepest first: what this export creates."""
    folders, path = [], directory
    for part in ("", *dataset_id.split("/")):
        path = path / part if part else path
        folders.append(path)
    return [folder for folder in reversed(folders) if not folder.exists()]


@contextmanager
def _removed_on_failure(created: list[Path]) -> Iterator[None]:
    """A failed export removes what it created (a half-written dataset would load as a broken one), never more."""
    try:
        yield
    except BaseException:
        if created:  # the outermost folder this export created, with all it holds
            shutil.rmtree(created[-1], ignore_errors=True)
        raise


def _restore(name: str, previous: str | None) -> None:
    if previous is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = previous

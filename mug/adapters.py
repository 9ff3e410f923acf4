"""One interface over Gymnasium envs and PettingZoo ParallelEnvs: dicts keyed by agent id everywhere."""

from __future__ import annotations

import importlib
import math
from typing import Any

SINGLE_AGENT = "agent"


class EnvConfigError(ValueError):
    """The env cannot be built or is of a kind MUG does not run; the message says why."""


def load_callable(path: str):
    """Import "package.module:name" and return the attribute."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise EnvConfigError(f"env {path!r} must look like 'package.module:factory'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise EnvConfigError(f"cannot import {module_name!r}: {error}") from error
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise EnvConfigError(f"{path!r} is not callable")
    return factory


def make_adapter(path: str, kwargs: dict[str, Any], render_mode: str | None):
    """Build the env and wrap it; AEC envs are refused with the conversion to use instead."""
    factory = load_callable(path)
    env = factory(**kwargs, render_mode=render_mode) if render_mode else factory(**kwargs)
    if hasattr(env, "agent_iter") and hasattr(env, "last"):
        raise EnvConfigError(
            f"{path!r} is a PettingZoo AEC env; MUG runs ParallelEnvs. "
            "Wrap it with pettingzoo.utils.conversions.aec_to_parallel."
        )
    if hasattr(env, "possible_agents"):
        return ParallelAdapter(env)
    if hasattr(env, "step") and hasattr(env, "reset") and hasattr(env, "action_space"):
        return GymAdapter(env)
    raise EnvConfigError(f"{path!r} built {type(env).__name__}, which is neither a Gymnasium Env nor a ParallelEnv")


class GymAdapter:
    """A single-agent Gymnasium env seen as one agent called 'agent'."""

    def __init__(self, env) -> None:
        self.env = env
        self.possible_agents = [SINGLE_AGENT]

    def action_space(self, agent: str):
        return self.env.action_space

    def observation_space(self, agent: str):
        return self.env.observation_space

    def reset(self, seed: int):
        observation, info = self.env.reset(seed=seed)
        return {SINGLE_AGENT: observation}, {SINGLE_AGENT: info}

    def step(self, actions: dict[str, Any]):
        observation, reward, terminated, truncated, info = self.env.step(actions[SINGLE_AGENT])
        wrap = lambda value: {SINGLE_AGENT: value}  # noqa: E731
        return wrap(observation), wrap(reward), wrap(bool(terminated)), wrap(bool(truncated)), wrap(info)

    def live_agents(self) -> list[str]:
        return self.possible_agents

    def render(self):
        return self.env.render()

    def close(self) -> None:
        self.env.close()


class ParallelAdapter:
    """A PettingZoo ParallelEnv; agents that are done drop out of `live_agents`."""

    def __init__(self, env) -> None:
        self.env = env
        self.possible_agents = list(env.possible_agents)

    def action_space(self, agent: str):
        return self.env.action_space(agent)

    def observation_space(self, agent: str):
        return self.env.observation_space(agent)

    def reset(self, seed: int):
        return self.env.reset(seed=seed)

    def step(self, actions: dict[str, Any]):
        observations, rewards, terminations, truncations, infos = self.env.step(actions)
        flags = lambda values: {agent: bool(value) for agent, value in values.items()}  # noqa: E731
        return observations, rewards, flags(terminations), flags(truncations), infos

    def live_agents(self) -> list[str]:
        return list(self.env.agents)

    def render(self):
        return self.env.render()

    def close(self) -> None:
        self.env.close()


def coerce_action(space, action: Any) -> Any:
    """A JSON action (int, list) as the space's own type: Box and MultiDiscrete want arrays."""
    if isinstance(action, list):
        import numpy as np

        return np.asarray(action, dtype=getattr(space, "dtype", None))
    return action


def to_jsonable(value: Any) -> Any:
    """Observations, actions and infos as JSON values: arrays to lists, numpy scalars to numbers."""
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def flatten(info: Any, prefix: str = "") -> dict[str, Any]:
    """A nested info dict as one level with dotted keys."""
    if not isinstance(info, dict):
        return {prefix or "value": to_jsonable(info)}
    flat: dict[str, Any] = {}
    for key, value in info.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten(value, name) if isinstance(value, dict) else {name: to_jsonable(value)})
    return flat


def finite_reward(agent: str, reward: Any, frame: int) -> float | int:
    """The reward as a plain number; NaN or infinity is an env bug that must not reach the data."""
    number = reward.item() if hasattr(reward, "item") else reward
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
        raise ValueError(f"env returned reward {reward!r} for {agent!r} at frame {frame}; rewards must be finite")
    return number

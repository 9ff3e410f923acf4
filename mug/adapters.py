"""One interface over Gymnasium envs and PettingZoo ParallelEnvs: dicts keyed by agent key everywhere.

An agent's key is its id as text (`str(id)`): JSON, the relay's seats and the database all key agents by text,
so the adapter is the one place that turns keys back into the env's own ids (ints for CoGrid and the anchor's
examples) before the env sees them, and the env's ids into keys on the way out. Ids must be str or int and stay
distinct as text, or the env is refused when it is built.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

from mug.entropy import drawn_from

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


def agent_key(agent: Any) -> str:
    """The key of an env's agent id, as JSON, the relay and the database hold it."""
    return agent if isinstance(agent, str) else str(agent)


def agent_keys(ids: list[Any], where: str) -> dict[str, Any]:
    """Each key to its id; ids that cannot round-trip through text (not str/int, or equal as text) are refused."""
    odd = [agent for agent in ids if isinstance(agent, bool) or not isinstance(agent, (str, int))]
    if odd:
        kinds = sorted({type(agent).__name__ for agent in odd})
        raise EnvConfigError(
            f"{where}: agent ids must be str or int, got {odd!r} ({', '.join(kinds)}); "
            "name the agents with strings or ints in possible_agents"
        )
    keys = {agent_key(agent): agent for agent in ids}
    if len(keys) != len(ids):
        raise EnvConfigError(f"{where}: agent ids {ids!r} are not distinct as text; give every agent its own id")
    return keys


def make_adapter(path: str, kwargs: dict[str, Any], render_mode: str | None, agent_dicts: str | None = None):
    """Build the env and wrap it; AEC envs are refused with the conversion to use instead. `agent_dicts`: the
    single-agent env takes and returns per-agent dicts keyed by this id (the anchor's convention)."""
    factory = load_callable(path)
    env = factory(**kwargs, render_mode=render_mode) if render_mode else factory(**kwargs)
    if hasattr(env, "agent_iter") and hasattr(env, "last"):
        raise EnvConfigError(
            f"{path!r} is a PettingZoo AEC env; MUG runs ParallelEnvs. "
            "Wrap it with pettingzoo.utils.conversions.aec_to_parallel."
        )
    if hasattr(env, "possible_agents"):
        return ParallelAdapter(env, path)
    agents = dict_agents(env)
    if agents:
        return DictAgentsAdapter(env, agents, path)
    if hasattr(env, "step") and hasattr(env, "reset") and hasattr(env, "action_space"):
        return GymAdapter(env, agent_dicts)
    raise EnvConfigError(f"{path!r} built {type(env).__name__}, which is neither a Gymnasium Env nor a ParallelEnv")


def dict_agents(env) -> list[Any]:
    """The agent ids of a Gymnasium env that plays several agents through dicts (RLlib's multi-agent convention, e.g.
    slimevb): its action and observation spaces are both `spaces.Dict` over the same two or more keys. Empty for
    any other env (a single agent's Dict action has no matching Dict observation keyed the same)."""
    actions = getattr(getattr(env, "action_space", None), "spaces", None)
    observations = getattr(getattr(env, "observation_space", None), "spaces", None)
    if not isinstance(actions, dict) or not isinstance(observations, dict) or len(actions) < 2:
        return []
    return list(actions) if set(actions) == set(observations) else []


class _Clocked:
    """The position of the env in its episode (seed, steps): unseeded NumPy generators the env creates while it
    resets or steps draw from it (mug.entropy), so every interpreter, replay and rollback draws the same."""

    seed = 0
    steps = 0

    def _reset(self, seed: int, call):
        self.seed, self.steps = int(seed), 0
        with drawn_from(self.seed, 0):
            return call()

    def _step(self, call):
        self.steps += 1
        with drawn_from(self.seed, self.steps):
            return call()


class GymAdapter(_Clocked):
    """A single-agent Gymnasium env seen as one agent called 'agent'; or, for envs written for the anchor MUG that
    step with per-agent dicts (`step({"human": a})`, returning plain values or dicts keyed by "human"), as that
    one agent (`agent_dicts`, detected at load by the scene's check)."""

    def __init__(self, env, agent_dicts: str | None = None) -> None:
        self.env = env
        self.agent_dicts = agent_dicts
        self.agent = agent_dicts or SINGLE_AGENT
        self.possible_agents = [self.agent]

    def native(self, agent: str) -> Any:
        return agent

    def action_space(self, agent: str):
        return self.env.action_space

    def observation_space(self, agent: str):
        return self.env.observation_space

    def reset(self, seed: int):
        observation, info = self._reset(seed, lambda: self.env.reset(seed=seed))
        return {self.agent: self._own(observation)}, {self.agent: self._own(info)}

    def step(self, actions: dict[str, Any]):
        action = actions[self.agent]
        result = self._step(lambda: self.env.step({self.agent: action} if self.agent_dicts else action))
        observation, reward, terminated, truncated, info = (self._own(value) for value in result)
        wrap = lambda value: {self.agent: value}  # noqa: E731
        return wrap(observation), wrap(reward), wrap(bool(terminated)), wrap(bool(truncated)), wrap(info)

    def _own(self, value: Any) -> Any:
        """This agent's entry of a per-agent dict the env returned (anchor convention); any other value as is."""
        if self.agent_dicts and isinstance(value, dict) and set(value) == {self.agent}:
            return value[self.agent]
        return value

    def live_agents(self) -> list[str]:
        return self.possible_agents

    def render(self):
        return self.env.render()

    def close(self) -> None:
        self.env.close()


class ParallelAdapter(_Clocked):
    """A PettingZoo ParallelEnv; agents that are done drop out of `live_agents`. Agents are keys outside (see the
    module's docstring), the env's own ids inside."""

    def __init__(self, env, path: str = "env") -> None:
        self.env = env
        self.ids = agent_keys(list(env.possible_agents), path)
        self.possible_agents = list(self.ids)

    def native(self, agent: str) -> Any:
        """The env's own id of an agent key."""
        return self.ids[agent]

    def action_space(self, agent: str):
        return self.env.action_space(self.ids[agent])

    def observation_space(self, agent: str):
        return self.env.observation_space(self.ids[agent])

    def reset(self, seed: int):
        observations, infos = self._reset(seed, lambda: self.env.reset(seed=seed))
        return _keyed(observations), _keyed(infos)

    def step(self, actions: dict[str, Any]):
        native = {self.ids[agent]: action for agent, action in actions.items()}
        observations, rewards, terminations, truncations, infos = self._step(lambda: self.env.step(native))
        flags = lambda values: {agent_key(agent): bool(value) for agent, value in values.items()}  # noqa: E731
        return _keyed(observations), _keyed(rewards), flags(terminations), flags(truncations), _keyed(infos)

    def live_agents(self) -> list[str]:
        return [agent_key(agent) for agent in self.env.agents]

    def render(self):
        return self.env.render()

    def close(self) -> None:
        self.env.close()


class DictAgentsAdapter(_Clocked):
    """A Gymnasium env that steps several agents with one dict of actions and returns dicts keyed by agent, its
    flags possibly with RLlib's "__all__" (which ends every agent). Agents are keys outside, the env's ids inside."""

    ALL = "__all__"

    def __init__(self, env, agents: list[Any], path: str = "env") -> None:
        self.env = env
        self.ids = agent_keys(agents, path)
        self.possible_agents = list(self.ids)
        self.done: set[str] = set()

    def native(self, agent: str) -> Any:
        return self.ids[agent]

    def action_space(self, agent: str):
        return self.env.action_space.spaces[self.ids[agent]]

    def observation_space(self, agent: str):
        return self.env.observation_space.spaces[self.ids[agent]]

    def reset(self, seed: int):
        self.done = set()
        observations, info = self._reset(seed, lambda: self.env.reset(seed=seed))
        return self._per_agent(observations, None), self._per_agent(info, {})

    def step(self, actions: dict[str, Any]):
        native = {self.ids[agent]: action for agent, action in actions.items()}
        observations, rewards, terminated, truncated, infos = self._step(lambda: self.env.step(native))
        flags = {}
        for name, values in (("terminated", terminated), ("truncated", truncated)):
            every = bool(values.get(self.ALL, False))
            flags[name] = {key: every or bool(values.get(agent, False)) for key, agent in self.ids.items()}
        self.done |= {key for key in self.ids if flags["terminated"][key] or flags["truncated"][key]}
        return (
            self._per_agent(observations, None),
            self._per_agent(rewards, 0),
            flags["terminated"],
            flags["truncated"],
            self._per_agent(infos, {}),
        )

    def _per_agent(self, values: Any, missing: Any) -> dict[str, Any]:
        """A dict keyed by agent ids as keys (agents it leaves out get `missing`); any other value (an info shared by
        all, e.g. `{}`) is every agent's."""
        if isinstance(values, dict) and values and set(values) <= set(self.ids.values()) | {self.ALL}:
            return {key: values.get(agent, missing) for key, agent in self.ids.items()}
        return {key: values for key in self.ids}

    def live_agents(self) -> list[str]:
        return [key for key in self.possible_agents if key not in self.done]

    def render(self):
        return self.env.render()

    def close(self) -> None:
        self.env.close()


def _keyed(values: dict[Any, Any]) -> dict[str, Any]:
    return {agent_key(agent): value for agent, value in values.items()}


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
